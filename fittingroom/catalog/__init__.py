"""Where garment images come from. The core asks a catalog source; adapters (Shopify, the demo
catalog, inline products of the public API) implement one and register it by name."""

from dataclasses import dataclass
from typing import Protocol

from PIL import Image

from fittingroom.accounts.models import Account
from fittingroom.core.errors import ApplicationError, ValidationFailed
from fittingroom.core.failures import GenerationFailure


class ProductNotFound(ApplicationError):
    code, status, message = "PRODUCT_NOT_FOUND", 404, "Product not found."


class ProductImagesRequired(ApplicationError):
    code, status, message = "PRODUCT_IMAGES_REQUIRED", 400, "The product has no image to try on."


class VariantNotOfProduct(ValidationFailed):
    def __init__(self) -> None:
        super().__init__(
            details=[
                {"path": "variantId", "message": "This variant does not belong to the product."}
            ]
        )


class ProductImageUnavailable(GenerationFailure):
    """The garment image could not be loaded when rendering. ``detail`` (the address, the
    fetcher's reason) is for logs; ``message``, when given, replaces the fixed message the
    shopper sees (a client's own URL refused: the reason is theirs to act on)."""

    code = "PRODUCT_IMAGE_FETCH_FAILED"
    message = "The garment image could not be loaded."

    def __init__(self, detail: str = "", *, message: str | None = None) -> None:
        super().__init__(message)
        if detail:
            self.add_note(detail)


@dataclass(frozen=True)
class Garment:
    """What to try on: a snapshot kept on the generation, so later catalog changes don't alter it.
    `image_ref` is opaque to the core; the source that made it knows how to load it."""

    product_id: str
    variant_id: str
    title: str
    category: str
    image_ref: str


class CatalogSource(Protocol):
    def garment_for(self, *, account: Account, product_id: str, variant_id: str | None) -> Garment:
        """Resolve a product (and variant, else the default one). Raises PRODUCT_NOT_FOUND,
        PRODUCT_IMAGES_REQUIRED or VALIDATION_FAILED (variant of another product)."""

    def load_image(self, *, image_ref: str) -> Image.Image:
        """The garment image for a ref this source made. Raises ProductImageUnavailable."""

    def preview_url(self, *, image_ref: str) -> str | None:
        """A URL an operator's browser can show the garment from, if there is one."""


_SOURCES: dict[str, CatalogSource] = {}


def register_catalog_source(name: str, source: CatalogSource) -> None:
    _SOURCES[name] = source


def catalog_source_for(account: Account) -> CatalogSource:
    try:
        return _SOURCES[account.catalog_source]
    except KeyError as error:
        raise ProductNotFound("This store has no product catalog connected.") from error


def source_named(name: str) -> CatalogSource:
    return _SOURCES[name]
