"""check-credits with the product the button is for: the widget hides the button for a product
that cannot be tried on, instead of failing after the shopper uploaded a photo."""

from shopify_integration.models import Shop
from tests.shopify_integration.test_catalog import (  # noqa: F401  (fixtures)
    PRODUCT,
    store,
    store_proxy,
)

DEMO_TSHIRT = "gid://shopify/Product/1001"


def credits(proxy, product_id: str | None = None) -> dict:
    answer = proxy.get("check-credits", extra={"productId": product_id} if product_id else None)
    assert answer.status_code == 200
    return answer.json()


def test_a_known_demo_product_is_allowed(proxy):
    assert credits(proxy, DEMO_TSHIRT)["allowed"] is True


def test_an_unknown_product_is_not(proxy):
    answer = credits(proxy, "gid://shopify/Product/999999")

    assert (answer["allowed"], answer["code"]) == (False, "PRODUCT_NOT_FOUND")
    assert answer["retentionDays"] == 7 and "typicalSeconds" in answer


def test_a_shop_level_refusal_comes_first(proxy, shop):
    shop.account.quota_limit = 0
    shop.account.save()

    answer = credits(proxy, "gid://shopify/Product/999999")

    assert (answer["allowed"], answer["code"]) == (False, "QUOTA_EXCEEDED")


def test_a_malformed_product_id_is_ignored_as_before(proxy):
    assert credits(proxy, "not-a-gid")["allowed"] is True


def test_a_real_product_without_any_image_is_not_allowed(store_proxy, shopify_admin, store):  # noqa: F811
    shopify_admin.add_product(
        store.domain,
        "gid://shopify/Product/7002",
        title="Bare",
        variants=[("gid://shopify/ProductVariant/8009", None)],
    )

    bare = credits(store_proxy, "gid://shopify/Product/7002")
    dressed = credits(store_proxy, PRODUCT)

    assert (bare["allowed"], bare["code"]) == (False, "PRODUCT_IMAGES_REQUIRED")
    assert dressed["allowed"] is True


def test_a_shopify_outage_hides_nothing(store_proxy, shopify_admin, store, settings):  # noqa: F811
    settings.SHOPIFY_ADMIN_API_MAX_RETRIES = 1
    shopify_admin.fail_next(20)  # every call and retry answers 502
    answer = credits(store_proxy, "gid://shopify/Product/7003")

    assert answer["allowed"] is True
    assert Shop.objects.get(id=store.id).needs_reauth is False
