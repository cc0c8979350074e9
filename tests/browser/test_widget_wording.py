"""Widget wording and flow a newcomer noticed: the server's reason for a refused photo, "1
second", a progress bar that never falls back, no button for a product that cannot be tried on,
and one photo button on a desktop."""

import io
import json
import time

import pytest
from PIL import Image

from tests.browser.test_storefront_widget import BUTTON, DIALOG, TSHIRT, open_widget
from tests.conftest import PERSON_PHOTO

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Collects every text of the ETA line and every value of the progress bar, as they change.
WATCH = """
window.__etas = []; window.__bar = [];
new MutationObserver(function () {
  var eta = document.querySelector(".fr-eta"), bar = document.querySelector(".fr-bar");
  if (eta && eta.textContent && window.__etas[window.__etas.length - 1] !== eta.textContent)
    window.__etas.push(eta.textContent);
  if (bar) {
    var value = Number(bar.getAttribute("aria-valuenow"));
    if (window.__bar[window.__bar.length - 1] !== value) window.__bar.push(value);
  }
}).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
"""


def tiny_png() -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10), "white").save(buffer, "PNG")
    return {"name": "tiny.png", "mimeType": "image/png", "buffer": buffer.getvalue()}


def test_a_refused_photo_shows_the_servers_reason(page, demo_site):
    open_widget(page, demo_site + TSHIRT)
    page.locator(".fr-consent").check()

    page.locator(".fr-input-gallery").set_input_files(tiny_png())

    error = page.locator(".fr-error")
    error.wait_for(state="visible")
    assert error.inner_text() == (
        "This photo cannot be used: The image is too small (at least 64 px a side)."
    )


def test_the_countdown_says_1_second_and_the_bar_never_falls_back(page, storefront):
    def slow_status(route):
        if "/generation/" in route.request.url:
            time.sleep(3)  # the render "takes" longer than the shop's typical 2 s
        route.continue_()

    def typical_two_seconds(route):
        answer = route.fetch()
        body = answer.json() | {"typicalSeconds": 2}
        route.fulfill(response=answer, body=json.dumps(body))

    page.route("**/public/check-credits*", typical_two_seconds)
    page.route("**/public/generation/**", slow_status)
    page.add_init_script(WATCH)
    open_widget(page, storefront + TSHIRT)
    page.locator(".fr-consent").check()

    page.locator(".fr-input-gallery").set_input_files(PERSON_PHOTO)
    page.locator(".fr-result").wait_for(state="visible", timeout=30_000)

    etas, bar = page.evaluate("window.__etas"), page.evaluate("window.__bar")
    assert "About 1 second left" in etas, etas
    assert not any("1 seconds" in text for text in etas), etas
    started = bar[bar.index(0) :]  # from the reset at the start of this try-on
    assert started == sorted(started), bar
    assert started[-1] == 100


def test_no_button_for_a_product_that_cannot_be_tried_on(page, demo_site):
    def unknown_product(route):
        html = (
            route.fetch()
            .text()
            .replace(
                'data-product-id="gid://shopify/Product/1001"',
                'data-product-id="gid://shopify/Product/999999"',
            )
        )
        route.fulfill(body=html, content_type="text/html; charset=utf-8")

    page.route(demo_site + TSHIRT, unknown_product)
    page.goto(demo_site + TSHIRT)

    page.locator(".fr-block[data-state=unavailable]").wait_for(state="attached")
    assert page.locator(BUTTON).is_hidden()


def test_a_desktop_offers_one_photo_button(page, demo_site):
    open_widget(page, demo_site + TSHIRT)

    assert page.locator("[data-act=camera]").is_hidden()
    gallery = page.locator("[data-act=gallery]")
    assert gallery.is_visible() and "fr-primary" in gallery.get_attribute("class")


def test_a_phone_offers_the_camera_and_the_gallery(browser, demo_site):
    context = browser.new_context(viewport={"width": 390, "height": 800}, has_touch=True)
    try:
        page = context.new_page()
        open_widget(page, demo_site + TSHIRT)
        assert page.locator(DIALOG).is_visible()
        assert page.locator("[data-act=camera]").is_visible()
        assert page.locator("[data-act=gallery]").is_visible()
    finally:
        context.close()
