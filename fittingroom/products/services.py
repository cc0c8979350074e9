"""Writes on public-API products: upsert, one-shot creation, the expiry timer, deletion.

A product lives from its last use: named ("inline") products for 15 days, one-shot products
(server-generated `_anon_` ids) for 7. Generations snapshot the garment when they are created,
so editing or deleting a product never changes a past generation.
"""

import hashlib
import io
import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import URLValidator
from django.utils import timezone
from PIL import Image

from fittingroom.accounts.models import Account
from fittingroom.catalog import ProductImagesRequired, ProductNotFound
from fittingroom.core.errors import ApplicationError, ValidationFailed
from fittingroom.core.ids import new_public_id
from fittingroom.engines.base import AUTO_CATEGORY
from fittingroom.products.models import Product

Kind = Product.Kind
ONE_SHOT_PREFIX = "_anon_"
MAX_IMAGES = 5
MAX_IMAGE_URL_LENGTH = 2048
LIFETIMES = {Kind.INLINE: timedelta(days=15), Kind.ONE_SHOT: timedelta(days=7)}
FILE_REF_PREFIX = "file:"  # an image sent as a multipart file, kept in our storage

# Category guesses, tried on the title first and then on the description: a shirt described
# as "great with jeans" is still a top. Within one text, a "shirt dress" is a dress.
# Worn, but not on the body the try-on models dress: their category is left to the model.
_NOT_A_BODY_GARMENT = re.compile(
    r"\b(shoes?|sneakers?|trainers?|boots?|sandals?|heels|loafers?|slippers?|hats?|caps?|"
    r"beanies?|berets?|socks?|bags?|belts?|scarf|scarves|gloves?|sunglasses|jewell?e?ry)\b",
    re.IGNORECASE,
)
_TOPS_DESPITE_DRESS = re.compile(r"\bdress[- ]shirts?\b", re.IGNORECASE)
_BOTTOMS = re.compile(
    r"\b(pants?|trousers?|jeans?|skirts?|shorts|leggings?|joggers?|chinos?|culottes?)\b",
    re.IGNORECASE,
)
_ONE_PIECES = re.compile(
    r"\b(dress(es)?|gowns?|jumpsuits?|rompers?|playsuits?|overalls?|onesies?)\b", re.IGNORECASE
)
_TOPS = re.compile(
    r"\b(t-?shirts?|shirts?|tees?|tops?|blouses?|sweaters?|sweatshirts?|hoodies?|jumpers?|"
    r"cardigans?|jackets?|coats?|blazers?|polos?|vests?|tanks?)\b",
    re.IGNORECASE,
)
_image_url_validator = URLValidator(schemes=["http", "https"])


class ReservedExternalId(ApplicationError):
    code, status = "RESERVED_EXTERNAL_ID", 409
    message = "External ids starting with _anon_ are reserved for server-generated ids."


def product_images_problems(images: list) -> list[tuple[int | None, str]]:
    """What is wrong with an image list, as (index or None for the list, message). An empty list
    is not a problem here: callers answer it with PRODUCT_IMAGES_REQUIRED."""
    if len(images) > MAX_IMAGES:
        return [(None, f"At most {MAX_IMAGES} images.")]
    problems: list[tuple[int | None, str]] = []
    for index, url in enumerate(images):
        if not _is_image_url(url):
            problems.append(
                (index, f"Must be an http(s) URL of at most {MAX_IMAGE_URL_LENGTH} characters.")
            )
    return problems


def _is_image_url(url: object) -> bool:
    if not isinstance(url, str) or len(url) > MAX_IMAGE_URL_LENGTH:
        return False
    if url.startswith(FILE_REF_PREFIX):
        return True
    try:
        _image_url_validator(url)
    except ValidationError:
        return False
    return True


def product_external_id_check(*, external_id: str) -> None:
    """Raises RESERVED_EXTERNAL_ID for an id a client may not choose."""
    if external_id.startswith(ONE_SHOT_PREFIX):
        raise ReservedExternalId()


def product_category_guess(*, title: str, description: str) -> str:
    """The engines' category: "tops", "bottoms" or "one-pieces", from the words used; "auto"
    when the words say nothing sure (or name shoes, hats, bags: the models decide those)."""
    for text in (title, description):
        if _NOT_A_BODY_GARMENT.search(text):
            return AUTO_CATEGORY
        if _TOPS_DESPITE_DRESS.search(text):
            return "tops"
        if _BOTTOMS.search(text):
            return "bottoms"
        if _ONE_PIECES.search(text):
            return "one-pieces"
        if _TOPS.search(text):
            return "tops"
    return AUTO_CATEGORY


def product_upsert(
    *,
    account: Account,
    external_id: str | None,
    title: str,
    description: str,
    images: list[str],
    kind: Product.Kind = Kind.INLINE,
    image_roles: list[str | None] | None = None,
    metadata: dict | None = None,
) -> tuple[Product, bool]:
    """Create the account's product, or replace its fields if the external id exists (an expired
    one not yet purged included). One-shot products always get a new `_anon_` id (pass None).
    Returns the product and whether it was created. Its timer restarts either way.

    Raises RESERVED_EXTERNAL_ID, PRODUCT_IMAGES_REQUIRED or VALIDATION_FAILED (bad image URLs).
    """
    if not images:
        raise ProductImagesRequired(details=[{"path": "images", "message": "Give 1 to 5 URLs."}])
    problems = product_images_problems(images)
    if problems:
        raise ValidationFailed(details=[_image_detail(index, text) for index, text in problems])
    if kind == Kind.ONE_SHOT:
        external_id = new_public_id(ONE_SHOT_PREFIX.rstrip("_"))
    elif external_id is None:
        raise ValueError("a named product needs an external id")
    else:
        product_external_id_check(external_id=external_id)
    fields = {
        "kind": kind,
        "title": title[:255],
        "description": description,
        "images": list(images),
        "image_roles": list(image_roles or [None] * len(images)),
        "metadata": metadata,
        "category": product_category_guess(title=title, description=description),
        "expires_at": timezone.now() + LIFETIMES[kind],
    }
    # update_or_create locks the row and retries the read when a concurrent create wins.
    return Product.objects.update_or_create(
        account=account, external_id=external_id, defaults=fields
    )


def _image_detail(index: int | None, message: str) -> dict[str, str]:
    return {"path": "images" if index is None else f"images[{index}]", "message": message}


def product_touch(*, product: Product) -> bool:
    """A generation used the product: restart its timer. False if it no longer exists."""
    now = timezone.now()
    touched = Product.objects.filter(id=product.id).update(
        last_used_at=now, expires_at=now + LIFETIMES[Kind(product.kind)]
    )
    return bool(touched)


def product_delete(*, account: Account, external_id: str) -> None:
    """Delete the account's live product. Raises PRODUCT_NOT_FOUND when there is none."""
    products = Product.objects.filter(
        account=account, external_id=external_id, expires_at__gt=timezone.now()
    )
    images = [ref for refs in products.values_list("images", flat=True) for ref in refs]
    deleted, _ = products.delete()
    if not deleted:
        raise ProductNotFound()
    garment_files_release(refs=images)


def products_expire(*, batch_size: int = 1000) -> int:
    """Periodic: delete products past their expiry; returns how many went."""
    expired = list(
        Product.objects.filter(expires_at__lte=timezone.now()).values_list("id", flat=True)[
            :batch_size
        ]
    )
    if not expired:
        return 0
    # Re-checked at delete time: a product touched since the read stays.
    going = Product.objects.filter(id__in=expired, expires_at__lte=timezone.now())
    images = [ref for refs in going.values_list("images", flat=True) for ref in refs]
    deleted, _ = going.delete()
    garment_files_release(refs=images)
    return deleted


def garment_files_release(*, refs: list[str]) -> None:
    """Delete the kept files among `refs` that no product names any more and no unfinished
    generation still has to render (a finished one keeps its own result, not the garment)."""
    from fittingroom.generations.models import Generation

    unfinished = (Generation.Status.PENDING, Generation.Status.PROCESSING)
    for ref in {ref for ref in refs if ref.startswith(FILE_REF_PREFIX)}:
        if Product.objects.filter(images__icontains=ref).exists():
            continue
        if Generation.objects.filter(garment_image_ref=ref, status__in=unfinished).exists():
            continue  # the periodic sweep tries again when the product's successors expire
        default_storage.delete(ref.removeprefix(FILE_REF_PREFIX))


def product_image_file_store(*, account: Account, content: bytes) -> str:
    """Keep a garment image sent as a file: checked, re-encoded as PNG (nothing but pixels is
    kept), named by its content so the same file sent again is stored once. Returns its
    `file:` reference. Raises INVALID_IMAGE."""
    from fittingroom.images.services import InvalidImage

    try:
        with Image.open(io.BytesIO(content), formats=("JPEG", "PNG", "WEBP")) as image:
            if image.width * image.height > settings.UPLOAD_MAX_PIXELS:
                raise InvalidImage("The image has too many pixels.")
            pixels = image.convert("RGBA")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise InvalidImage("The product image is not a JPEG, PNG or WebP image.") from error
    out = io.BytesIO()
    pixels.save(out, format="PNG")
    name = f"garments/{account.id}/{hashlib.sha256(out.getvalue()).hexdigest()}.png"
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(out.getvalue()))
    return FILE_REF_PREFIX + name
