"""Provider rate limits that hold across every worker: a token bucket kept in Redis.

Celery's `rate_limit` is per worker process; a provider's quota (say Vertex's requests per
minute per project) is per account with them, so the bucket lives in the shared Redis. Without
Redis (the embedded default, one machine) a fixed one-minute window in the shared cache
stands in.
"""

import time
from functools import cache as memoize

import redis
from django.conf import settings

from fittingroom.core.cache_atomic import cache_incr

# Refill by elapsed time (Redis's own clock, the same for every worker), then take a token or
# say how long until one is there. Returns the wait in seconds as a string (0 = taken).
_TAKE = """
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 60)
return tostring(wait)
"""


@memoize
def shared_redis() -> redis.Redis:
    """The Redis every worker shares (REDIS_URL), one client per process."""
    return redis.Redis.from_url(settings.REDIS_URL)


def shared_key(name: str) -> str:
    """``name`` under the cache's KEY_PREFIX, so that what the cache keeps apart (a test's
    keys, a second deployment on one Redis) is kept apart in raw Redis keys too."""
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    return f"{prefix}:{name}" if prefix else name


def bucket_take(*, name: str, per_minute: int) -> float:
    """Take one request from the named bucket (capacity = one minute's worth). Returns 0.0 when
    taken, else the seconds to wait before trying again (nothing was taken)."""
    return bucket_take_window(name=name, limit=per_minute, seconds=60)


def bucket_take_window(*, name: str, limit: int, seconds: float) -> float:
    """As ``bucket_take``, for a limit of ``limit`` requests per ``seconds`` (capacity: one
    window's worth)."""
    if settings.REDIS_URL:
        script = shared_redis().register_script(_TAKE)
        key = shared_key(f"ratebucket:{name}")
        return float(script(keys=[key], args=[limit / seconds, limit]))
    window = int(time.time() // seconds)
    if cache_incr(f"ratebucket:{name}:{window}", timeout=seconds * 2) <= limit:
        return 0.0
    return max(round((window + 1) * seconds - time.time(), 2), 0.1)
