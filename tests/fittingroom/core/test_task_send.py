"""A task sent at once to a Redis broker is the message Celery's send_task writes, in one
LPUSH (fittingroom/core/task_send.py); anything send_task would do more goes through it."""

import base64
import json

import pytest
from celery import current_app, signals

from fittingroom.core.task_send import _redis_queue, task_send
from fittingroom.generations.dispatch import RENDER_TASK


@pytest.fixture
def queue():
    found = _redis_queue(RENDER_TASK)
    if found is None:
        pytest.skip("needs the Redis broker (REDIS_URL); CI sets it")
    client, key = found
    client.delete(key)
    yield client, key
    client.delete(key)


def masked(raw: bytes) -> dict:
    """A queued message without what differs between any two sends (ids, tags, origin)."""
    message = json.loads(raw)
    task_id = message["headers"]["id"]
    for name in ("id", "root_id", "origin"):
        message["headers"][name] = "-"
    assert message["properties"].pop("correlation_id") == task_id
    message["properties"]["delivery_tag"] = "-"
    message["body"] = json.loads(base64.b64decode(message["body"]))
    return message


def test_the_message_is_the_one_send_task_writes(queue):
    client, key = queue
    current_app.send_task(RENDER_TASK, ("gen_same",))
    task_send(RENDER_TASK, ("gen_same",))
    ours, celery_s = client.lpop(key), client.lpop(key)
    assert client.llen(key) == 0
    assert masked(ours) == masked(celery_s)
    assert masked(ours)["body"][0] == ["gen_same"]
    assert json.loads(ours)["headers"]["id"] != json.loads(celery_s)["headers"]["id"]


def test_publish_signal_receivers_still_see_every_task(queue):
    client, key = queue
    seen = []

    def receiver(sender=None, headers=None, **kwargs):
        seen.append(headers["task"])

    signals.before_task_publish.connect(receiver, weak=False)
    try:
        task_send(RENDER_TASK, ("gen_signalled",))
    finally:
        signals.before_task_publish.disconnect(receiver)
    assert seen == [RENDER_TASK]
    assert masked(client.lpop(key))["body"][0] == ["gen_signalled"]
