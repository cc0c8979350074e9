"""Provider jobs in flight per engine, counted across every worker.

A provider caps how many of an account's jobs run at once (FASHN answers 429
ConcurrencyLimitExceeded above it). Before a job is submitted it takes a slot here, and it
keeps the slot until it is finished or handed back; a job that finds no slot free waits
without spending an attempt. A slot is a lease: one held by a worker that died is freed when
it runs out, so a lost slot cannot shrink the cap for good.

Redis: one sorted set per engine (member = our job id, score = lease end), changed by a
script so that counting and taking are one step. Embedded default: the same in the cache,
under the machine lock.
"""

import time

from django.conf import settings

from fittingroom.core.cache_atomic import cache_update
from fittingroom.core.ratebucket import shared_key, shared_redis

_ACQUIRE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local cap, lease = tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < cap then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
  redis.call('EXPIRE', KEYS[1], math.ceil(lease) + 60)
  return 1
end
return 0
"""


def _key(engine: str) -> str:
    return shared_key(f"engine:{engine}:in-flight")


def slot_acquire(*, engine: str, job: str, cap: int, lease: float) -> bool:
    """Take (or renew) ``job``'s slot among ``cap``; False when all are taken."""
    if settings.REDIS_URL:
        script = shared_redis().register_script(_ACQUIRE)
        return bool(script(keys=[_key(engine)], args=[job, cap, lease]))

    def take(held: dict | None) -> tuple[dict, bool]:
        now = time.time()
        held = {member: end for member, end in (held or {}).items() if end > now}
        if job in held or len(held) < cap:
            held[job] = now + lease
            return held, True
        return held, False

    return cache_update(_key(engine), take, timeout=lease + 60)


def slot_release(*, engine: str, job: str) -> None:
    """Free ``job``'s slot (nothing if it holds none)."""
    if settings.REDIS_URL:
        shared_redis().zrem(_key(engine), job)
        return

    def drop(held: dict | None) -> tuple[dict, None]:
        held = dict(held or {})
        held.pop(job, None)
        return held, None

    cache_update(_key(engine), drop, timeout=None)


def slots_taken(*, engine: str) -> int:
    """How many slots are held now (leases not run out)."""
    if settings.REDIS_URL:
        return int(shared_redis().zcount(_key(engine), f"({time.time()}", "+inf"))
    return cache_update(
        _key(engine),
        lambda held: (held, sum(1 for end in (held or {}).values() if end > time.time())),
        timeout=None,
    )
