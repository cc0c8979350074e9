import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def _torn_down(qos) -> bool:
    """Whether the QoS's channel lost its connection (kombu sets either to None on close)."""
    connection = getattr(qos.channel, "connection", None)
    return connection is None or getattr(connection, "client", True) is None


def _skip_redis_bookkeeping_once_torn_down() -> None:
    """kombu 5.7.0: when the consumer loses Redis it tears the connection down, but calls still
    arrive for it and go through the torn-down transport: the second close restores the
    unacknowledged messages (`client` is None), and a task that finished during the outage is
    acknowledged (or rejected) through a channel whose `connection` is None. Each raises
    AttributeError, and the worker takes it as unrecoverable: it stops consuming for good (seen
    in the Redis-restart fault test, twice). Skip the Redis side of those calls, keep the
    in-memory one: Redis is unreachable then anyway, a message left in its unacked set is
    restored by kombu's visibility timeout or its job re-driven by the reaper, and the task's
    own work is committed in PostgreSQL, claimed by compare-and-set, so a second run is
    harmless."""
    from kombu.transport import redis as kombu_redis
    from kombu.transport import virtual

    restore, ack, reject = (
        kombu_redis.QoS.restore_unacked,
        kombu_redis.QoS.ack,
        kombu_redis.QoS.reject,
    )

    def restore_unacked(self, client=None):
        if client is None and _torn_down(self):
            return None
        return restore(self, client)

    def ack_or_forget(self, delivery_tag):
        if _torn_down(self):
            return virtual.QoS.ack(self, delivery_tag)
        return ack(self, delivery_tag)

    def reject_or_forget(self, delivery_tag, requeue=False):
        if _torn_down(self):
            return virtual.QoS.ack(self, delivery_tag)
        return reject(self, delivery_tag, requeue=requeue)

    kombu_redis.QoS.restore_unacked = restore_unacked
    kombu_redis.QoS.ack = ack_or_forget
    kombu_redis.QoS.reject = reject_or_forget


_skip_redis_bookkeeping_once_torn_down()


def _publish_filesystem_messages_whole() -> None:
    """kombu 5.7.0's filesystem transport (the embedded default's broker) creates a message
    file, then locks and writes it; the consumer neither locks nor waits, so it can take the
    file while it is still empty and crash the worker on the JSON (seen under `make run` with
    20 try-ons waiting for a FASHN slot). Write under a name the consumer ignores, then
    rename: a rename within one folder is atomic, so a message is seen whole or not at all."""
    import uuid
    from time import monotonic

    from kombu.exceptions import ChannelError
    from kombu.transport import filesystem
    from kombu.utils.encoding import str_to_bytes
    from kombu.utils.json import dumps

    def _put(self, queue, payload, **kwargs):
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{name}.partial")
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    filesystem.Channel._put = _put


_publish_filesystem_messages_whole()
app = Celery("fittingroom")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Task modules inside sub-packages of an app are not found by the default discovery.
app.autodiscover_tasks(["shopify_integration.webhooks", "shopify_integration.billing"])


@app.on_after_configure.connect
def _create_filesystem_broker_folders(sender: Celery, **kwargs: object) -> None:
    # kombu's filesystem transport expects its folders to exist.
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        folder = sender.conf.broker_transport_options.get(key)
        if folder:
            os.makedirs(folder, exist_ok=True)


@worker_process_init.connect
def _keep_database_connections(**kwargs: object) -> None:
    # Settings give the web's threads WEB_CONN_MAX_AGE; a worker process keeps its own for
    # WORKER_CONN_MAX_AGE: it runs its tasks in one thread, and keeping the connection saves a
    # PostgreSQL connect (a server-side fork) per task. Health checks catch one dropped meanwhile.
    # (Kept connections, not Django's pool: Django refuses the pool with CONN_MAX_AGE.)
    from django.conf import settings
    from django.db import connections

    max_age = settings.WORKER_CONN_MAX_AGE
    for alias in connections:
        connections.settings[alias]["CONN_MAX_AGE"] = max_age
        connections[alias].settings_dict["CONN_MAX_AGE"] = max_age
