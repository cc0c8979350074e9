"""Shopify's identifiers, described once: a shop's myshopify.com domain and the GIDs of products
and variants. Checked with fullmatch (a `$` would also take a trailing newline)."""

import re

SHOP_DOMAIN_REGEX = r"[a-zA-Z0-9][a-zA-Z0-9-]*\.myshopify\.com"
PRODUCT_GID_REGEX = r"gid://shopify/Product/[0-9]{1,20}"
VARIANT_GID_REGEX = r"gid://shopify/ProductVariant/[0-9]{1,20}"
SHOP_DOMAIN = re.compile(SHOP_DOMAIN_REGEX)
PRODUCT_GID = re.compile(PRODUCT_GID_REGEX)
VARIANT_GID = re.compile(VARIANT_GID_REGEX)


def shop_domain_valid(domain: str) -> bool:
    """A myshopify.com domain and nothing more (`store.myshopify.com.evil.com` is not)."""
    return bool(SHOP_DOMAIN.fullmatch(domain))


def product_gid_valid(gid: str) -> bool:
    return bool(PRODUCT_GID.fullmatch(gid))


def variant_gid_valid(gid: str) -> bool:
    return bool(VARIANT_GID.fullmatch(gid))


def product_gid(product_id: int | str) -> str:
    """The GID of a product known by its numeric id (as webhooks give it)."""
    return f"gid://shopify/Product/{product_id}"
