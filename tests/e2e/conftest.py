"""Real worker processes for end-to-end tests, on the test database and the configured broker."""

import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.db import connection

from bench.stack import celery_worker_argv
from config.celery import app as celery_app
from tests.conftest import ROOT

SQLITE_OPTIONS = ("transaction_mode", "timeout")


def database_url_for_test_db() -> str:
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        # The embedded database's OPTIONS (IMMEDIATE transactions, busy timeout) travel in the
        # URL's query; without them concurrent writers get "database is locked" at once.
        options = urlencode({k: v for k, v in params["OPTIONS"].items() if k in SQLITE_OPTIONS})
        return f"sqlite:///{Path(params['NAME']).resolve()}?{options}"
    user, host, port = params["USER"], params["HOST"] or "127.0.0.1", params["PORT"] or 5432
    password = f":{params['PASSWORD']}" if params["PASSWORD"] else ""
    return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"


class Worker:
    def __init__(self, process: subprocess.Popen, log: Path) -> None:
        self.process, self.log = process, log

    def kill(self) -> None:
        """SIGKILL the worker and its pool children: no warm shutdown, no acks."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


@pytest.fixture
def start_worker(settings, tmp_path) -> Iterator[Callable[..., Worker]]:
    """Starts `celery worker` processes sharing the test's database, media and broker."""
    celery_app.control.purge()  # messages left by earlier tests name rows that are gone
    workers: list[Worker] = []

    def start(concurrency: int = 1, **extra_env: str) -> Worker:
        env = (
            os.environ
            | {
                "DJANGO_SETTINGS_MODULE": "config.settings_test",
                "DATABASE_URL": database_url_for_test_db(),
                "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            }
            | extra_env
        )
        log = tmp_path / f"worker-{len(workers)}.log"
        process = subprocess.Popen(
            celery_worker_argv(
                concurrency=concurrency,
                loglevel="INFO",
                queue=settings.CELERY_TASK_DEFAULT_QUEUE,
            ),
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        workers.append(Worker(process, log))
        return workers[-1]

    yield start
    for worker in workers:
        worker.stop()
        print(worker.log.read_text()[-3000:])  # shown by pytest when the test failed
