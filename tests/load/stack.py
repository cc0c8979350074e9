"""The real stack as subprocesses, for the load and fault tests: the Procfile's web command (as
bin/run-local serves it) and a Celery worker, on the test database, with DEBUG off
as in production. Redis is REDIS_URL (or one given), else the embedded broker and file cache."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import psutil
import requests

from bench.stack import Process, celery_worker_argv, free_port, procfile_argv
from tests.conftest import ROOT
from tests.e2e.conftest import database_url_for_test_db


class Service(Process):
    """One subprocess in its own session, with its memory as the load test reads it."""

    def processes(self) -> list[psutil.Process]:
        try:
            parent = psutil.Process(self.process.pid)
            return [parent, *parent.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def rss_mb(self) -> float:
        total = 0
        for process in self.processes():
            with suppress(psutil.NoSuchProcess):
                total += process.memory_info().rss
        return total / 2**20


class Stack:
    """Web and worker sharing the test's database, media and broker."""

    def __init__(self, settings, tmp_path: Path, *, redis_url: str | None = None, **extra) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.tmp_path = tmp_path
        self.queue = settings.CELERY_TASK_DEFAULT_QUEUE
        redis_url = os.environ.get("REDIS_URL", "") if redis_url is None else redis_url
        self.env = os.environ | {
            "DJANGO_SETTINGS_MODULE": "config.settings_test",
            "DATABASE_URL": database_url_for_test_db(),
            "REDIS_URL": redis_url,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            # Production settings: no DEBUG (no query log, no debug pages).
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "load-test-secret-key-not-for-production",
            "SHOPIFY_API_KEY": settings.SHOPIFY_API_KEY,
            "SHOPIFY_API_SECRET": settings.SHOPIFY_API_SECRET,
            "TOKEN_ENCRYPTION_KEY": "load-test-token-key",
            "PUBLIC_BASE_URL": self.base_url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "UPLOAD_RATE_LIMIT": "100000/h",
            "LOG_LEVEL": "WARNING",
            # This test's cache: the web reads the shop rows this process writes and invalidates.
            "CACHE_KEY_PREFIX": settings.CACHES["default"].get("KEY_PREFIX", ""),
        }
        self.env.update(extra)
        self.services: list[Service] = []
        Path(settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)

    def start_web(self) -> Service:
        # The Procfile's web command, on loopback, stopping faster at the end of a test.
        argv = procfile_argv("web", self.env | {"PORT": str(self.port)})
        argv[argv.index("--bind") + 1] = f"127.0.0.1:{self.port}"
        web = self._start("web", [*argv, "--graceful-timeout", "5"])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert web.alive(), web.tail()
            try:
                if requests.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return web
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise AssertionError(f"web did not become healthy:\n{web.tail()}")

    def start_worker(self, concurrency: int = 2) -> Service:
        """A Celery worker, returned once its pool processes are up (tests compare process sets
        before and after a fault, so a pool still forking must not look like a restart)."""
        worker = self._start(
            "worker",
            celery_worker_argv(concurrency=concurrency, loglevel="WARNING", queue=self.queue),
        )
        deadline = time.monotonic() + 60
        while len(worker.processes()) < concurrency + 1:
            assert worker.alive() and time.monotonic() < deadline, worker.tail()
            time.sleep(0.1)
        return worker

    def run_reaper(self) -> str:
        """What beat does every minute, run now in a process configured like the worker."""
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "import django; django.setup(); "
                "from fittingroom.generations.services import generations_reap; "
                "print(generations_reap())",
            ],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout.strip()

    def _start(self, name: str, args: list[str]) -> Service:
        log = self.tmp_path / f"{name}-{len(self.services)}.log"
        service = Service(name, args, self.env, log)
        self.services.append(service)
        return service

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()

    def logs(self, chars: int = 2000) -> str:
        return "\n".join(f"--- {s.name} ({s.log.name})\n{s.tail(chars)}" for s in self.services)


@contextmanager
def running_stack(settings, tmp_path: Path, **kwargs) -> Iterator[Stack]:
    stack = Stack(settings, tmp_path, **kwargs)
    try:
        yield stack
    finally:
        stack.stop()
        print(stack.logs(20000))  # shown by pytest when the test failed


class RedisServer:
    """A redis-server of the test's own on a free loopback port, nothing kept on disk, so it can
    be killed and started again without touching anyone else's Redis."""

    def __init__(self, tmp_path: Path) -> None:
        self.port, self.dir = free_port(), tmp_path
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"redis-server did not start on {self.port}")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    stop = kill
