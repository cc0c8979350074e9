"""Reads of public-API products. An expired product is gone as far as clients can tell, and
another account's product is simply not found."""

import base64
import binascii
from dataclasses import dataclass

from django.utils import timezone

from fittingroom.accounts.models import Account
from fittingroom.catalog import ProductNotFound
from fittingroom.core.errors import ValidationFailed
from fittingroom.products.models import Product

NOT_FOUND_MESSAGE = (
    "The product does not exist or has expired: retry with the full inline payload "
    "(externalId, title, description, images)."
)
_CURSOR_PREFIX = "p:"


@dataclass(frozen=True)
class ProductPage:
    products: list[Product]
    next_cursor: str | None  # None on the last page


def product_get(*, account: Account, external_id: str) -> Product:
    """The account's live product. Raises PRODUCT_NOT_FOUND (404) otherwise."""
    product = Product.objects.filter(
        account=account, external_id=external_id, expires_at__gt=timezone.now()
    ).first()
    if product is None:
        raise ProductNotFound(NOT_FOUND_MESSAGE)
    return product


def product_list(*, account: Account, limit: int, cursor: str | None) -> ProductPage:
    """The account's live named products, newest first, `limit` at a time. One-shot products
    are left out. `cursor` is the `next_cursor` of the previous page; a malformed one raises
    VALIDATION_FAILED."""
    products = Product.objects.filter(
        account=account, kind=Product.Kind.INLINE, expires_at__gt=timezone.now()
    ).order_by("-id")
    if cursor:
        products = products.filter(id__lt=_cursor_decode(cursor))
    page = list(products[: limit + 1])
    has_more = len(page) > limit
    page = page[:limit]
    return ProductPage(page, _cursor_encode(page[-1].id) if has_more else None)


def _cursor_encode(product_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{product_id}".encode()).decode().rstrip("=")


def _cursor_decode(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith(_CURSOR_PREFIX):
            raise ValueError(text)
        return int(text.removeprefix(_CURSOR_PREFIX))
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise ValidationFailed(
            details=[{"path": "cursor", "message": "Not a cursor this API returned."}]
        ) from error
