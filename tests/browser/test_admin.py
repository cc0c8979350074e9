"""An operator in a real browser: logs in to the admin and sees a generation's three images."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from fittingroom.catalog import catalog_source_for
from fittingroom.generations.models import Generation
from fittingroom.generations.services import generation_create, generation_render
from fittingroom.images.services import person_image_upload
from fittingroom.limits.shoppers import Shopper
from tests.conftest import make_shop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct-horse-battery-staple"


def completed_generation(person_jpeg: bytes) -> Generation:
    account = make_shop().account
    shopper = Shopper(key="visitor:browser-0001", ip="203.0.113.7")
    upload = SimpleUploadedFile("me.jpg", person_jpeg, content_type="image/jpeg")
    image = person_image_upload(account=account, shopper=shopper, upload=upload)
    garment = catalog_source_for(account).garment_for(
        account=account, product_id="gid://shopify/Product/1001", variant_id=None
    )
    generation = generation_create(
        account=account,
        shopper=shopper,
        person_image=image,
        garment=garment,
        catalog_source=account.catalog_source,
    )
    generation_render(generation_id=generation.id)
    generation.refresh_from_db()
    assert generation.status == Generation.Status.COMPLETED
    return generation


def log_in(page, base_url: str, next_path: str) -> None:
    get_user_model().objects.create_superuser("operator", "operator@example.com", PASSWORD)
    page.goto(f"{base_url}/admin/login/?next={next_path}")
    page.get_by_label("Username").fill("operator")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def natural_widths(page) -> list[int]:
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.fr-thumb')].every(img => img.complete)"
    )
    return page.eval_on_selector_all("img.fr-thumb", "imgs => imgs.map(img => img.naturalWidth)")


def test_an_operator_sees_the_photo_garment_and_result_of_a_completed_generation(
    page, live_server, settings, person_jpeg
):
    settings.PUBLIC_BASE_URL = live_server.url  # signed file URLs point at the live server
    generation = completed_generation(person_jpeg)
    change = f"/admin/generations/generation/{generation.id}/change/"

    log_in(page, live_server.url, change)

    page.wait_for_url(f"**{change}")
    assert page.locator("img.fr-thumb").count() == 3
    assert [alt for alt in page.eval_on_selector_all("img.fr-thumb", "i => i.map(x => x.alt)")] == [
        "Shopper's photo",
        "Garment",
        "Try-on result",
    ]
    assert all(width > 0 for width in natural_widths(page))

    page.goto(f"{live_server.url}/admin/generations/generation/?status__exact=COMPLETED")
    page.locator("img.fr-thumb").first.scroll_into_view_if_needed()
    assert page.locator("#result_list tbody tr").count() == 1
    assert all(width > 0 for width in natural_widths(page))
