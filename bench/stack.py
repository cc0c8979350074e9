"""The process stack a scenario measures: gunicorn (as `bin/run-local` starts it) and Celery
workers, production-like (DEBUG off), on the bench's PostgreSQL and Redis, on loopback.

Settings differ from production only where loopback needs it: plain HTTP (no SSL redirect),
ALLOWED_HOSTS 127.0.0.1, fixed bench secrets (the bench signs proxy requests with
`SHOPIFY_API_SECRET`), and `bench.settings`, which adds the bare baseline views to the URLs.
Logs go to `ctx.work_dir`.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from bench.common import ROOT, Context, django_env

TOKEN_ENCRYPTION_KEY = "bench-token-key-not-for-production"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def django_ready(ctx: Context) -> None:
    """Django in this process, on the same database, Redis, media and secrets as the stack."""
    from bench.common import django_setup

    # Required with DEBUG off; the bench's value, like its other secrets.
    os.environ.setdefault("TOKEN_ENCRYPTION_KEY", TOKEN_ENCRYPTION_KEY)
    django_setup(ctx)


def shopify_secret() -> str:
    from django.conf import settings

    return settings.SHOPIFY_API_SECRET


def celery_worker_argv(*, concurrency: int, loglevel: str, queue: str = "") -> list[str]:
    """A Celery worker of ours, without the cluster chatter (gossip, mingle, heartbeats) a single
    worker on loopback does not need; the bench, load, fault and end-to-end runs start it so."""
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        f"--concurrency={concurrency}",
        f"--loglevel={loglevel}",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    return argv + (["--queues", queue] if queue else [])


def server_env(ctx: Context, **extra: str) -> dict[str, str]:
    """The environment of a web or worker process: ours as in this process, DEBUG off."""
    from django.conf import settings

    env = dict(os.environ) | django_env(ctx)
    env.pop("DJANGO_DEBUG", None)
    env |= {
        "TOKEN_ENCRYPTION_KEY": os.environ.get("TOKEN_ENCRYPTION_KEY", TOKEN_ENCRYPTION_KEY),
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback; production sits behind TLS
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),  # files written here are read there
        "PYTHONUNBUFFERED": "1",
    }
    return env | extra


class Process:
    """A child process in its own session (so stopping it stops its children), logging to a
    file under the work dir."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.log = name, log
        self.process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 20) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def tail(self, chars: int = 2000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


class Stack:
    """Starts web and worker processes; `with Stack(ctx) as stack:` stops them all at the end."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.processes: list[Process] = []
        self.logs = ctx.work_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()

    def _log(self, name: str) -> Path:
        return self.logs / f"{name}-{len(self.processes)}.log"

    def web(self, *, workers: int = 2, shape: str = "procfile", **extra_env: str) -> str:
        """A web server; returns the base URL once /healthz answers 200. `shape` is "procfile"
        (the Procfile's `web` command: production's shape, as `bin/run-local` runs it) or
        "wsgi" (gunicorn's threaded WSGI workers with kept connections: the floors' shape)."""
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = server_env(
            self.ctx,
            DJANGO_SETTINGS_MODULE="bench.settings",
            PUBLIC_BASE_URL=base_url,
            PORT=str(port),
            WEB_CONCURRENCY=str(workers),
            LOG_LEVEL="WARNING",
            **extra_env,
        )
        if shape == "procfile":
            argv = procfile_argv("web", env | {"PORT": str(port)})
            argv[argv.index("--bind") + 1] = f"127.0.0.1:{port}"  # loopback only
        elif shape == "wsgi":
            env["DATABASE_CONN_MAX_AGE"] = env.get("WEB_CONN_MAX_AGE", "300")  # kept, as ours
            argv = [*gunicorn_argv(), "config.wsgi:application", "-k", "gthread"]
            argv += ["--threads", env.get("WEB_THREADS", "8"), "--workers", str(workers)]
            argv += ["--bind", f"127.0.0.1:{port}", "--keep-alive", "75", "--reuse-port"]
        else:
            raise ValueError(f"unknown shape {shape!r}")
        process = Process(f"web-{shape}", argv, env, self._log(f"web-{shape}"))
        self.processes.append(process)
        _wait_healthy(process, f"{base_url}/healthz")
        return base_url

    def worker(self, *, concurrency: int = 2, queues: str = "", **extra_env: str) -> Process:
        """A Celery worker as `bin/run-local` starts it; returns once it is ready to consume."""
        argv = celery_worker_argv(concurrency=concurrency, loglevel="INFO", queue=queues)
        env = server_env(self.ctx, **extra_env)
        return self.start("worker", argv, env, ready_text="ready.")

    def start(
        self, name: str, argv: list[str], env: dict[str, str], *, ready_text: str = ""
    ) -> Process:
        process = Process(name, argv, env, self._log(name))
        self.processes.append(process)
        if ready_text:
            _wait_for_log(process, ready_text)
        return process


def gunicorn_argv() -> list[str]:
    return [str(Path(sys.executable).with_name("gunicorn"))]


def procfile_argv(process: str, env: dict[str, str]) -> list[str]:
    """The Procfile's command for `process`, `${NAME:-default}` expanded from `env`, the program
    taken from this interpreter's environment."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == process:
            words = shlex.split(command)
            words = [
                re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: env.get(m[1]) or m[2], w) for w in words
            ]
            return [str(Path(sys.executable).with_name(words[0])), *words[1:]]
    raise LookupError(f"no {process!r} in the Procfile")


def _wait_healthy(process: Process, url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(f"{process.name} exited:\n{process.tail()}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{process.name} not healthy after {timeout} s:\n{process.tail()}")


def _wait_for_log(process: Process, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(f"{process.name} exited:\n{process.tail()}")
        if text in process.log.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{process.name} not ready after {timeout} s:\n{process.tail()}")
