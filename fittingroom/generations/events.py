"""Telling waiting clients that a generation changed, without them polling the database.

A status change publishes on a Redis channel named after the generation; `?wait=` requests
subscribe to it. Without Redis (the embedded default) waiters fall back to a short DB poll.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

import redis
import redis.asyncio as aioredis
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)
FALLBACK_POLL_SECONDS = 0.25


def _channel(generation_id: str) -> str:
    return f"generation-changed:{generation_id}"


_publishers: dict[str, redis.Redis] = {}


def _publisher() -> redis.Redis:
    # One client (and its connection pool) per process: a connection per announcement cost
    # 5 ms, twice per try-on. redis-py's pool notices a fork and starts afresh in the child.
    url = settings.REDIS_URL
    if url not in _publishers:
        _publishers[url] = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return _publishers[url]


def generation_changed(*, generation_id: str) -> None:
    """Announce a status change once the current transaction commits (best effort: a waiter
    that misses it still answers when its wait runs out)."""
    if not settings.REDIS_URL:
        return

    def publish() -> None:
        try:
            _publisher().publish(_channel(generation_id), "1")
        except redis.RedisError:
            logger.warning("could not announce a change of %s", generation_id, exc_info=True)

    transaction.on_commit(publish)


async def wait_for_change(
    *, generation_id: str, timeout: float, changed: Callable[[], Awaitable[bool]]
) -> None:
    """Return when `changed()` says so (checked after subscribing, so no announcement is
    missed), when an announcement arrives, or when `timeout` runs out."""
    if not settings.REDIS_URL:
        await _poll(timeout, changed)
        return
    client = aioredis.Redis.from_url(settings.REDIS_URL)
    try:
        async with client.pubsub() as pubsub:
            await pubsub.subscribe(_channel(generation_id))
            if await changed():
                return
            await _next_message(pubsub, timeout)
    except redis.RedisError:
        logger.warning("waiting on Redis failed; polling instead", exc_info=True)
        await _poll(timeout, changed)
    finally:
        await client.aclose()


async def _next_message(pubsub: aioredis.client.PubSub, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (left := deadline - loop.time()) > 0:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
        if message is not None:
            return


async def _poll(timeout: float, changed: Callable[[], Awaitable[bool]]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        await asyncio.sleep(min(FALLBACK_POLL_SECONDS, max(0.0, deadline - loop.time())))
        if await changed():
            return
