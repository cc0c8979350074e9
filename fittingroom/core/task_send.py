"""Sending a Celery task at once to a Redis broker in one LPUSH.

Why: every try-on enqueues its render, and Celery's `send_task` (routing, producer pool, the
publish retry wrapper, signals, kombu's channel) cost 0.5 ms of CPU per message against 0.08
for the LPUSH it ends in: a fifth of a try-on request's CPU. This writes the same message: the
headers, properties and body come from Celery's own protocol (`create_task_message`), framed as
kombu's Redis transport frames them (base64 body, delivery info, a delivery tag) and pushed to
the queue Celery's router names. Used only where that is all send_task would do: a Redis broker,
the task routed to a direct queue, no ETA or other option, no publish signal receivers. Anything
else, and any failure to decide, goes through send_task.
"""

from __future__ import annotations

import base64
import functools
import uuid
from collections.abc import Sequence

import redis
from celery import current_app, signals
from kombu.utils.json import dumps


def task_send(name: str, args: Sequence) -> None:
    """Send task `name` with `args` to run now (one LPUSH when `_redis_queue` allows)."""
    queue = _redis_queue(name)
    publish_signals = signals.before_task_publish.receivers or signals.after_task_publish.receivers
    if queue is None or publish_signals:
        current_app.send_task(name, tuple(args))
        return
    client, key = queue
    client.lpush(key, _message(name, tuple(args), routing_key=key))


def _message(name: str, args: tuple, *, routing_key: str) -> str:
    app = current_app
    task_id = str(uuid.uuid4())
    headers, properties, body, _ = app.amqp.create_task_message(
        task_id,
        name,
        args,
        {},
        ignore_result=None,  # as send_task leaves it: the task decides
    )
    payload = dumps(body).encode()
    return dumps(
        {
            "body": base64.b64encode(payload).decode(),
            "content-encoding": "utf-8",
            "content-type": "application/json",
            "headers": headers,
            "properties": {
                **properties,
                "reply_to": properties.get("reply_to") or app.thread_oid,
                "delivery_mode": 2,
                "delivery_info": {"exchange": "", "routing_key": routing_key},
                "priority": 0,
                "body_encoding": "base64",
                "delivery_tag": str(uuid.uuid4()),
            },
        }
    )


@functools.cache
def _redis_queue(name: str) -> tuple[redis.Redis, str] | None:
    """A kept client for the broker and the queue's key, when send_task would do no more than
    push the message to it; else None."""
    app = current_app
    connection = app.connection_for_write()
    try:
        if connection.transport_cls not in ("redis", "rediss"):
            return None
        if set(connection.transport_options or {}) - {"visibility_timeout"}:
            return None  # key prefixes, priority steps, ...: kombu's business
        route = app.amqp.router.route({}, name, (), {})
        queue = route.get("queue")
        if queue is None or set(route) != {"queue"} or queue.exchange.type != "direct":
            return None
        if queue.routing_key not in ("", None, queue.name) or queue.max_priority:
            return None
        return redis.Redis.from_url(connection.as_uri(include_password=True)), queue.name
    finally:
        connection.release()
