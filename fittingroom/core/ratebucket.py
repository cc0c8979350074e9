"""Provider rate limits that hold across every worker: a token bucket kept in Redis.

Celery's `rate_limit` is per worker process; a provider's quota (say Vertex's requests per
minute per project) is per account with them, so the bucket lives in the shared Redis. Without
Redis (the embedded default, one machine) a fixed one-minute window in the shared cache
stands in. `bucket_take_window` is a sliding window instead, for providers that count "N per
window" (FASHN's status calls): no window of that length ever holds more than N.
"""

import math
import secrets
import time
from functools import cache as memoize

import redis
from django.conf import settings

from fittingroom.core.cache_atomic import cache_incr, cache_update

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


# A sliding window: the times of the requests taken in the last ARGV[2] seconds.
_WINDOW_TAKE = """
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('EXPIRE', KEYS[1], math.ceil(window) + 1)
  return '0'
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return tostring(math.max(tonumber(oldest[2]) + window - now, 0.01))
"""

# Move a taken request's time to now (back into the window, had it already left it).
_WINDOW_DONE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])) + 1)
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
    if settings.REDIS_URL:
        script = shared_redis().register_script(_TAKE)
        key = shared_key(f"ratebucket:{name}")
        return float(script(keys=[key], args=[per_minute / 60.0, per_minute]))
    window = int(time.time() // 60)
    if cache_incr(f"ratebucket:{name}:{window}", timeout=120) <= per_minute:
        return 0.0
    return math.ceil((window + 1) * 60 - time.time()) or 1.0


def bucket_take_window(*, name: str, limit: int, seconds: float) -> float:
    """Take one request if fewer than ``limit`` were taken in the last ``seconds`` (a sliding
    window: what a provider that counts "N per window" will accept, in any window). Returns
    0.0 when taken, else the seconds until the oldest request leaves the window."""
    return window_take(name=name, limit=limit, seconds=seconds)[0]


def window_take(*, name: str, limit: int, seconds: float) -> tuple[float, str]:
    """As ``bucket_take_window``, and the taken request's token (for ``window_done``)."""
    token = secrets.token_hex(6)
    if settings.REDIS_URL:
        script = shared_redis().register_script(_WINDOW_TAKE)
        key = shared_key(f"ratewindow:{name}")
        return float(script(keys=[key], args=[limit, seconds, token])), token

    def take(times: dict[str, float] | None) -> tuple[dict[str, float], float]:
        now = time.time()
        times = {held: at for held, at in (times or {}).items() if at > now - seconds}
        if len(times) < limit:
            return times | {token: now}, 0.0
        return times, max(round(min(times.values()) + seconds - now, 3), 0.01)

    return cache_update(f"ratewindow:{name}", take, timeout=seconds * 2), token


def window_done(*, name: str, token: str, seconds: float) -> None:
    """The request ``token`` stands for has been answered: count it from now, not from when it
    was taken. The provider saw it in between, so our window then holds at least every request
    the provider's does, however long the request took to leave (a slow worker, a slow
    network)."""
    if settings.REDIS_URL:
        key = shared_key(f"ratewindow:{name}")
        shared_redis().register_script(_WINDOW_DONE)(keys=[key], args=[token, seconds])
        return

    def touch(times: dict[str, float] | None) -> tuple[dict[str, float], None]:
        return (times or {}) | {token: time.time()}, None

    cache_update(f"ratewindow:{name}", touch, timeout=seconds * 2)
