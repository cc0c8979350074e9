"""The "inline" catalog source: products described by public-API clients, whose garment image is
the first of the product's image URLs, downloaded through the guarded fetcher when rendering."""

import io

from PIL import Image

from fittingroom.accounts.models import Account
from fittingroom.catalog import (
    Garment,
    ProductImagesRequired,
    ProductImageUnavailable,
    register_catalog_source,
)
from fittingroom.catalog.demo import demo_garment_file
from fittingroom.core.fetch import FetchError, fetch_image
from fittingroom.products.models import Product
from fittingroom.products.selectors import product_get

INLINE_SOURCE = "inline"


def product_garment(product: Product) -> Garment:
    """The garment snapshot a generation keeps of this product."""
    if not product.images:
        raise ProductImagesRequired()
    return Garment(
        product_id=product.external_id,
        variant_id="",
        title=product.title or product.external_id,
        category=product.category,
        image_ref=product.images[0],
    )


class InlineCatalog:
    def garment_for(
        self, *, account: Account, product_id: str, variant_id: str | None = None
    ) -> Garment:
        # Inline products have no variants: a variant id is ignored.
        return product_garment(product_get(account=account, external_id=product_id))

    def load_image(self, *, image_ref: str) -> Image.Image:
        # A client's URL: public addresses only (unless FETCH_ALLOW_PRIVATE_ADDRESSES), any host.
        # Local runs also read the demo packshots they serve themselves, from disk.
        local_file = demo_garment_file(image_ref)
        if local_file is not None:
            with Image.open(local_file) as image:
                return image.convert("RGBA")
        try:
            fetched = fetch_image(image_ref)
        except FetchError as error:
            # The reason is safe to show (see FetchError) and is the client's to act on.
            message = f"The garment image could not be loaded: {error.reason}"
            raise ProductImageUnavailable(error.reason, message=message) from error
        try:
            with Image.open(io.BytesIO(fetched.content)) as image:
                return image.convert("RGBA")
        # Bytes that passed the fetcher's check can still fail to decode fully (truncated,
        # decompression bomb); Pillow raises many types for that.
        except Exception as error:
            raise ProductImageUnavailable("The garment image could not be decoded.") from error

    def preview_url(self, *, image_ref: str) -> str | None:
        return image_ref


register_catalog_source(INLINE_SOURCE, InlineCatalog())
