"""The shopper's widget on the demo storefront, driven in Chromium as a shopper would use it."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from fittingroom.generations.models import Generation
from shopify_integration.models import Shop
from tests.conftest import PERSON_PHOTO

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TSHIRT = "/products/classic-crew-tee"
BUTTON = ".fr-button"
DIALOG = "dialog.fr-dialog"


def demo_account():
    return Shop.objects.get(domain=settings.DEMO_SHOP_DOMAIN).account


def open_widget(page, url: str) -> None:
    page.goto(url)
    page.locator(BUTTON).click()  # waits until check-credits has shown it
    page.locator(DIALOG).wait_for(state="visible")


def test_a_shopper_tries_a_garment_on_and_adds_the_shown_variant_to_the_cart(page, storefront):
    page.goto(storefront + TSHIRT)
    page.select_option("#variant", "11003")  # red, after the page was rendered with white
    page.locator(BUTTON).click()
    dialog = page.locator(DIALOG)
    assert dialog.get_attribute("aria-modal") == "true"
    title_id = dialog.get_attribute("aria-labelledby")
    assert page.locator(f"#{title_id}").inner_text() == "Try on Classic Crew T-shirt"
    assert "deleted after 7 days" in dialog.inner_text()
    assert page.locator("[data-act=gallery]").is_disabled()  # no upload before consent

    page.locator(".fr-consent").check()
    page.locator(".fr-input-gallery").set_input_files(PERSON_PHOTO)

    result = page.locator(".fr-result")
    result.wait_for(state="visible", timeout=30_000)
    assert result.evaluate("image => image.naturalWidth") > 0
    generation = Generation.objects.get()
    assert generation.status == Generation.Status.COMPLETED
    assert generation.variant_id == "gid://shopify/ProductVariant/11003"
    assert generation.shopper_key.startswith("visitor:v_")

    page.locator("[data-act=toggle]").click()  # before: the shopper's own photo
    assert result.get_attribute("src").startswith("blob:")
    page.locator("[data-act=toggle]").click()
    assert result.get_attribute("src").startswith(storefront + "/files/")

    page.locator("[data-act=cart]").click()
    page.locator(".fr-cart-msg", has_text="Added to cart.").wait_for()
    cart = page.evaluate("fetch('/cart.js').then(response => response.json())")
    assert [(item["variant_id"], item["quantity"]) for item in cart["items"]] == [(11003, 1)]


def test_the_weekly_limit_says_when_it_resets(page, demo_site):
    account = demo_account()
    account.shopper_weekly_limit = 1
    account.save()
    used_at = timezone.now() - timedelta(days=2)
    Generation.objects.create(
        account=account,
        shopper_key="visitor:v_limit_test_01",
        client_ip="198.51.100.1",
        catalog_source="demo",
        product_id="gid://shopify/Product/1002",
        garment_image_ref="demo:dress-black.png",
        engine="local",
        status=Generation.Status.COMPLETED,
        created_at=used_at,
        deadline_at=used_at + timedelta(minutes=3),
    )
    page.add_init_script("localStorage.setItem('fittingRoom.visitorId', 'v_limit_test_01')")

    open_widget(page, demo_site + TSHIRT)
    page.locator(".fr-consent").check()
    page.locator(".fr-input-gallery").set_input_files(PERSON_PHOTO)

    error = page.locator(".fr-error")
    error.wait_for(state="visible")
    offset = page.evaluate("new Date().getTimezoneOffset()")
    resets = used_at + timedelta(days=7) - timedelta(minutes=offset)  # in the browser's zone
    assert page.locator(DIALOG).get_attribute("data-error") == "RATE_LIMIT_EXCEEDED"
    assert "You have used all your try-ons for this week" in error.inner_text()
    assert f"{resets:%A}, {resets:%B} {resets.day}" in error.inner_text()
    assert Generation.objects.count() == 1


def test_keyboard_only_use_works(page, demo_site):
    page.goto(demo_site + TSHIRT)
    page.locator(BUTTON).wait_for(state="visible")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('fr-button')"):
            break
    else:
        pytest.fail("Tab never reached the Try it on button")

    page.keyboard.press("Enter")
    page.locator(DIALOG).wait_for(state="visible")
    assert page.evaluate("document.activeElement.className") == "fr-consent"
    page.keyboard.press("Space")
    assert page.locator(".fr-consent").is_checked()
    assert page.locator("[data-act=camera]").is_enabled()
    for _ in range(12):  # focus stays in the dialog however far one tabs
        page.keyboard.press("Tab")
        assert page.evaluate("!!document.activeElement.closest('dialog.fr-dialog')")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("!!document.activeElement.closest('dialog.fr-dialog')")

    page.keyboard.press("Escape")
    page.locator(DIALOG).wait_for(state="hidden")
    assert page.evaluate("document.activeElement.classList.contains('fr-button')")


def test_a_320_pixel_wide_screen_has_no_horizontal_overflow(page, demo_site):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(demo_site + TSHIRT)
    page.locator(BUTTON).wait_for(state="visible")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 320

    page.locator(BUTTON).click()
    page.locator(".fr-consent").check()
    box = page.locator(DIALOG).bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 320
    # Without a touch screen "Take a photo" is hidden (it would open the same picker).
    assert page.locator("[data-act=camera]").is_hidden()
    for selector in (".fr-close", "[data-act=gallery]"):
        target = page.locator(selector).bounding_box()
        assert target["x"] >= 0 and target["x"] + target["width"] <= 320, selector
        assert target["height"] >= 44, selector  # a thumb-sized target
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 320


def test_the_widget_hides_itself_when_check_credits_says_no(page, demo_site):
    account = demo_account()
    account.quota_limit = 0
    account.save()

    page.goto(demo_site + TSHIRT)

    page.locator(".fr-block[data-state=unavailable]").wait_for(state="attached")
    assert page.locator(BUTTON).is_hidden()


def test_a_french_shop_shows_french_text(page, demo_site):
    open_widget(page, demo_site + TSHIRT + "?locale=fr")

    assert page.locator(BUTTON).inner_text() == "Essayer"
    assert page.locator(".fr-title").inner_text() == "Essayer Classic Crew T-shirt"
    assert "supprimée après 7 jours" in page.locator(DIALOG).inner_text()
    assert re.search(r"Choisir une photo", page.locator("[data-act=gallery]").inner_text())


def test_a_too_dark_photo_is_explained_in_the_shops_language_before_any_try_on(
    page, demo_site, tmp_path
):
    import numpy as np
    from PIL import Image

    from tests.fittingroom.images.photo_corpus import person_photo

    dark = tmp_path / "dark.jpg"
    pixels = np.asarray(person_photo((900, 1125), person_height=0.6)).astype(np.float32) * 0.14
    Image.fromarray(pixels.astype(np.uint8)).save(dark, quality=90)
    open_widget(page, demo_site + TSHIRT + "?locale=fr")

    page.locator(".fr-consent").check()
    page.locator(".fr-input-gallery").set_input_files(dark)

    message = page.locator("section[data-step=error]")
    message.wait_for(state="visible", timeout=30_000)
    assert "trop sombre" in message.inner_text()
    assert page.locator(DIALOG).get_attribute("data-error") == "PHOTO_TOO_DARK"
    assert message.locator(".fr-primary").get_attribute("data-act") == "another"
    assert not Generation.objects.exists()  # no try-on was asked for, nothing charged


def test_a_photo_the_browser_cannot_shrink_goes_straight_to_storage(page, storefront, tmp_path):
    """A HEIC (Chromium cannot decode it) over 4 MB: prepare-upload, PUT, upload-complete."""
    import numpy as np
    import pillow_heif

    from tests.fittingroom.images.photo_corpus import person_photo

    photo = np.asarray(person_photo((2400, 3000), person_height=0.6)).astype(np.int16)
    grain = np.random.default_rng(1).integers(-40, 40, photo.shape, dtype=np.int16)
    pixels = np.clip(photo + grain, 0, 255).astype(np.uint8)
    heic = tmp_path / "big.heic"
    pillow_heif.from_bytes(mode="RGB", size=(2400, 3000), data=pixels.tobytes()).save(
        heic, quality=100
    )
    assert heic.stat().st_size > 4 * 1024 * 1024
    requests: list[str] = []
    page.on("request", lambda request: requests.append(f"{request.method} {request.url}"))
    open_widget(page, storefront + TSHIRT)

    page.locator(".fr-consent").check()
    page.locator(".fr-input-gallery").set_input_files(heic)

    page.locator(".fr-result").wait_for(state="visible", timeout=60_000)
    assert any("prepare-upload" in line for line in requests)
    assert any(line.startswith("PUT ") and "/uploads/" in line for line in requests)
    assert any("upload-complete" in line for line in requests)
    assert not any("upload-image" in line for line in requests)
