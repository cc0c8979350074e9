"""The cached shop row behind proxy requests: served from the cache until any write path
changes the shop, and never stale after one (saves, deletes, queryset updates)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from shopify_integration.models import Shop
from shopify_integration.selectors import ShopNotFound, ShopNotInstalled, shop_for_proxy
from shopify_integration.shop_cache import shop_cached
from tests.conftest import make_shop

pytestmark = pytest.mark.django_db(transaction=True)
DOMAIN = "cached.myshopify.com"


def lookup_queries() -> int:
    with CaptureQueriesContext(connection) as queries:
        shop_for_proxy(domain=DOMAIN)
    return len(queries)


def test_a_second_lookup_reads_no_database():
    make_shop(DOMAIN)
    assert lookup_queries() == 1
    assert lookup_queries() == 0


def test_a_save_is_seen_at_once():
    shop = make_shop(DOMAIN, plan_name="Basic")
    shop_for_proxy(domain=DOMAIN)
    shop.plan_name = "Pro"
    shop.save()
    assert shop_for_proxy(domain=DOMAIN).plan_name == "Pro"


def test_a_queryset_update_is_seen_at_once():
    make_shop(DOMAIN)
    shop_for_proxy(domain=DOMAIN)
    Shop.objects.filter(domain=DOMAIN).update(is_installed=False)
    with pytest.raises(ShopNotInstalled):
        shop_for_proxy(domain=DOMAIN)


def test_a_bulk_update_is_seen_at_once():
    shop = make_shop(DOMAIN, billing_status=Shop.Billing.ACTIVE)
    shop_for_proxy(domain=DOMAIN)
    shop.billing_status = Shop.Billing.FROZEN
    Shop.objects.bulk_update([shop], ["billing_status"])
    assert shop_for_proxy(domain=DOMAIN).billing_status == Shop.Billing.FROZEN


def test_a_deleted_shop_and_one_deleted_with_its_account_are_gone():
    shop = make_shop(DOMAIN)
    shop_for_proxy(domain=DOMAIN)
    shop.account.delete()  # the cascade deletes the shop
    with pytest.raises(ShopNotFound):
        shop_for_proxy(domain=DOMAIN)


def test_a_row_read_before_a_write_committed_is_never_served_after_it():
    """A reader that loads the row while a writer's transaction is open gets the old row and
    caches it under the version it saw: the next reader, after the commit, must not get it."""
    shop = make_shop(DOMAIN, plan_name="Old")
    old = Shop.objects.get(id=shop.id)

    with transaction.atomic():
        Shop.objects.filter(id=shop.id).update(plan_name="New")
        # A reader outside the transaction, racing it: it still reads the old row.
        assert shop_cached(domain=DOMAIN, load=lambda: old).plan_name == "Old"

    assert shop_for_proxy(domain=DOMAIN).plan_name == "New"


def test_the_cached_row_does_not_carry_the_account():
    """The account's counters change with every try-on: whoever needs it reads it fresh."""
    shop = make_shop(DOMAIN, quota=5)
    shop_for_proxy(domain=DOMAIN)
    shop.account.quota_used = 5
    shop.account.save()

    cached = shop_for_proxy(domain=DOMAIN)

    assert cached.account.quota_used == 5


def test_with_the_cache_unreachable_lookups_read_the_database_and_writes_succeed(settings):
    make_shop(DOMAIN, plan_name="Basic")
    settings.CACHES = {
        "default": {
            "BACKEND": "fittingroom.core.redis_cache.KeptClientRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }

    assert shop_for_proxy(domain=DOMAIN).plan_name == "Basic"
    assert Shop.objects.filter(domain=DOMAIN).update(plan_name="Pro") == 1
    assert shop_for_proxy(domain=DOMAIN).plan_name == "Pro"
