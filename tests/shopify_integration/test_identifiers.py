"""Shopify's identifiers, checked in one place."""

import pytest

from shopify_integration.identifiers import (
    product_gid,
    product_gid_valid,
    shop_domain_valid,
    variant_gid_valid,
)


@pytest.mark.parametrize(
    ("check", "value", "valid"),
    [
        (shop_domain_valid, "store-1.myshopify.com", True),
        (shop_domain_valid, "store.myshopify.com\n", False),
        (shop_domain_valid, "store.myshopify.com.evil.com", False),
        (shop_domain_valid, "-store.myshopify.com", False),
        (product_gid_valid, "gid://shopify/Product/1001", True),
        (product_gid_valid, "gid://shopify/Product/1001\n", False),
        (product_gid_valid, "gid://shopify/Product/١٢", False),  # other scripts' digits
        (product_gid_valid, "gid://shopify/Product/" + "9" * 21, False),
        (product_gid_valid, "gid://shopify/ProductVariant/1", False),
        (variant_gid_valid, "gid://shopify/ProductVariant/11002", True),
        (variant_gid_valid, "gid://shopify/Product/11002", False),
    ],
)
def test_identifiers(check, value, valid):
    assert check(value) is valid


def test_a_product_gid_from_a_webhook_id():
    assert product_gid(788032119674292922) == "gid://shopify/Product/788032119674292922"
    assert product_gid_valid(product_gid(788032119674292922))
