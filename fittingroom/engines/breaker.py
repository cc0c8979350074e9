"""A circuit breaker per engine, shared by every worker, and the engine's recent record.

closed: the engine takes new try-ons. After ENGINE_BREAKER_FAILURES outages (network, 5xx,
timeouts, refused credentials) within ENGINE_BREAKER_WINDOW_SECONDS it opens: for
ENGINE_BREAKER_OPEN_SECONDS new try-ons go to the next engine of TRYON_ENGINES. Then it is
half-open: one try-on at a time is let through as a probe; its success closes the circuit,
its outage opens it again. Each provider call is also logged for an hour (success or
failure), for the admin's failure rate.

Redis: a script per transition, so every worker sees one state. Embedded default: one dict
per engine in the cache, changed under the machine lock.
"""

import secrets
import time
from dataclasses import dataclass

from django.conf import settings

from fittingroom.core.cache_atomic import cache_update
from fittingroom.core.ratebucket import shared_key, shared_redis

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"
HOUR = 3600

# KEYS: failures zset, open_until, probe, ok zset, fail zset.
# ARGV: outcome ("ok" | "outage" | "failed"), threshold, window, open seconds, member.
_RECORD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local outcome, threshold = ARGV[1], tonumber(ARGV[2])
local window, open_for = tonumber(ARGV[3]), tonumber(ARGV[4])
local log = KEYS[4]
if outcome ~= 'ok' then log = KEYS[5] end
redis.call('ZADD', log, now, ARGV[5])
redis.call('ZREMRANGEBYSCORE', log, '-inf', now - 3600)
redis.call('EXPIRE', log, 3700)
local open_until = tonumber(redis.call('GET', KEYS[2]))
if outcome == 'ok' then
  if open_until and now >= open_until then
    redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
    return 'closed'
  end
  return ''
end
if outcome ~= 'outage' then return '' end
if open_until and now >= open_until then
  redis.call('SET', KEYS[2], tostring(now + open_for), 'EX', open_for + 3600)
  redis.call('DEL', KEYS[3])
  return 'reopened'
end
redis.call('ZADD', KEYS[1], now, ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('EXPIRE', KEYS[1], window + 60)
if not open_until and redis.call('ZCARD', KEYS[1]) >= threshold then
  redis.call('SET', KEYS[2], tostring(now + open_for), 'EX', open_for + 3600)
  return 'opened'
end
return ''
"""

# KEYS: open_until, probe. ARGV: probe lease. Returns 1 when a try-on may use the engine.
_ADMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local open_until = tonumber(redis.call('GET', KEYS[1]))
if not open_until then return 1 end
if now < open_until then return 0 end
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', tonumber(ARGV[1])) then return 1 end
return 0
"""


@dataclass(frozen=True)
class EngineRecord:
    """An engine's circuit state and its provider calls over the last hour."""

    state: str
    calls: int
    failures: int

    @property
    def failure_rate(self) -> float | None:
        return self.failures / self.calls if self.calls else None


def _keys(engine: str) -> list[str]:
    prefix = shared_key(f"engine:{engine}:breaker")
    return [f"{prefix}:failures", f"{prefix}:open-until", f"{prefix}:probe", *_log_keys(engine)]


def _log_keys(engine: str) -> list[str]:
    return [shared_key(f"engine:{engine}:calls-{outcome}") for outcome in ("ok", "failed")]


def engine_admits(engine: str) -> bool:
    """Whether a new try-on may go to ``engine``: closed, or half-open with no probe out."""
    probe_lease = settings.ENGINE_BREAKER_OPEN_SECONDS
    if settings.REDIS_URL:
        keys = _keys(engine)[1:3]
        return bool(shared_redis().register_script(_ADMIT)(keys=keys, args=[probe_lease]))

    def admit(state: dict | None) -> tuple[dict, bool]:
        state, now = dict(state or {}), time.time()
        open_until = state.get("open_until")
        if open_until is None:
            return state, True
        if now < open_until or state.get("probe_until", 0) > now:
            return state, False
        state["probe_until"] = now + probe_lease
        return state, True

    return cache_update(_fallback_key(engine), admit, timeout=None)


def engine_record(engine: str, outcome: str) -> str:
    """Log one provider call: "ok", "outage" (counts toward opening) or "failed" (the
    provider failed the job; logged, not an outage). Returns "opened", "reopened",
    "closed" when the call changed the circuit, else ""."""
    args = [
        outcome,
        settings.ENGINE_BREAKER_FAILURES,
        settings.ENGINE_BREAKER_WINDOW_SECONDS,
        settings.ENGINE_BREAKER_OPEN_SECONDS,
        f"{time.time():.6f}:{secrets.token_hex(4)}",
    ]
    if settings.REDIS_URL:
        changed = shared_redis().register_script(_RECORD)(keys=_keys(engine), args=args)
        return changed.decode() if isinstance(changed, bytes) else str(changed or "")
    return cache_update(_fallback_key(engine), lambda state: _record(state, outcome), timeout=None)


def engine_state(engine: str) -> EngineRecord:
    """The circuit state and the last hour's calls of ``engine``."""
    now = time.time()
    if settings.REDIS_URL:
        client = shared_redis()
        raw = client.get(_keys(engine)[1])
        open_until = float(raw) if raw else None
        ok_key, failed_key = _log_keys(engine)
        calls_ok = client.zcount(ok_key, now - HOUR, "+inf")
        failures = client.zcount(failed_key, now - HOUR, "+inf")
    else:
        state = cache_update(_fallback_key(engine), lambda state: (state, state), timeout=None)
        state = state or {}
        open_until = state.get("open_until")
        calls_ok = sum(1 for at in state.get("ok", []) if at > now - HOUR)
        failures = sum(1 for at in state.get("failed", []) if at > now - HOUR)
    circuit = CLOSED if open_until is None else OPEN if now < open_until else HALF_OPEN
    return EngineRecord(state=circuit, calls=calls_ok + failures, failures=failures)


def engine_reset(engine: str) -> None:
    """Forget the engine's circuit and record (an operator's reset; tests)."""
    if settings.REDIS_URL:
        shared_redis().delete(*_keys(engine))
    else:
        cache_update(_fallback_key(engine), lambda state: (None, None), timeout=None)


def _fallback_key(engine: str) -> str:
    return f"engine:{engine}:breaker-state"


def _record(state: dict | None, outcome: str) -> tuple[dict, str]:
    state, now = dict(state or {}), time.time()
    log = "ok" if outcome == "ok" else "failed"
    state[log] = [at for at in state.get(log, []) if at > now - HOUR] + [now]
    open_until = state.get("open_until")
    half_open = open_until is not None and now >= open_until
    if outcome == "ok":
        if half_open:
            state.update(open_until=None, failures=[], probe_until=0)
            return state, "closed"
        return state, ""
    if outcome != "outage":
        return state, ""
    open_for = settings.ENGINE_BREAKER_OPEN_SECONDS
    if half_open:
        state.update(open_until=now + open_for, probe_until=0)
        return state, "reopened"
    window = settings.ENGINE_BREAKER_WINDOW_SECONDS
    state["failures"] = [at for at in state.get("failures", []) if at > now - window] + [now]
    if open_until is None and len(state["failures"]) >= settings.ENGINE_BREAKER_FAILURES:
        state["open_until"] = now + open_for
        return state, "opened"
    return state, ""
