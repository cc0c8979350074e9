"""Transaction-scoped locks on names, for counters that must never be read-then-written racily."""

import hashlib

from django.db import connection

from fittingroom.core.db import execute


def _lock_key(name: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True
    )


def lock_names(*names: str) -> None:
    """Hold an exclusive lock on each name until the current transaction ends.

    PostgreSQL: advisory transaction locks, taken in a fixed order so two callers never deadlock.
    SQLite: nothing to do, as the embedded database runs every transaction IMMEDIATE (one writer
    at a time), which already serialises these sections.
    """
    if connection.vendor != "postgresql":
        return
    keys = sorted({_lock_key(name) for name in names})
    if not keys:
        return
    # One round trip; the executor evaluates a select list left to right, so the order holds.
    execute("SELECT " + ", ".join(["pg_advisory_xact_lock(%s)"] * len(keys)), keys)
