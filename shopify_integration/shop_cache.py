"""The shop row behind a proxy request, cached: every shopper request looks its shop up by
domain, and the row changes seldom (install, billing, tokens, settings).

Correct under concurrent writes by a version per domain: a write bumps the version after its
transaction commits (and at once, for readers outside it); a cached row carries the version
read before the database was, so a row read before a write commits can be stored but is never
served after the bump. Every write path bumps: saves and deletes (signals), `update()` and
`bulk_update()` (ShopQuerySet). The row is cached without its account: the account's counters
change with every try-on, so whoever needs the account reads it (one primary-key query).

The cache is an accelerator, never a dependency: with Redis unreachable, lookups read the
database and writes still succeed (a bump that could not be made leaves a row that expires
within ROW_SECONDS; a Redis that restarted empty holds no row at all).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import redis
from django.core.cache import cache
from django.db import transaction

from fittingroom.core.cache_atomic import cache_incr

logger = logging.getLogger(__name__)
CACHE_ERRORS = (redis.RedisError, OSError)
ROW_SECONDS = 60  # a backstop: writes invalidate at once
VERSION_SECONDS = 7 * 24 * 3600  # outlives any row cached under it


def _row_key(domain: str) -> str:
    return f"shop:row:{domain}"


def _version_key(domain: str) -> str:
    return f"shop:version:{domain}"


def shop_cached(*, domain: str, load):
    """The shop for `domain`: from the cache when its version is current, else `load()`
    (None when there is none, which is not cached)."""
    row_key, version_key = _row_key(domain), _version_key(domain)
    try:
        found = cache.get_many([row_key, version_key])
    except CACHE_ERRORS:
        logger.warning("shop cache unreachable; reading the database", exc_info=True)
        return load()
    version = found.get(version_key, 0)
    cached = found.get(row_key)
    if cached is not None and cached[0] == version:
        return cached[1]
    shop = load()
    if shop is not None:
        try:
            cache.set(row_key, (version, shop), ROW_SECONDS)
        except CACHE_ERRORS:
            logger.warning("shop cache unreachable; row not kept", exc_info=True)
    return shop


def shop_cache_invalidate(domains: Iterable[str]) -> None:
    """Bump the versions of `domains` now and again once the current transaction commits."""
    domains = sorted({domain for domain in domains if domain})
    if not domains:
        return
    _bump(domains)
    transaction.on_commit(lambda: _bump(domains))


def _bump(domains: list[str]) -> None:
    try:
        for domain in domains:
            cache_incr(_version_key(domain), timeout=VERSION_SECONDS)
    except CACHE_ERRORS:
        logger.warning("shop cache unreachable; %s expire within %s s", domains, ROW_SECONDS)


def invalidate_on_save_and_delete() -> None:
    """Saves and deletes of a shop (a deleted account's too: the cascade sends the signals)
    invalidate its row; queryset updates do so in ShopQuerySet."""
    from django.db.models.signals import post_delete, post_save

    from shopify_integration.models import Shop

    def invalidate(sender, instance, **kwargs) -> None:
        shop_cache_invalidate([instance.domain])

    post_save.connect(invalidate, sender=Shop, weak=False, dispatch_uid="shop-cache-save")
    post_delete.connect(invalidate, sender=Shop, weak=False, dispatch_uid="shop-cache-delete")
