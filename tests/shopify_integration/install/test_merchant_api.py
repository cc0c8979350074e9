"""The merchant JSON API behind the embedded page, called with App Bridge session tokens."""

import io
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from shopify_integration.billing.plans import PLANS
from shopify_integration.install.services import LOGO_MAX_BYTES
from tests.conftest import image_bytes, io_file, make_shop
from tests.emulators.shopify_oauth import session_token

pytestmark = pytest.mark.django_db


def bearer(shop_domain: str, **claims) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {session_token(shop_domain, **claims)}"}


def get_settings(client, shop):
    return client.get("/shopify/api/settings", **bearer(shop.domain))


def patch_settings(client, shop, body: dict):
    return client.patch(
        "/shopify/api/settings", body, content_type="application/json", **bearer(shop.domain)
    )


def upload_logo(client, shop, content: bytes, name: str = "logo.png"):
    return client.post(
        "/shopify/api/watermark", {"file": io_file(content, name)}, **bearer(shop.domain)
    )


def test_it_reads_the_settings_of_the_shop_in_the_session_token(client, shop, settings):
    account = shop.account
    account.quota_used, account.quota_period_end = 12, timezone.now() + timedelta(days=3)
    account.save()
    shop.widget_product_tag = "try-on"
    shop.save()

    response = get_settings(client, shop)

    assert response.status_code == 200
    body = response.json()
    assert body["plan"] == {"name": "Demo", "status": "active"}
    assert body["usage"]["used"] == 12 and body["usage"]["quota"] == 500
    assert body["usage"]["periodEnd"] is not None
    assert body["shopperWeeklyLimit"] == account.shopper_weekly_limit
    assert body["watermarkEnabled"] is True and body["hasWatermarkLogo"] is False
    assert body["widgetProductTag"] == "try-on"
    assert body["themeEditorUrl"] == (
        f"https://{shop.domain}/admin/themes/current/editor?template=product"
        f"&addAppBlockId={settings.SHOPIFY_API_KEY}/fitting-room&target=mainSection"
    )
    assert [plan["key"] for plan in body["plans"]] == [plan.key for plan in PLANS]
    assert body["plans"][1] == {
        "key": "growth",
        "name": "Fitting Room Growth",
        "price": "49.00",
        "monthlyQuota": 2000,
        "overagePrice": "0.04",
    }
    assert response["Cache-Control"] == "no-store"


def test_usage_of_an_ended_period_reads_as_zero(client, shop):
    account = shop.account
    account.quota_used, account.quota_period_end = 40, timezone.now() - timedelta(days=1)
    account.save()

    usage = get_settings(client, shop).json()["usage"]

    assert (usage["used"], usage["quota"], usage["periodEnd"]) == (0, 500, None)
    assert usage["overageUsed"] == 0


def test_a_patch_changes_the_given_settings_and_answers_with_all_of_them(client, shop):
    response = patch_settings(
        client,
        shop,
        {"shopperWeeklyLimit": 25, "watermarkEnabled": False, "widgetProductTag": " try-on "},
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["shopperWeeklyLimit"], body["watermarkEnabled"]) == (25, False)
    assert body["widgetProductTag"] == "try-on"
    assert get_settings(client, shop).json() == body
    shop.account.refresh_from_db()
    assert shop.account.shopper_weekly_limit == 25 and not shop.account.watermark_enabled


def test_the_merchant_turns_result_reuse_off_and_on(client, shop):
    assert patch_settings(client, shop, {}).json()["resultReuseEnabled"] is True

    body = patch_settings(client, shop, {"resultReuseEnabled": False}).json()

    assert body["resultReuseEnabled"] is False
    shop.account.refresh_from_db()
    assert not shop.account.result_reuse_enabled
    assert patch_settings(client, shop, {"resultReuseEnabled": True}).json()["resultReuseEnabled"]


def test_a_patch_leaves_settings_it_does_not_name_alone(client, shop):
    patch_settings(client, shop, {"shopperWeeklyLimit": 7, "widgetProductTag": "tag"})

    body = patch_settings(client, shop, {"watermarkEnabled": False}).json()

    assert (body["shopperWeeklyLimit"], body["widgetProductTag"]) == (7, "tag")


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"shopperWeeklyLimit": 0}, "shopperWeeklyLimit"),
        ({"shopperWeeklyLimit": 101}, "shopperWeeklyLimit"),
        ({"shopperWeeklyLimit": "many"}, "shopperWeeklyLimit"),
        ({"watermarkEnabled": "perhaps"}, "watermarkEnabled"),
        ({"widgetProductTag": "x" * 256}, "widgetProductTag"),
    ],
)
def test_a_patch_with_a_bad_value_is_refused_in_the_error_shape(client, shop, body, path):
    before = get_settings(client, shop).json()

    response = patch_settings(client, shop, body)

    assert response.status_code == 400
    error = response.json()
    assert (error["code"], error["status"]) == ("VALIDATION_FAILED", 400)
    assert [detail["path"] for detail in error["details"]] == [path]
    assert get_settings(client, shop).json() == before


def test_without_a_session_token_the_api_answers_401(client, shop):
    response = client.get("/shopify/api/settings")

    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"secret": "y" * 40}, id="wrong-secret"),
        pytest.param({"audience": "another-app"}, id="wrong-audience"),
        pytest.param({"issuer_shop": "other-store.myshopify.com"}, id="other-shop-iss"),
        pytest.param({"issued_at": 0}, id="expired"),
    ],
)
def test_a_bad_session_token_is_refused(client, shop, claims):
    response = client.get("/shopify/api/settings", **bearer(shop.domain, **claims))

    assert response.status_code == 401


def test_a_session_token_signed_with_the_previous_secret_still_counts(client, shop, settings):
    previous = settings.SHOPIFY_API_SECRET
    settings.SHOPIFY_API_SECRET_PREVIOUS = previous
    settings.SHOPIFY_API_SECRET = "shpss_" + "7a" * 16

    response = client.get("/shopify/api/settings", **bearer(shop.domain, secret=previous))

    assert response.status_code == 200


def test_a_shop_that_is_not_installed_is_refused(client, shop):
    shop.is_installed = False
    shop.save()

    assert get_settings(client, shop).status_code == 401


def test_a_session_token_of_shop_a_cannot_change_shop_b(client, shop, other_shop):
    limit_of_b = other_shop.account.shopper_weekly_limit
    token_of_a_naming_b = bearer(shop.domain, issuer_shop=other_shop.domain)

    as_a = patch_settings(client, shop, {"shopperWeeklyLimit": 3})
    forged = client.patch(
        "/shopify/api/settings",
        {"shopperWeeklyLimit": 4},
        content_type="application/json",
        **token_of_a_naming_b,
    )

    assert as_a.status_code == 200 and forged.status_code == 401
    other_shop.account.refresh_from_db()
    assert other_shop.account.shopper_weekly_limit == limit_of_b
    assert get_settings(client, other_shop).json()["shopperWeeklyLimit"] == limit_of_b


def logo_name(shop) -> str:
    shop.account.refresh_from_db()
    return shop.account.watermark_logo.name


def stored_logo(shop) -> Image.Image:
    with default_storage.open(logo_name(shop), "rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


def test_a_transparent_png_logo_is_stored_as_a_png_of_at_most_512_px(client, shop):
    logo = image_bytes("PNG", size=(1200, 600), color=(10, 20, 30, 0), alpha=True)

    response = upload_logo(client, shop, logo)

    assert response.status_code == 200, response.content
    assert response.json()["hasWatermarkLogo"] is True
    image = stored_logo(shop)
    assert (image.format, image.mode, image.size) == ("PNG", "RGBA", (512, 256))
    assert image.getpixel((0, 0))[3] == 0  # transparency kept
    assert shop.account.watermark_logo.name.startswith("logos/")


def test_a_jpeg_or_webp_logo_is_re_encoded_as_png(client, shop):
    upload_logo(client, shop, image_bytes("JPEG", size=(300, 100)), name="logo.jpg")
    assert stored_logo(shop).format == "PNG"

    webp = io.BytesIO()
    Image.new("RGBA", (200, 200), (0, 0, 0, 0)).save(webp, format="WEBP", lossless=True)
    assert upload_logo(client, shop, webp.getvalue(), name="logo.webp").status_code == 200
    assert stored_logo(shop).getpixel((5, 5))[3] == 0


def test_a_new_logo_replaces_the_old_file(client, shop):
    upload_logo(client, shop, image_bytes("PNG", size=(100, 100)))
    first = logo_name(shop)

    upload_logo(client, shop, image_bytes("PNG", size=(120, 120)))

    assert logo_name(shop) != first
    assert stored_logo(shop).size == (120, 120)
    assert not default_storage.exists(first)


@pytest.mark.parametrize(
    ("content", "name", "status", "code"),
    [
        (b"GIF89a not really", "logo.gif", 400, "INVALID_IMAGE"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "logo.svg", 400, "INVALID_IMAGE"),
        (image_bytes("PNG", size=(8, 8)), "tiny.png", 400, "INVALID_IMAGE"),
        (b"\x89PNG" + b"0" * LOGO_MAX_BYTES, "huge.png", 413, "FILE_TOO_LARGE"),
    ],
)
def test_a_bad_logo_is_refused_and_nothing_is_stored(client, shop, content, name, status, code):
    response = upload_logo(client, shop, content, name)

    assert response.status_code == status
    assert response.json()["code"] == code
    shop.account.refresh_from_db()
    assert not shop.account.watermark_logo


def test_an_upload_without_a_file_is_refused(client, shop):
    response = client.post("/shopify/api/watermark", {}, **bearer(shop.domain))

    assert response.status_code == 400
    assert response.json()["code"] == "FILE_REQUIRED"


def test_deleting_the_logo_removes_the_file(client, shop):
    upload_logo(client, shop, image_bytes("PNG", size=(100, 100)))
    name = logo_name(shop)

    response = client.delete("/shopify/api/watermark", **bearer(shop.domain))

    assert response.status_code == 200
    assert response.json()["hasWatermarkLogo"] is False
    assert not default_storage.exists(name)
    assert client.delete("/shopify/api/watermark", **bearer(shop.domain)).status_code == 200


def test_a_shop_cannot_delete_another_shops_logo(client, shop, other_shop):
    upload_logo(client, other_shop, image_bytes("PNG", size=(100, 100)))

    client.delete("/shopify/api/watermark", **bearer(shop.domain))

    other_shop.account.refresh_from_db()
    assert other_shop.account.watermark_logo


def test_the_settings_of_a_newly_installed_shop_show_the_free_allowance(client, settings):
    shop = make_shop("fresh.myshopify.com", quota=settings.FREE_MONTHLY_ALLOWANCE)
    shop.plan_name, shop.billing_status = "", "none"
    shop.save()

    plan = get_settings(client, shop).json()["plan"]

    assert plan == {"name": None, "status": "none"}
