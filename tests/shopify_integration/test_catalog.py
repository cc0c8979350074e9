"""Garment images of real products: the Admin API emulator and a loopback CDN, through the
proxy API and the worker's task body."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from django.db import connection

from fittingroom.generations.models import Generation
from shopify_integration.catalog import ShopifyCatalog, garment_cache_invalidate
from shopify_integration.models import Shop
from shopify_integration.tokens import IssuedToken, shop_tokens_store
from tests.conftest import SignedProxyClient, make_shop, render_job

PRODUCT = "gid://shopify/Product/7001"
RED = "gid://shopify/ProductVariant/8001"
NAVY = "gid://shopify/ProductVariant/8002"
TOKEN = "shpat_static_token"


@pytest.fixture
def store(db, shopify_admin, garment_cdn) -> Shop:
    shop = make_shop("real-store.myshopify.com")
    shop.account.catalog_source = "shopify"
    shop.account.shopper_weekly_limit = shop.account.ip_weekly_limit = 1000
    shop.account.save()
    shop_tokens_store(shop=shop, token=IssuedToken(access_token=TOKEN))
    shopify_admin.tokens[shop.domain] = TOKEN
    shopify_admin.add_product(
        shop.domain,
        PRODUCT,
        title="Crew Tee",
        product_type="T-Shirts",
        featured_image_url=f"{garment_cdn}/tshirt-white.png",
        variants=[(RED, f"{garment_cdn}/tshirt-red.png"), (NAVY, f"{garment_cdn}/tshirt-navy.png")],
    )
    return shop


@pytest.fixture
def store_proxy(client, store) -> SignedProxyClient:
    return SignedProxyClient(client, shop=store.domain)


def try_on(proxy, image_id, variant=None, product=PRODUCT):
    body = {"userImageId": image_id, "productId": product}
    if variant:
        body["variantId"] = variant
    return proxy.post_json("fitting-room", body)


def chest_colour(generation: Generation) -> np.ndarray:
    from PIL import Image

    with generation.result_image.open("rb") as handle:
        image = Image.open(handle).convert("RGB")
        return np.asarray(image.crop((200, 300, 300, 380))).reshape(-1, 3).mean(axis=0)


def test_a_try_on_of_a_real_product_renders_with_that_variants_image(store_proxy, person_jpeg):
    image_id = store_proxy.upload(person_jpeg).json()["fileId"]

    job = try_on(store_proxy, image_id, variant=NAVY).json()["jobId"]
    generation = render_job(job)

    assert generation.status == "COMPLETED", generation.error_code
    assert generation.garment_image_ref.endswith("/tshirt-navy.png")
    assert generation.garment_category == "tops"
    red, _green, blue = chest_colour(generation)
    assert blue > red + 20


def test_many_try_ons_of_one_product_make_one_admin_api_call_until_it_changes(
    store_proxy, shopify_admin, store, person_jpeg, garment_cdn
):
    image_id = store_proxy.upload(person_jpeg).json()["fileId"]
    for index in range(30):
        assert try_on(store_proxy.as_(customer_id=str(index)), image_id, RED).status_code == 200
    assert len(shopify_admin.calls) == 1

    shopify_admin.update_product(
        store.domain,
        PRODUCT,
        variants=[
            (RED, f"{garment_cdn}/jacket-denim.png"),
            (NAVY, f"{garment_cdn}/tshirt-navy.png"),
        ],
    )
    garment_cache_invalidate(shop_domain=store.domain, product_gid=PRODUCT)
    job = try_on(store_proxy, image_id, RED).json()["jobId"]

    assert len(shopify_admin.calls) == 2
    assert Generation.objects.get(id=job).garment_image_ref.endswith("/jacket-denim.png")


@pytest.mark.django_db(transaction=True)
def test_concurrent_misses_are_coalesced_into_one_admin_api_call(store, shopify_admin):
    shopify_admin.delay_next(1, 0.5)
    catalog = ShopifyCatalog()

    def resolve(_: int) -> str:
        try:
            return catalog.garment_for(
                account=store.account, product_id=PRODUCT, variant_id=RED
            ).image_ref
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        refs = set(pool.map(resolve, range(20)))

    assert len(refs) == 1
    assert len(shopify_admin.calls) == 1


def test_the_default_variant_is_used_without_a_variant_id(store_proxy, person_jpeg):
    image_id = store_proxy.upload(person_jpeg).json()["fileId"]

    job = try_on(store_proxy, image_id).json()["jobId"]

    assert Generation.objects.get(id=job).variant_id == RED


@pytest.mark.parametrize(
    ("product", "variant", "status", "code"),
    [
        ("gid://shopify/Product/404", None, 404, "PRODUCT_NOT_FOUND"),
        (PRODUCT, "gid://shopify/ProductVariant/999", 400, "VALIDATION_FAILED"),
    ],
)
def test_unknown_products_and_foreign_variants_are_refused(
    store_proxy, person_jpeg, product, variant, status, code
):
    image_id = store_proxy.upload(person_jpeg).json()["fileId"]

    response = try_on(store_proxy, image_id, variant, product=product)

    assert (response.status_code, response.json()["code"]) == (status, code)
    assert not Generation.objects.exists()


def test_a_product_without_any_image_is_refused(store_proxy, shopify_admin, store, person_jpeg):
    shopify_admin.add_product(
        store.domain,
        "gid://shopify/Product/7002",
        title="Bare",
        variants=[("gid://shopify/ProductVariant/8009", None)],
    )
    image_id = store_proxy.upload(person_jpeg).json()["fileId"]

    response = try_on(store_proxy, image_id, product="gid://shopify/Product/7002")

    assert (response.status_code, response.json()["code"]) == (400, "PRODUCT_IMAGES_REQUIRED")


def test_a_revoked_token_marks_the_shop_and_refuses_its_try_ons(
    store_proxy, shopify_admin, store, person_jpeg
):
    shopify_admin.tokens[store.domain] = "another-token"
    image_id = store_proxy.upload(person_jpeg).json()["fileId"]

    first = try_on(store_proxy, image_id, RED)
    second = try_on(store_proxy, image_id, NAVY)

    assert first.json()["code"] == second.json()["code"] == "SHOP_REAUTH_REQUIRED"
    assert len(shopify_admin.calls) == 1  # the second one did not even ask
    store.refresh_from_db()
    assert store.needs_reauth
    assert not Generation.objects.exists()


def test_shopify_being_down_is_a_clear_503_not_a_500(
    store_proxy, shopify_admin, settings, person_jpeg
):
    settings.SHOPIFY_ADMIN_API_MAX_RETRIES = 1
    shopify_admin.fail_next(5, status=502)
    image_id = store_proxy.upload(person_jpeg).json()["fileId"]

    response = try_on(store_proxy, image_id, RED)

    assert (response.status_code, response.json()["code"]) == (503, "SHOPIFY_UNAVAILABLE")


def test_a_garment_image_from_a_host_not_allowed_fails_the_job_with_a_refund(
    store_proxy, store, settings, person_jpeg
):
    image_id = store_proxy.upload(person_jpeg).json()["fileId"]
    job = try_on(store_proxy, image_id, RED).json()["jobId"]
    settings.GARMENT_IMAGE_HOSTS = ["cdn.shopify.com"]

    generation = render_job(job)

    assert (generation.status, generation.error_code) == ("FAILED", "PRODUCT_IMAGE_FETCH_FAILED")
    store.account.refresh_from_db()
    assert store.account.quota_used == 0
