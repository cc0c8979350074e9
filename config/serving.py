"""The web process's shape: one ASGI application that serves plain requests on a fixed pool of
threads (Django's WSGI handler, each thread keeping its database connection) and hands the
requests that wait (long polls) to Django's ASGI handler, where they hold no thread.

Why: a plain request under Django's ASGI handler runs in a new thread of its own, so it can keep
no connection (a PostgreSQL connect per request) and pays the sync/async switches; the threaded
WSGI handler with kept connections is ~2.5 times faster per request (bench/RESULTS.md). But a long
poll on a WSGI thread holds that thread for up to 25 s. This router gives each kind of request
the handler that suits it, in one process, behind one port. Connections are bounded by the
pool: at most WEB_THREADS per process, whatever the burst (requests queue for a thread).
"""

from __future__ import annotations

import contextvars
import re
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qsl

Scope = dict
ASGIApp = Callable[[Scope, Callable, Callable], Awaitable[None]]


def _waits(query: bytes) -> bool:
    """`?wait=N` with N other than 0 (a malformed N goes either way: both answer 400)."""
    for name, value in parse_qsl(query.decode("latin-1")):
        if name == "wait":
            return value.strip("0") != ""
    return False


# (path, does this request wait?) for every endpoint that can wait. Add a row for a new one.
WAITING_ROUTES: list[tuple[re.Pattern[str], Callable[[bytes], bool]]] = [
    (re.compile(r"/proxy/public/generation/[^/]+"), _waits),
    (re.compile(r"/v1/try-on/sync"), lambda query: True),  # waits up to TRYON_SYNC_WAIT_SECONDS
]

_executor: ThreadPoolExecutor | None = None


def database_executor() -> ThreadPoolExecutor | None:
    """The pool plain requests run on, when this process serves through the router: waiting
    views run their database work there too, on a kept connection (None elsewhere: tests,
    plain WSGI, runserver)."""
    return _executor


def waiting(scope: Scope) -> bool:
    if scope["type"] != "http":
        return False
    path = scope["path"]
    return any(
        pattern.fullmatch(path) and waits(scope.get("query_string", b""))
        for pattern, waits in WAITING_ROUTES
    )


_threads = threading.local()


def _in_thread_context(wsgi_app):
    """Run each request of a pool thread in that thread's own context, as a WSGI server's thread
    would: a2wsgi runs each in a fresh copy of the event loop's context, where Django's
    context-local caches (`django.core.cache.caches`) start empty, so every request built a new
    Redis client and connection."""

    def application(environ, start_response):
        context = getattr(_threads, "context", None)
        if context is None:
            context = _threads.context = contextvars.Context()
        return context.run(wsgi_app, environ, start_response)

    return application


def keep_database_connections(max_age: int) -> None:
    """Each pool thread keeps its connection `max_age` seconds (health-checked before reuse)."""
    from django.db import connections

    for alias in connections:
        connections.settings[alias]["CONN_MAX_AGE"] = max_age
        connections[alias].settings_dict["CONN_MAX_AGE"] = max_age


def router(*, plain_wsgi, waiting_asgi: ASGIApp, threads: int, conn_max_age: int) -> ASGIApp:
    from a2wsgi import WSGIMiddleware

    global _executor
    keep_database_connections(conn_max_age)
    plain = WSGIMiddleware(_in_thread_context(plain_wsgi), workers=threads)
    _executor = plain.executor

    async def application(scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan":
            await plain(scope, receive, send)  # answers startup and shutdown
        elif waiting(scope):
            await waiting_asgi(scope, receive, send)
        else:
            await plain(scope, receive, send)

    return application
