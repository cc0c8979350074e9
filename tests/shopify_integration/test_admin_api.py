"""The Admin API client against the loopback emulator: real HTTP, real GraphQL, no mocks."""

import pytest

from shopify_integration.admin_api import (
    AdminApiClient,
    AdminApiError,
    AdminApiUnauthorized,
    AdminApiUnavailable,
    GarmentImage,
    ProductNotFoundError,
    VariantMismatchError,
)

SHOP = "demo-fittingroom.myshopify.com"
OTHER_SHOP = "other-store.myshopify.com"
TOKEN = "shpat_emulator_token"
PRODUCT = "gid://shopify/Product/101"
VARIANT = "gid://shopify/ProductVariant/201"
SECOND_VARIANT = "gid://shopify/ProductVariant/202"
OTHER_PRODUCT = "gid://shopify/Product/102"
OTHER_VARIANT = "gid://shopify/ProductVariant/301"
CDN = "https://cdn.shopify.com/s/files/1/0001"


class Sleeps(list):
    """An injected `sleep` that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def admin(shopify_admin, settings, sleeps):
    """Builds a client for SHOP once the test has set the settings it wants."""
    shopify_admin.tokens[SHOP] = TOKEN
    settings.SHOPIFY_ADMIN_API_MAX_RETRIES = 4

    def build(token: str = TOKEN) -> AdminApiClient:
        return AdminApiClient(shop=SHOP, access_token=token, sleep=sleeps)

    return build


def add_shirt(emulator, **fields) -> None:
    values = {
        "title": "Linen shirt",
        "product_type": "Shirts",
        "featured_image_url": f"{CDN}/featured.jpg",
        "media_image_urls": [f"{CDN}/back.jpg"],
        "variants": [(VARIANT, f"{CDN}/variant-blue.jpg"), (SECOND_VARIANT, None)],
    }
    emulator.add_product(SHOP, PRODUCT, **(values | fields))


def resolve(client: AdminApiClient, variant_gid: str | None = VARIANT) -> GarmentImage | None:
    return client.product_garment_image(product_gid=PRODUCT, variant_gid=variant_gid)


# --- choosing the image ------------------------------------------------------------------


def test_it_resolves_the_variants_own_image(shopify_admin, admin):
    add_shirt(shopify_admin)

    garment = resolve(admin())

    assert garment == GarmentImage(
        product_gid=PRODUCT,
        variant_gid=VARIANT,
        url=f"{CDN}/variant-blue.jpg",
        product_title="Linen shirt",
        product_type="Shirts",
    )


def test_it_falls_back_to_the_variants_media(shopify_admin, admin):
    add_shirt(shopify_admin, variants=[(VARIANT, None, [f"{CDN}/variant-media.jpg"])])

    assert resolve(admin()).url == f"{CDN}/variant-media.jpg"


def test_it_falls_back_to_the_products_featured_media(shopify_admin, admin):
    add_shirt(shopify_admin)

    garment = resolve(admin(), SECOND_VARIANT)

    assert (garment.url, garment.variant_gid) == (f"{CDN}/featured.jpg", SECOND_VARIANT)


def test_it_falls_back_to_the_first_image_media_when_a_video_is_featured(shopify_admin, admin):
    add_shirt(
        shopify_admin,
        featured_image_url=None,
        video_urls=[f"{CDN}/catwalk.mp4"],
        media_image_urls=[f"{CDN}/front.jpg", f"{CDN}/back.jpg"],
    )

    assert resolve(admin(), SECOND_VARIANT).url == f"{CDN}/front.jpg"


def test_it_returns_none_when_the_product_has_no_image(shopify_admin, admin):
    add_shirt(
        shopify_admin,
        featured_image_url=None,
        media_image_urls=[],
        video_urls=[f"{CDN}/catwalk.mp4"],
        variants=[(VARIANT, None)],
    )

    assert resolve(admin()) is None


def test_without_a_variant_it_uses_the_default_variant(shopify_admin, admin):
    add_shirt(shopify_admin)

    garment = resolve(admin(), None)

    assert (garment.url, garment.variant_gid) == (f"{CDN}/featured.jpg", VARIANT)


def test_it_sees_product_updates_and_removals(shopify_admin, admin):
    add_shirt(shopify_admin)
    client = admin()

    shopify_admin.update_product(SHOP, PRODUCT, variants=[(VARIANT, f"{CDN}/variant-red.jpg")])
    assert resolve(client).url == f"{CDN}/variant-red.jpg"

    shopify_admin.remove_product(SHOP, PRODUCT)
    with pytest.raises(ProductNotFoundError):
        resolve(client)


# --- refusing what does not exist ----------------------------------------------------------


def test_an_unknown_product_is_product_not_found(shopify_admin, admin):
    with pytest.raises(ProductNotFoundError) as raised:
        resolve(admin())

    assert raised.value.code == "PRODUCT_NOT_FOUND"
    assert len(shopify_admin.calls) == 1


def test_another_shops_product_is_product_not_found(shopify_admin, admin):
    shopify_admin.tokens[OTHER_SHOP] = TOKEN
    shopify_admin.add_product(OTHER_SHOP, PRODUCT, featured_image_url=f"{CDN}/x.jpg")

    with pytest.raises(ProductNotFoundError):
        resolve(admin(), None)


def test_a_product_id_that_is_not_a_gid_is_refused_without_a_call(shopify_admin, admin):
    with pytest.raises(ProductNotFoundError):
        admin().product_garment_image(product_gid="101", variant_gid=None)

    assert shopify_admin.calls == []


def test_a_variant_of_another_product_fails_validation(shopify_admin, admin):
    add_shirt(shopify_admin)
    shopify_admin.add_product(SHOP, OTHER_PRODUCT, variants=[(OTHER_VARIANT, f"{CDN}/o.jpg")])

    with pytest.raises(VariantMismatchError) as raised:
        resolve(admin(), OTHER_VARIANT)

    assert raised.value.code == "VALIDATION_FAILED"


def test_an_unknown_variant_fails_validation(shopify_admin, admin):
    add_shirt(shopify_admin)

    with pytest.raises(VariantMismatchError) as raised:
        resolve(admin(), "gid://shopify/ProductVariant/999")

    assert raised.value.code == "VALIDATION_FAILED"


# --- one request, to the right place --------------------------------------------------------


def test_one_resolution_is_exactly_one_http_call_with_the_token_to_the_shops_endpoint(
    shopify_admin, admin
):
    add_shirt(shopify_admin)

    resolve(admin())

    assert len(shopify_admin.calls) == 1
    shop, query, variables = shopify_admin.calls[0]
    assert shop == SHOP
    assert variables == {"productId": PRODUCT, "variantId": VARIANT}
    assert "productVariant(id: $variantId)" in query
    request = shopify_admin.requests[0]
    assert request["path"] == f"/{SHOP}/admin/api/2026-10/graphql.json"
    headers = {name.lower(): value for name, value in request["headers"].items()}
    assert headers["x-shopify-access-token"] == TOKEN
    assert headers["content-type"] == "application/json"


def test_graphql_errors_become_an_admin_api_error_with_the_message(shopify_admin, admin):
    with pytest.raises(AdminApiError, match="Invalid global id 'nope'"):
        admin().execute('{ product(id: "nope") { id } }')


# --- transient failures -------------------------------------------------------------------


def test_it_waits_for_the_bucket_to_refill_when_throttled_then_succeeds(
    shopify_admin, admin, sleeps
):
    add_shirt(shopify_admin)
    shopify_admin.throttle_next(2, currently_available=10.0, requested_cost=110.0)

    assert resolve(admin()).url == f"{CDN}/variant-blue.jpg"

    assert sleeps == [2.0, 2.0]  # (110 - 10) points / 50 points per second
    assert len(shopify_admin.calls) == 3


def test_throttle_waits_are_bounded(shopify_admin, admin, sleeps):
    add_shirt(shopify_admin)
    shopify_admin.throttle_next(1, currently_available=0.0, requested_cost=5000.0)
    shopify_admin.throttle_next(1, currently_available=999.0, requested_cost=10.0)

    resolve(admin())

    assert sleeps == [10.0, 0.5]


def test_it_retries_a_502_with_backoff_then_succeeds(shopify_admin, admin, sleeps):
    add_shirt(shopify_admin)
    shopify_admin.fail_next(2, status=502)

    assert resolve(admin()).url == f"{CDN}/variant-blue.jpg"

    assert sleeps == [0.5, 1.0]


def test_it_honours_retry_after_on_a_429(shopify_admin, admin, sleeps):
    add_shirt(shopify_admin)
    shopify_admin.fail_next(1, status=429, retry_after="3")

    resolve(admin())

    assert sleeps == [3.0]


def test_it_gives_up_after_the_retry_budget(shopify_admin, admin, sleeps):
    add_shirt(shopify_admin)
    shopify_admin.fail_next(10, status=503)

    with pytest.raises(AdminApiUnavailable) as raised:
        resolve(admin())

    assert raised.value.code == "SHOPIFY_UNAVAILABLE"
    assert len(shopify_admin.calls) == 5
    assert sleeps == [0.5, 1.0, 2.0, 4.0]


def test_a_slow_answer_is_retried_then_succeeds(shopify_admin, admin, settings, sleeps):
    settings.SHOPIFY_ADMIN_API_TIMEOUT = 0.5  # well under the 1 s delay, above a busy machine
    add_shirt(shopify_admin)
    shopify_admin.delay_next(1, 1.0)

    assert resolve(admin()).url == f"{CDN}/variant-blue.jpg"

    assert len(shopify_admin.calls) == 2
    assert sleeps == [0.5]


def test_answers_slower_than_the_timeout_end_unavailable(shopify_admin, admin, settings):
    settings.SHOPIFY_ADMIN_API_TIMEOUT = 0.5  # well under the 1 s delay, above a busy machine
    settings.SHOPIFY_ADMIN_API_MAX_RETRIES = 1
    add_shirt(shopify_admin)
    shopify_admin.delay_next(2, 1.0)

    with pytest.raises(AdminApiUnavailable):
        resolve(admin())

    assert len(shopify_admin.calls) == 2


# --- permanent failures -------------------------------------------------------------------


def test_a_rejected_token_asks_for_reauthorisation_at_once(shopify_admin, admin, sleeps):
    add_shirt(shopify_admin)

    with pytest.raises(AdminApiUnauthorized) as raised:
        resolve(admin(token="shpat_revoked"))

    assert raised.value.code == "SHOP_REAUTH_REQUIRED"
    assert len(shopify_admin.calls) == 1
    assert sleeps == []


def test_a_body_that_is_not_json_is_an_admin_api_error(shopify_admin, admin):
    add_shirt(shopify_admin)
    shopify_admin.malformed_next(1)

    with pytest.raises(AdminApiError) as raised:
        resolve(admin())

    assert not isinstance(raised.value, AdminApiUnavailable)
    assert len(shopify_admin.calls) == 1
