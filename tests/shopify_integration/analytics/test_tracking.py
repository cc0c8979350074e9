"""POST /proxy/public/tracking/events: bulk ingest, dedupe, counters, validation, throttle."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fittingroom.analytics.models import DailyCounter, TrackingEvent
from fittingroom.analytics.services import events_expire
from tests.shopify_integration.analytics.funnel import PRODUCT, batch, event

pytestmark = pytest.mark.django_db
URL = "tracking/events"


def counters(account) -> dict:
    return {
        (row.product_id, row.event): row.count
        for row in DailyCounter.objects.filter(account=account)
    }


def test_a_batch_is_stored_and_counted_per_product_and_day(proxy, shop):
    body = batch(
        event("product_page:page_view"),
        event("widget:button_click"),
        event("widget:generation_start", job_id="gen_abc"),
        event("widget:share_clicked", product_id="gid://shopify/Product/2002"),
    )

    response = proxy.post_json(URL, body)

    assert response.status_code == 200 and response.json() == {"success": True}
    assert TrackingEvent.objects.filter(account=shop.account).count() == 4
    assert counters(shop.account) == {
        (PRODUCT, "product_page:page_view"): 1,
        (PRODUCT, "widget:button_click"): 1,
        (PRODUCT, "widget:generation_start"): 1,
        ("gid://shopify/Product/2002", "widget:share_clicked"): 1,
    }
    start = TrackingEvent.objects.get(name="widget:generation_start")
    assert (start.shopper_key, start.generation_id, start.known) == (
        "visitor:visitor-0001",
        "gen_abc",
        True,
    )


def test_the_same_batch_sent_twice_counts_once(proxy, shop):
    body = batch(event("widget:button_click"), event("widget:image_upload"))

    proxy.post_json(URL, body)
    again = proxy.post_json(URL, body)

    assert again.status_code == 200
    assert TrackingEvent.objects.count() == 2
    assert sum(counters(shop.account).values()) == 2


def test_the_same_insert_id_in_another_shop_is_another_event(proxy, shop, other_shop):
    body = batch(event("widget:button_click"))

    proxy.post_json(URL, body)
    proxy.as_(shop=other_shop.domain).post_json(URL, body)

    assert sum(counters(shop.account).values()) == 1
    assert sum(counters(other_shop.account).values()) == 1


def test_an_unknown_event_name_is_kept_and_flagged(proxy, shop):
    proxy.post_json(URL, batch(event("widget:confetti_shown")))

    stored = TrackingEvent.objects.get()
    assert (stored.name, stored.known) == ("widget:confetti_shown", False)


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"events": []}, "events"),
        ({"events": [event("widget:button_click")] * 51}, "events"),
        ({"events": "nope"}, "events"),
        ({"events": [event("Widget Click")]}, "events[0].event"),
        ({"events": [event("widget:button_click") | {"$insert_id": ""}]}, "events[0].$insert_id"),
        (
            {"events": [event("widget:button_click") | {"timestamp": "yesterday"}]},
            "events[0].timestamp",
        ),
        (
            {"events": [event("widget:button_click") | {"timestamp": "2026-13-45T00:00:00Z"}]},
            "events[0].timestamp",
        ),
        ({"events": [event("widget:button_click", blob="x" * 3000)]}, "events[0].properties"),
        ({"events": [event("widget:button_click"), 7]}, "events[1]"),
    ],
)
def test_a_malformed_batch_is_refused_with_details_and_nothing_stored(proxy, body, path):
    response = proxy.post_json(URL, body)

    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_FAILED"
    assert path in [detail["path"] for detail in response.json()["details"]]
    assert not TrackingEvent.objects.exists()


def test_events_hold_no_ip_address_and_no_email(proxy, shop):
    body = batch(
        event("widget:email_collected", email="me@example.com", note="write to me@example.com"),
        **{"$ip": "203.0.113.7", "$referrer": "https://mail.example/?to=me@example.com"},
    )

    proxy.post_json(URL, body)

    stored = TrackingEvent.objects.get()
    text = str(stored.properties) + str(stored.context) + stored.shopper_key
    assert "me@example.com" not in text and "203.0.113.7" not in text
    assert stored.context["$current_url"] == "https://store.example/products/tee"


def test_a_shopper_without_visitor_id_is_nobody_not_their_address(proxy, shop):
    proxy.post_json(URL, batch(event("widget:button_click"), visitor=""))

    assert TrackingEvent.objects.get().shopper_key == ""


def test_a_logged_in_customer_is_the_shopper(proxy, shop):
    proxy.as_(customer_id="777").post_json(URL, batch(event("widget:button_click")))

    assert TrackingEvent.objects.get().shopper_key == "customer:777"


def test_a_flood_from_one_address_is_throttled(proxy, settings):
    settings.TRACKING_RATE_LIMIT = "3/m"
    statuses = [
        proxy.post_json(URL, batch(event("widget:button_click"))).status_code for _ in range(4)
    ]

    assert statuses == [200, 200, 200, 429]
    assert (
        proxy.as_(ip="198.51.100.9").post_json(URL, batch(event("widget:button_click"))).status_code
        == 200
    )


def test_an_unsigned_batch_is_refused(client, shop):
    response = client.post(
        "/proxy/public/tracking/events",
        batch(event("widget:button_click")),
        content_type="application/json",
    )

    assert response.status_code == 401
    assert not TrackingEvent.objects.exists()


def test_old_raw_events_expire_and_the_counters_stay(proxy, shop, settings):
    proxy.post_json(URL, batch(event("widget:button_click"), event("widget:image_upload")))
    TrackingEvent.objects.filter(name="widget:button_click").update(
        received_at=timezone.now() - timedelta(days=settings.EVENT_RETENTION_DAYS + 1)
    )

    assert events_expire() == 1
    assert list(TrackingEvent.objects.values_list("name", flat=True)) == ["widget:image_upload"]
    assert sum(counters(shop.account).values()) == 2
