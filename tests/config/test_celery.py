"""The embedded default's broker (kombu's filesystem transport) under a burst of messages:
a consumer racing the publisher sees each message whole, never an empty file."""

import threading

import kombu

import config.celery  # noqa: F401  (applies the transport fix, as every process does)


def test_a_consumer_racing_the_publisher_reads_every_message_whole(tmp_path):
    folder = tmp_path / "queue"
    folder.mkdir()
    options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "control_folder": str(tmp_path / "control"),
    }
    sent, received, errors = 400, [], []

    def consume() -> None:
        with kombu.Connection("filesystem://", transport_options=options) as connection:
            queue = connection.SimpleQueue("race")
            while len(received) < sent:
                try:
                    message = queue.get(timeout=5)
                except Exception as error:  # an empty read used to raise JSONDecodeError here
                    errors.append(error)
                    return
                received.append(message.payload["n"])
                message.ack()

    consumer = threading.Thread(target=consume)
    consumer.start()
    with kombu.Connection("filesystem://", transport_options=options) as connection:
        queue = connection.SimpleQueue("race")
        for n in range(sent):
            queue.put({"n": n})
    consumer.join(timeout=30)

    assert errors == []
    assert sorted(received) == list(range(sent))
    assert not [path for path in folder.iterdir() if path.name.endswith(".partial")]


def test_a_channel_torn_down_with_redis_takes_acks_and_rejects_without_crashing_the_worker():
    """The Redis-restart fault: a task that finished during the outage was acknowledged through
    a channel whose connection kombu had already dropped; the AttributeError stopped the worker
    consuming for good."""
    from kombu.transport import redis as kombu_redis

    class TornDownChannel:
        connection = None
        do_restore = False

    qos = kombu_redis.QoS(TornDownChannel(), prefetch_count=2)
    qos._delivered.update({"tag-1": object(), "tag-2": object(), "tag-3": object()})

    qos.ack("tag-1")
    qos.reject("tag-2")
    assert qos.restore_unacked() is None

    assert set(qos._delivered) - qos._dirty == {"tag-3"}
    assert qos.can_consume()
