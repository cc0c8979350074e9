"""Provider rate limits that hold across every worker: a token bucket kept in Redis.

Celery's `rate_limit` is per worker process; a provider's quota (say Vertex's requests per
minute per project) is per account with them, so the bucket lives in the shared Redis. Without
Redis (the embedded default, one machine) a fixed one-minute window in the shared cache
stands in.
"""

import math
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
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def bucket_take(*, name: str, per_minute: int) -> float:
    """Take one request from the named bucket (capacity = one minute's worth). Returns 0.0 when
    taken, else the seconds to wait before trying again (nothing was taken)."""
    if settings.REDIS_URL:
        script = _redis().register_script(_TAKE)
        return float(script(keys=[f"ratebucket:{name}"], args=[per_minute / 60.0, per_minute]))
    window = int(time.time() // 60)
    if cache_incr(f"ratebucket:{name}:{window}", timeout=120) <= per_minute:
        return 0.0
    return math.ceil((window + 1) * 60 - time.time()) or 1.0
