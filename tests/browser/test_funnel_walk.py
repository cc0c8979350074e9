"""Issue 15's walk, in Chromium: product page → try on → share (the link opens logged out, with
the image and OG tags) → add to cart with the job property; a signed orders/create for that
cart makes /shopify/api/analytics show the order and its revenue; the same events and the same
webhook sent again change nothing."""

import json
import re
import time
import uuid

import pytest
import requests
from django.conf import settings

from fittingroom.analytics.models import TrackingEvent
from fittingroom.generations.models import Generation
from fittingroom.sharing.models import ShareLink
from tests.conftest import PERSON_PHOTO
from tests.shopify_integration.billing.conftest import session_token
from tests.shopify_integration.webhooks.shopify_webhooks import shopify_hmac

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TSHIRT = "/products/classic-crew-tee"
WALK = {
    "product_page:page_view",
    "widget:button_click",
    "widget:image_upload",
    "widget:generation_start",
    "widget:result_view",
    "widget:share_clicked",
    "widget:add_to_cart_clicked",
    "widget:add_to_cart_success",
}


def wait_until(check, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
    return value


def analytics(base: str) -> dict:
    token = session_token(settings.DEMO_SHOP_DOMAIN)
    response = requests.get(
        f"{base}/shopify/api/analytics?days=7",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


def send_order(base: str, cart: dict, webhook_id: str) -> requests.Response:
    """orders/create as Shopify sends it for this cart: line properties and cart attributes."""
    order = {
        "id": 820982911946154508,
        "created_at": "2026-12-07T12:00:00+00:00",
        "currency": "USD",
        "customer": None,
        "note_attributes": [{"name": k, "value": v} for k, v in cart["attributes"].items()],
        "line_items": [
            {
                "id": 866550311766439020 + index,
                "product_id": item["product_id"],
                "variant_id": item["variant_id"],
                "quantity": item["quantity"],
                "price": f"{item['price'] / 100:.2f}",
                "total_discount": "0.00",
                "properties": [{"name": k, "value": v} for k, v in item["properties"].items()],
            }
            for index, item in enumerate(cart["items"])
        ],
    }
    body = json.dumps(order).encode()
    return requests.post(
        f"{base}/shopify/webhooks",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Shopify-Hmac-SHA256": shopify_hmac(body, settings.SHOPIFY_API_SECRET),
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Shop-Domain": settings.DEMO_SHOP_DOMAIN,
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-API-Version": "2026-10",
        },
        timeout=10,
    )


def test_a_try_on_is_shared_bought_and_counted_exactly_once(page, browser, storefront, settings):
    settings.SHOPIFY_API_SECRET = "shpss_" + "b2" * 16  # session tokens want 32 bytes or more
    batches: list[str] = []
    page.on(
        "request",
        lambda r: batches.append(r.post_data) if r.url.endswith("tracking/events") else None,
    )

    page.goto(storefront + TSHIRT)
    page.locator(".fr-button").click()
    page.locator(".fr-consent").check()
    page.locator(".fr-input-gallery").set_input_files(PERSON_PHOTO)
    page.locator(".fr-result").wait_for(state="visible", timeout=30_000)
    job = Generation.objects.get()

    # Headless Chromium has no Web Share API; the clipboard it has would wait for a permission
    # prompt, so the copy lands in a variable the test reads.
    page.evaluate("navigator.clipboard.writeText = text => Promise.resolve(window.copied = text)")
    page.locator("[data-act=share]").click()
    page.locator(".fr-cart-msg", has_text="Link copied.").wait_for()
    assert "30 days, even after your photo is deleted" in page.locator(".fr-cart-msg").inner_text()
    share_url = page.evaluate("window.copied")
    assert share_url == f"{storefront}/s/{ShareLink.objects.get(generation=job).token}"

    visitor = browser.new_context()  # logged out: no cookie, no storage of the shopper's
    try:
        shared = visitor.new_page()
        assert shared.goto(share_url).status == 200
        og_image = shared.locator('meta[property="og:image"]').get_attribute("content")
        assert og_image.startswith(storefront)
        assert shared.locator("[data-share-image]").evaluate("img => img.naturalWidth") > 0
        assert shared.request.get(og_image).status == 200
    finally:
        visitor.close()

    page.locator("[data-act=cart]").click()
    page.locator(".fr-cart-msg", has_text="Added to cart.").wait_for()
    cart = wait_until(
        lambda: (c := page.evaluate("fetch('/cart.js').then(r => r.json())"))["attributes"] and c
    )
    assert cart["items"][0]["properties"] == {"_fitting_room_job": job.id}
    visitor_id = cart["attributes"]["_fitting_room_visitor"]
    assert job.shopper_key == f"visitor:{visitor_id}"

    wait_until(lambda: set(TrackingEvent.objects.values_list("name", flat=True)) >= WALK)
    webhook_id = str(uuid.uuid4())
    assert send_order(storefront, cart, webhook_id).status_code == 200
    body = wait_until(lambda: (a := analytics(storefront))["funnel"]["orders"] and a)
    assert body["revenue"][0]["currency"] == "USD"
    assert body["revenue"][0]["direct"] == f"{cart['items'][0]['price'] / 100:.2f}"
    assert body["funnel"]["results"] == 1 and body["funnel"]["addToCarts"] == 1

    for batch in list(batches):  # the same events again (each one is also recorded)
        page.evaluate(
            "body => fetch('/apps/fitting-room/public/tracking/events', {method: 'POST', "
            "headers: {'Content-Type': 'application/json'}, body})",
            batch,
        )
    assert send_order(storefront, cart, webhook_id).json() == {"status": "duplicate"}
    assert send_order(storefront, cart, str(uuid.uuid4())).status_code == 200  # redelivered
    time.sleep(2)  # give the worker the time to (not) count anything twice
    again = analytics(storefront)
    assert again["funnel"] == body["funnel"] and again["revenue"] == body["revenue"]
    assert re.fullmatch(r"shr_\w+", share_url.rsplit("/", 1)[1])
