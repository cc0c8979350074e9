"""The merchant's "Does try-on sell?" block in a real browser: the funnel and revenue shown,
the CSV export downloaded, e-mail capture switched on."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from fittingroom.analytics.events import batch_parse
from fittingroom.analytics.models import AttributedLine
from fittingroom.analytics.services import events_ingest
from shopify_integration.customers.models import EmailCaptureSetting
from tests.browser.test_merchant_page import connected_shop, open_app

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _client_secret(settings):
    settings.SHOPIFY_API_SECRET = "shpss_" + "7a" * 16


def seed(shop) -> None:
    names = ["widget:button_click"] * 4 + ["widget:generation_start"] * 2 + ["widget:result_view"]
    now = datetime.now(UTC).isoformat()
    body = {
        "events": [
            {"event": name, "timestamp": now, "$insert_id": uuid.uuid4().hex} for name in names
        ],
        "context": {"fr_product_id": "gid://shopify/Product/1001", "fr_client_id": "visitor-1"},
    }
    events_ingest(account=shop.account, batch=batch_parse(body), shopper_key="visitor:visitor-1")
    AttributedLine.objects.create(
        account=shop.account,
        order_id="1",
        line_id="1",
        kind="direct",
        generation_id="gen_x",
        product_id="gid://shopify/Product/1001",
        quantity=1,
        amount=Decimal("42.00"),
        currency="EUR",
        ordered_at=datetime.now(UTC),
    )


def test_the_merchant_sees_the_funnel_exports_csv_and_turns_email_capture_on(page, live_server):
    shop = connected_shop()
    seed(shop)

    open_app(page, live_server.url, shop)

    funnel = page.locator("#analytics-funnel")
    funnel.locator("[data-step=orders]").wait_for()
    assert "4" in funnel.locator("[data-step=buttonClicks]").inner_text()
    assert "2" in funnel.locator("[data-step=generations]").inner_text()
    assert "1" in funnel.locator("[data-step=orders]").inner_text()
    assert "42.00 EUR" in page.locator("#analytics-facts").inner_text()
    assert page.locator("#analytics-chart rect").count() == 30

    with page.expect_download() as download:
        page.locator("#analytics-export").click()
    assert download.value.suggested_filename == "fitting-room-analytics.csv"

    page.locator("#email-capture-enabled").check()
    for _ in range(50):  # the PATCH lands in the background
        if EmailCaptureSetting.objects.filter(shop=shop, enabled=True).exists():
            break
        page.wait_for_timeout(100)
    assert EmailCaptureSetting.objects.get(shop=shop).enabled
