import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

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
    # The web runs under ASGI, where a kept connection is never reused (CONN_MAX_AGE 0). A
    # worker process runs its tasks in one thread: keeping its connection saves a PostgreSQL
    # connect (a server-side fork) per task. Health checks catch one dropped meanwhile.
    from django.conf import settings
    from django.db import connections

    max_age = settings.WORKER_CONN_MAX_AGE
    for alias in connections:
        connections.settings[alias]["CONN_MAX_AGE"] = max_age
        connections[alias].settings_dict["CONN_MAX_AGE"] = max_age
