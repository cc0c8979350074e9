"""The merchant page's daily usage (selector and /shopify/api/usage) and plan-at-a-glance fields."""

import time
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fittingroom.accounts.models import Account
from fittingroom.generations.models import Generation
from shopify_integration.install.selectors import shop_daily_usage
from shopify_integration.models import Shop
from tests.shopify_integration.install.test_merchant_api import bearer, get_settings

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 31)


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def generations(account: Account, created: list[datetime], **fields) -> None:
    values = {
        "shopper_key": "visitor:usage-0001",
        "client_ip": "203.0.113.7",
        "catalog_source": "demo",
        "product_id": "gid://shopify/Product/1001",
        "garment_image_ref": "demo:tshirt-white.png",
        "engine": "local",
        "status": Generation.Status.COMPLETED,
    } | fields
    Generation.objects.bulk_create(
        Generation(account=account, created_at=when, deadline_at=when, **values) for when in created
    )


def test_daily_usage_counts_the_shops_own_try_ons_per_utc_day_with_zero_days(shop, other_shop):
    yesterday = TODAY - timedelta(days=1)
    generations(shop.account, [at(TODAY, 0), at(TODAY, 23), at(yesterday)])
    generations(
        shop.account,
        [at(yesterday, 8)],
        status=Generation.Status.FAILED,
        refunded_at=timezone.now(),
    )
    generations(shop.account, [at(TODAY - timedelta(days=30))])  # just outside the window
    generations(other_shop.account, [at(TODAY)] * 5)

    with CaptureQueriesContext(connection) as queries:
        days = shop_daily_usage(shop=shop, days=30, today=TODAY)

    assert len(queries) == 1
    assert len(days) == 30
    assert days[0].day == TODAY - timedelta(days=29) and days[-1].day == TODAY
    assert (days[-1].try_ons, days[-1].failed) == (2, 0)
    assert (days[-2].try_ons, days[-2].failed) == (1, 1)
    assert sum(day.try_ons for day in days[:-2]) == 0


def test_the_usage_api_answers_for_the_session_tokens_shop_only(client, shop, other_shop):
    generations(shop.account, [timezone.now()] * 3)
    generations(other_shop.account, [timezone.now()] * 7)

    response = client.get("/shopify/api/usage", **bearer(shop.domain))

    assert response.status_code == 200
    body = response.json()
    assert len(body["days"]) == 30 and body["total"] == 3
    assert body["days"][-1] == {
        "date": timezone.now().date().isoformat(),
        "tryOns": 3,
        "failed": 0,
    }
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("days", ["0", "91", "abc", "-3"])
def test_the_usage_api_refuses_a_bad_number_of_days(client, shop, days):
    response = client.get("/shopify/api/usage", {"days": days}, **bearer(shop.domain))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "VALIDATION_FAILED"
    assert body["details"][0]["path"] == "days"


def test_the_usage_api_takes_a_shorter_window(client, shop):
    response = client.get("/shopify/api/usage", {"days": "7"}, **bearer(shop.domain))
    assert len(response.json()["days"]) == 7


def test_the_usage_api_needs_a_session_token(client, shop):
    assert client.get("/shopify/api/usage").status_code == 401


def test_daily_usage_of_a_shop_with_10000_generations_takes_one_quick_query(shop, other_shop):
    now = timezone.now()
    spread = [now - timedelta(minutes=4 * n) for n in range(10_000)]  # about 28 days
    generations(shop.account, spread)
    generations(other_shop.account, spread[:2_000])

    started = time.perf_counter()
    days = shop_daily_usage(shop=shop)
    elapsed = time.perf_counter() - started

    assert sum(day.try_ons for day in days) == 10_000
    print(f"\nshop_daily_usage, 10 000 generations: {elapsed * 1000:.1f} ms")
    assert elapsed < 2.0


def test_the_settings_show_the_plan_at_a_glance(client, shop):
    Shop.objects.filter(id=shop.id).update(plan_name="Fitting Room Growth")
    Account.objects.filter(id=shop.account_id).update(
        quota_limit=4500, quota_used=2100, quota_period_end=timezone.now() + timedelta(days=9)
    )

    usage = get_settings(client, shop).json()["usage"]

    assert usage["included"] == 2000 and usage["overageUsed"] == 100
    assert usage["overagePrice"] == "0.04" and usage["freeAllowance"] is None


def test_the_settings_show_the_free_allowance_without_a_plan(client, shop, settings):
    Shop.objects.filter(id=shop.id).update(plan_name="", billing_status=Shop.Billing.NONE)

    body = get_settings(client, shop).json()

    assert body["plan"] == {"name": None, "status": "none"}
    assert body["usage"]["freeAllowance"] == settings.FREE_MONTHLY_ALLOWANCE
    assert body["usage"]["included"] is None and body["usage"]["overagePrice"] is None
