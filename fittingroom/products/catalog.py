"""The "inline" catalog source: products described by public-API clients, whose garment image is
the first of the product's image URLs, downloaded through the guarded fetcher when rendering."""

import io

from django.core.files.storage import default_storage
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
from fittingroom.core.storage import signed_file_url
from fittingroom.products.models import Product
from fittingroom.products.selectors import product_get
from fittingroom.products.services import FILE_REF_PREFIX

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
        if image_ref.startswith(FILE_REF_PREFIX):  # sent as a file, kept in our storage
            try:
                with default_storage.open(image_ref.removeprefix(FILE_REF_PREFIX)) as handle:
                    content = handle.read()
            except OSError as error:
                raise ProductImageUnavailable("The product image file is gone.") from error
        else:
            # Local runs read the demo packshots they serve themselves, from disk.
            local_file = demo_garment_file(image_ref)
            if local_file is not None:
                with Image.open(local_file) as image:
                    return image.convert("RGBA")
            # A client's URL: public addresses only (unless FETCH_ALLOW_PRIVATE_ADDRESSES).
            try:
                content = fetch_image(image_ref).content
            except FetchError as error:
                # The reason is safe to show (see FetchError) and is the client's to act on.
                message = f"The garment image could not be loaded: {error.reason}"
                raise ProductImageUnavailable(error.reason, message=message) from error
        try:
            with Image.open(io.BytesIO(content)) as image:
                return image.convert("RGBA")
        # Bytes that passed the fetcher's check can still fail to decode fully (truncated,
        # decompression bomb); Pillow raises many types for that.
        except Exception as error:
            raise ProductImageUnavailable("The garment image could not be decoded.") from error

    def preview_url(self, *, image_ref: str) -> str | None:
        return image_source_url(image_ref)


def image_source_url(image_ref: str) -> str:
    """Where a product image can be seen: its URL, or a signed URL of the file we keep."""
    if image_ref.startswith(FILE_REF_PREFIX):
        return signed_file_url(image_ref.removeprefix(FILE_REF_PREFIX))
    return image_ref


register_catalog_source(INLINE_SOURCE, InlineCatalog())
