"""GET /shopify/api/analytics (and its CSV export): the funnel, conversion, top products and
daily series of the session token's shop only."""

import csv
import io

import pytest
from django.utils import timezone

from tests.shopify_integration.analytics.funnel import PRODUCT, batch, completed_generation, event
from tests.shopify_integration.analytics.orders import line, order_payload
from tests.shopify_integration.install.test_merchant_api import bearer

pytestmark = pytest.mark.django_db
EVENTS = "tracking/events"


def analytics(client, shop, days: int = 30):
    return client.get(f"/shopify/api/analytics?days={days}", **bearer(shop.domain))


def walk(proxy, visitor: str, *names: str) -> None:
    proxy.post_json(EVENTS, batch(*(event(name) for name in names), visitor=visitor))


def test_the_funnel_counts_each_step_of_the_period(client, proxy, shop, webhooks):
    walk(
        proxy,
        "visitor-aaaa",
        "product_page:page_view",
        "widget:button_click",
        "widget:image_upload",
        "widget:generation_start",
        "widget:result_view",
        "widget:add_to_cart_success",
    )
    walk(proxy, "visitor-bbbb", "product_page:page_view", "widget:button_click")
    generation = completed_generation(shop.account)
    webhooks.deliver(
        "orders/create", order_payload(lines=[line(1, job=generation.id)]), shop=shop.domain
    )

    body = analytics(client, shop).json()

    assert body["funnel"] == {
        "buttonClicks": 2,
        "uploads": 1,
        "generations": 1,
        "results": 1,
        "addToCarts": 1,
        "orders": 1,
    }
    assert body["productViews"] == 2
    assert body["daily"][-1] == {
        "date": timezone.now().date().isoformat(),
        "tryOns": 1,
        "results": 1,
        "addToCarts": 1,
        "orders": 1,
    }
    assert len(body["daily"]) == 30
    top = body["topProducts"][0]
    assert (top["productId"], top["title"], top["tryOns"], top["orders"]) == (
        PRODUCT,
        "Classic tee",
        1,
        1,
    )


def test_conversion_compares_shoppers_who_tried_on_with_viewers_who_did_not(client, proxy, shop):
    walk(
        proxy,
        "visitor-try1",
        "product_page:page_view",
        "widget:generation_start",
        "widget:add_to_cart_success",
    )
    walk(proxy, "visitor-try2", "product_page:page_view", "widget:generation_start")
    for index in range(4):
        walk(proxy, f"visitor-view{index}", "product_page:page_view")
    walk(proxy, "visitor-view0", "product_page:cart_add")

    conversion = analytics(client, shop).json()["conversion"]

    assert conversion["triedOn"] == {"shoppers": 2, "addedToCart": 1}
    assert conversion["notTriedOn"] == {"shoppers": 4, "addedToCart": 1}
    assert (conversion["triedOnRate"], conversion["notTriedOnRate"]) == (0.5, 0.25)


def test_another_shop_reads_only_its_own_analytics(client, proxy, shop, other_shop):
    walk(proxy, "visitor-aaaa", "widget:button_click", "widget:generation_start")

    body = analytics(client, other_shop).json()

    assert body["funnel"]["buttonClicks"] == 0 and body["topProducts"] == []


@pytest.mark.parametrize("days", ["0", "91", "x"])
def test_a_bad_period_is_refused(client, shop, days):
    response = client.get(f"/shopify/api/analytics?days={days}", **bearer(shop.domain))

    assert response.status_code == 400 and response.json()["code"] == "VALIDATION_FAILED"


def test_analytics_need_a_session_token(client, shop):
    assert client.get("/shopify/api/analytics").status_code == 401
    assert client.get("/shopify/api/analytics/export").status_code == 401


def test_the_export_is_a_csv_of_the_daily_series(client, proxy, shop):
    walk(proxy, "visitor-aaaa", "widget:generation_start", "widget:generation_start")

    response = client.get("/shopify/api/analytics/export?days=7", **bearer(shop.domain))

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["date", "try_ons", "results", "add_to_carts", "orders"]
    assert len(rows) == 8 and rows[-1] == [timezone.now().date().isoformat(), "2", "0", "0", "0"]
