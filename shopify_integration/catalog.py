"""Garment images from a shop's real products, through the Admin GraphQL API.

Resolutions are cached per (shop, product, variant) in the shared cache; concurrent misses are
coalesced behind a short lock so a burst of try-ons of one product costs one Admin API call.
`products/update` and `products/delete` webhooks bump the product's cache generation, which
makes every cached variant of it stale at once.
"""

import enum
import io
import logging
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlparse

from django.conf import settings
from django.core.cache import cache
from PIL import Image

from fittingroom.accounts.models import Account
from fittingroom.catalog import (
    Garment,
    ProductImagesRequired,
    ProductImageUnavailable,
    ProductNotFound,
    VariantNotOfProduct,
    register_catalog_source,
)
from fittingroom.core.cache_atomic import cache_add, cache_incr
from fittingroom.core.fetch import FetchError, fetch_image
from fittingroom.products.services import product_category_guess
from shopify_integration.admin_api import (
    AdminApiClient,
    AdminApiError,
    AdminApiUnauthorized,
    AdminApiUnavailable,
    ProductNotFoundError,
    VariantMismatchError,
)
from shopify_integration.models import Shop
from shopify_integration.tokens import (
    ShopifyUnavailable,
    ShopReauthRequired,
    shop_access_token,
    shop_mark_needs_reauth,
)

logger = logging.getLogger(__name__)
FOUND_TTL = 24 * 3600  # webhooks invalidate; the TTL only bounds a missed webhook
MISSING_TTL = 60
LOCK_TTL = 15
WAIT_FOR_OTHER_SECONDS = 10.0
RENDER_WIDTH = 1024  # Shopify's CDN resizes on request: no 5000 px packshot downloads


def garment_category(product_type: str, title: str) -> str:
    """The product type says most (Shopify's own field), then the title; "auto" if unsure."""
    return product_category_guess(title=product_type, description=title)


def _generation_key(shop_domain: str, product_gid: str) -> str:
    return f"garment-gen:{shop_domain}:{product_gid}"


def garment_cache_invalidate(*, shop_domain: str, product_gid: str) -> None:
    """Make every cached resolution of this product stale (webhooks call this)."""
    cache_incr(_generation_key(shop_domain, product_gid), timeout=None)


def _cache_key(shop_domain: str, product_gid: str, variant_gid: str | None) -> str:
    generation = cache.get(_generation_key(shop_domain, product_gid), 0)
    return f"garment:{shop_domain}:{product_gid}:{variant_gid or 'default'}:{generation}"


class Found(enum.Enum):
    """How a product resolution ended; all but OK are cached briefly, as answers too."""

    OK = "ok"
    NOT_FOUND = "not_found"
    VARIANT_MISMATCH = "variant_mismatch"
    NO_IMAGE = "no_image"


@dataclass(frozen=True)
class Resolution:
    """What the Admin API said about a (product, variant): the cached value."""

    found: Found
    url: str = ""
    variant: str = ""
    title: str = ""
    category: str = ""


_REFUSALS = {
    Found.NOT_FOUND: ProductNotFound,
    Found.VARIANT_MISMATCH: VariantNotOfProduct,
    Found.NO_IMAGE: ProductImagesRequired,
}


class ShopifyCatalog:
    def garment_for(self, *, account: Account, product_id: str, variant_id: str | None) -> Garment:
        shop = Shop.objects.get(account=account)
        resolved = _resolution(shop, product_id, variant_id)
        if resolved.found is not Found.OK:
            raise _REFUSALS[resolved.found]()
        return Garment(
            product_id=product_id,
            variant_id=resolved.variant,
            title=resolved.title,
            category=resolved.category,
            image_ref=resolved.url,
        )

    def load_image(self, *, image_ref: str) -> Image.Image:
        try:
            fetched = fetch_image(_sized(image_ref), allowed_hosts=settings.GARMENT_IMAGE_HOSTS)
            with Image.open(io.BytesIO(fetched.content)) as image:
                return image.convert("RGBA")
        except (FetchError, OSError) as error:
            logger.warning("garment image %s could not be loaded: %s", image_ref, error)
            raise ProductImageUnavailable(image_ref) from error

    def preview_url(self, *, image_ref: str) -> str | None:
        return image_ref


def _sized(url: str) -> str:
    if urlparse(url).hostname != "cdn.shopify.com":
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode({'width': RENDER_WIDTH})}"


def _resolution(shop: Shop, product_gid: str, variant_gid: str | None) -> Resolution:
    """The cached resolution, or one fresh Admin API call made by exactly one of the callers
    that missed together; the others wait for its answer."""
    key = _cache_key(shop.domain, product_gid, variant_gid)
    deadline = time.monotonic() + WAIT_FOR_OTHER_SECONDS
    while True:
        cached = cache.get(key)
        if isinstance(cached, Resolution):
            return cached
        if cache_add(f"{key}:lock", 1, timeout=LOCK_TTL) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    try:
        # Whoever held the lock before us may have just filled the cache: look once more.
        cached = cache.get(key)
        if isinstance(cached, Resolution):
            return cached
        resolved = _ask_shopify(shop, product_gid, variant_gid)
        cache.set(key, resolved, FOUND_TTL if resolved.found is Found.OK else MISSING_TTL)
        return resolved
    finally:
        cache.delete(f"{key}:lock")


def _ask_shopify(shop: Shop, product_gid: str, variant_gid: str | None) -> Resolution:
    client = AdminApiClient(shop=shop.domain, access_token=shop_access_token(shop=shop))
    try:
        image = client.product_garment_image(product_gid=product_gid, variant_gid=variant_gid)
    except ProductNotFoundError:
        return Resolution(Found.NOT_FOUND)
    except VariantMismatchError:
        return Resolution(Found.VARIANT_MISMATCH)
    except AdminApiUnauthorized as error:
        shop_mark_needs_reauth(shop=shop)
        raise ShopReauthRequired() from error
    except (AdminApiUnavailable, AdminApiError) as error:  # malformed answers included
        logger.warning("Admin API failed for %s: %s", shop.domain, error)
        raise ShopifyUnavailable() from error
    if image is None:
        return Resolution(Found.NO_IMAGE)
    return Resolution(
        Found.OK,
        url=image.url,
        variant=image.variant_gid,
        title=image.product_title[:255],
        category=garment_category(image.product_type, image.product_title),
    )


register_catalog_source("shopify", ShopifyCatalog())
