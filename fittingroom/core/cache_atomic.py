"""Atomic cache operations on every cache we run with.

Redis's ADD and INCR are atomic. The embedded default's file cache implements them as
read-then-write, so there they are serialised with a file lock, which holds across every
process on the one machine the embedded default runs on.
"""

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache


@contextmanager
def _machine_lock() -> Iterator[None]:
    if settings.REDIS_URL:
        yield
        return
    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    with open(settings.VAR_DIR / "cache.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def cache_add(key: str, value: object, timeout: float | None) -> bool:
    """Set `key` only if absent; True when this caller set it."""
    with _machine_lock():
        return cache.add(key, value, timeout=timeout)


def cache_incr(key: str, *, timeout: float | None) -> int:
    """Increment `key` (created at 0 with `timeout` if absent); returns the new value."""
    with _machine_lock():
        cache.add(key, 0, timeout=timeout)
        return cache.incr(key)


def cache_update(key: str, change, *, timeout: float | None):
    """Read ``key``, store ``change(value)``'s first item and return its second, with no
    other caller in between (the machine lock). For the embedded default, where there is no
    Redis to run a script in; ``value`` is None when the key is absent."""
    with _machine_lock():
        stored, result = change(cache.get(key))
        cache.set(key, stored, timeout=timeout)
        return result
