"""The one module that talks to Shopify's Admin GraphQL API.

`AdminApiClient.execute` retries what is transient (THROTTLED, 429, 5xx, connection errors,
timeouts) within `SHOPIFY_ADMIN_API_MAX_RETRIES`, and fails at once on what is not (401/403,
GraphQL errors, malformed answers). Callers see only the `AdminApiError` family.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings

from shopify_integration.identifiers import product_gid_valid, shop_domain_valid, variant_gid_valid

logger = logging.getLogger(__name__)

MIN_WAIT_SECONDS = 0.5
MAX_WAIT_SECONDS = 10.0


class AdminApiError(Exception):
    """Shopify answered something we cannot use; `.code` is stable, the message is for logs."""

    code = "SHOPIFY_API_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AdminApiUnauthorized(AdminApiError):
    """401/403: the token is revoked or the app uninstalled; the shop must authorise again."""

    code = "SHOP_REAUTH_REQUIRED"


class AdminApiUnavailable(AdminApiError):
    """Shopify stayed throttled, slow or failing through the whole retry budget."""

    code = "SHOPIFY_UNAVAILABLE"


class ProductNotFoundError(AdminApiError):
    code = "PRODUCT_NOT_FOUND"


class VariantMismatchError(AdminApiError):
    code = "VALIDATION_FAILED"


class _Transient(Exception):
    """An attempt failed in a way worth retrying; `wait` is what Shopify asked for, if anything."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.wait = reason, wait


@dataclass(frozen=True)
class GarmentImage:
    product_gid: str
    variant_gid: str
    url: str
    product_title: str
    product_type: str


_MEDIA_IMAGE_FRAGMENT = """
fragment GarmentMediaImage on MediaImage {
  id
  image { url width height altText }
}
"""
_PRODUCT_SELECTION = """
  product(id: $productId) {
    id
    title
    productType
    featuredMedia { ...GarmentMediaImage }
    media(first: 10) { nodes { ...GarmentMediaImage } }
    defaultVariant: variants(first: 1) { nodes { id } }
  }
"""
_VARIANT_SELECTION = """
  variant: productVariant(id: $variantId) {
    id
    product { id }
    image { url }
    media(first: 5) { nodes { ...GarmentMediaImage } }
  }
"""
PRODUCT_IMAGE_QUERY = (
    "query GarmentImage($productId: ID!) {" + _PRODUCT_SELECTION + "}\n" + _MEDIA_IMAGE_FRAGMENT
)
VARIANT_IMAGE_QUERY = (
    "query GarmentVariantImage($productId: ID!, $variantId: ID!) {"
    + _PRODUCT_SELECTION
    + _VARIANT_SELECTION
    + "}\n"
    + _MEDIA_IMAGE_FRAGMENT
)


class AdminApiClient:
    """A client for one shop's Admin GraphQL API, configured from settings at construction."""

    def __init__(
        self,
        *,
        shop: str,
        access_token: str,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        # The access token goes to this host: a shop's own domain, never one we were fed.
        if not shop_domain_valid(shop):
            raise ValueError(f"Not a shop domain: {shop!r}")
        self.shop = shop
        self._access_token = access_token
        self._session = session or requests.Session()
        self._sleep = sleep
        self.url = settings.SHOPIFY_ADMIN_API_URL.format(
            shop=shop, version=settings.SHOPIFY_API_VERSION
        )
        read_timeout = float(settings.SHOPIFY_ADMIN_API_TIMEOUT)
        self._timeout = (min(read_timeout, 5.0), read_timeout)
        self._max_retries = int(settings.SHOPIFY_ADMIN_API_MAX_RETRIES)

    def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run one GraphQL document and return its `data`.

        Makes at most 1 + SHOPIFY_ADMIN_API_MAX_RETRIES HTTP requests. Raises AdminApiUnauthorized
        (no retry), AdminApiUnavailable (budget spent) or AdminApiError (anything else unusable).
        """
        payload = {"query": query, "variables": variables or {}}
        last: _Transient | None = None
        for attempt in range(self._max_retries + 1):
            if last is not None:
                wait = last.wait if last.wait is not None else backoff_delay(attempt - 1)
                logger.info("Shopify %s for %s; retrying in %.2fs", last.reason, self.shop, wait)
                self._sleep(wait)
            try:
                return self._attempt(payload)
            except _Transient as transient:
                last = transient
        reason = last.reason if last else "no attempt"
        raise AdminApiUnavailable(f"Shopify Admin API unavailable for {self.shop}: {reason}")

    def _attempt(self, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self._session.post(
                self.url,
                json=payload,
                headers={
                    "X-Shopify-Access-Token": self._access_token,
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                },
                timeout=self._timeout,
                # requests would carry our custom token header to wherever a redirect points.
                allow_redirects=False,
            )
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
        ) as error:
            raise _Transient(type(error).__name__) from error
        status = response.status_code
        if status in (401, 403):
            raise AdminApiUnauthorized(f"Shopify refused the access token (HTTP {status}).")
        if status == 429:
            raise _Transient("HTTP 429", _retry_after(response))
        if status >= 500:
            raise _Transient(f"HTTP {status}")
        if status != 200:
            raise AdminApiError(f"Shopify answered HTTP {status}.")
        return _data_from(response)

    def product_garment_image(
        self, *, product_gid: str, variant_gid: str | None
    ) -> GarmentImage | None:
        """The image to dress a shopper in, in ONE request: the variant's image, else the variant's
        first image media, else the product's featured media, else its first image media.

        Returns None when the product has no image at all. The returned `variant_gid` is the one
        given, or the product's first variant. Raises ProductNotFoundError (unknown product) and
        VariantMismatchError (unknown variant, or a variant of another product).
        """
        if not product_gid_valid(product_gid):
            raise ProductNotFoundError(f"Not a product id: {product_gid!r}")
        if variant_gid is not None and not variant_gid_valid(variant_gid):
            raise VariantMismatchError(f"Not a product variant id: {variant_gid!r}")
        if variant_gid is None:
            data = self.execute(PRODUCT_IMAGE_QUERY, {"productId": product_gid})
        else:
            variables = {"productId": product_gid, "variantId": variant_gid}
            data = self.execute(VARIANT_IMAGE_QUERY, variables)
        product = data.get("product")
        if not isinstance(product, dict):
            raise ProductNotFoundError(f"No product {product_gid} in {self.shop}.")
        variant = data.get("variant") if variant_gid is not None else None
        if variant_gid is not None and (
            not isinstance(variant, dict) or _get(variant, "product", "id") != product.get("id")
        ):
            raise VariantMismatchError(f"{variant_gid} is not a variant of {product_gid}.")
        url = _first_url(
            _get(variant, "image", "url"),
            *(_media_image_url(node) for node in _nodes(variant, "media")),
            _media_image_url(product.get("featuredMedia")),
            *(_media_image_url(node) for node in _nodes(product, "media")),
        )
        if url is None:
            return None
        default_variant = next(iter(_nodes(product, "defaultVariant")), None)
        chosen_variant = variant_gid or _get(default_variant, "id")
        if not isinstance(chosen_variant, str):
            raise AdminApiError(f"Product {product_gid} has no variant.")
        return GarmentImage(
            product_gid=product_gid,
            variant_gid=chosen_variant,
            url=url,
            product_title=str(product.get("title") or ""),
            product_type=str(product.get("productType") or ""),
        )


def backoff_delay(retry: int) -> float:
    """Deterministic exponential backoff: 0.5, 1, 2, 4 … seconds, capped."""
    return min(MAX_WAIT_SECONDS, MIN_WAIT_SECONDS * 2**retry)


def _bounded(seconds: float) -> float:
    return max(MIN_WAIT_SECONDS, min(MAX_WAIT_SECONDS, seconds))


def _retry_after(response: requests.Response) -> float | None:
    try:
        return _bounded(float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


def _throttle_wait(body: dict[str, Any]) -> float | None:
    """Seconds until the bucket holds this query's cost, from Shopify's own throttleStatus."""
    cost = _get(body, "extensions", "cost")
    status = _get(cost, "throttleStatus")
    try:
        needed = float(cost["requestedQueryCost"]) - float(status["currentlyAvailable"])
        return _bounded(needed / float(status["restoreRate"]))
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None


def _data_from(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as error:
        raise AdminApiError("Shopify answered with a body that is not JSON.") from error
    if not isinstance(body, dict):
        raise AdminApiError("Shopify answered with JSON that is not an object.")
    errors = body.get("errors")
    if errors:
        errors = errors if isinstance(errors, list) else [errors]
        if any(_get(error, "extensions", "code") == "THROTTLED" for error in errors):
            raise _Transient("THROTTLED", _throttle_wait(body))
        messages = "; ".join(str(_get(error, "message") or error) for error in errors)
        raise AdminApiError(f"Shopify GraphQL errors: {messages}")
    data = body.get("data")
    if not isinstance(data, dict):
        raise AdminApiError("Shopify answered without data.")
    return data


def _get(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _nodes(value: Any, connection: str) -> list[Any]:
    nodes = _get(value, connection, "nodes")
    return nodes if isinstance(nodes, list) else []


def _media_image_url(media: Any) -> str | None:
    """A MediaImage's URL; None for other media (video, 3D), which the fragment leaves empty."""
    return _get(media, "image", "url")


def _first_url(*candidates: str | None) -> str | None:
    return next((url for url in candidates if isinstance(url, str) and url), None)
