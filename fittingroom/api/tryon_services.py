"""`POST /v1/try-on`: resolve the product and the person image, then create the generation.

Order matters. Cheap refusals come first (no credits, unknown product, reserved id), so a doomed
call never downloads a photo. The photo is fetched and stored outside any transaction: a
download must not hold a database lock. The product write, the credit and the generation then
commit together, and if that fails the photo stored for this call is deleted again, so a refused
call leaves nothing behind.
"""

from collections.abc import Mapping

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import transaction

from fittingroom.accounts.models import Account
from fittingroom.accounts.services import InsufficientCredits
from fittingroom.api.base import shopper_key_for
from fittingroom.api.shapes import PersonSource, ProductSpec, TryOnRequest
from fittingroom.catalog import ProductNotFound
from fittingroom.core.errors import ApplicationError
from fittingroom.core.fetch import FetchError, fetch_image
from fittingroom.generations.models import Generation
from fittingroom.generations.services import generation_create
from fittingroom.images.models import PersonImage
from fittingroom.images.selectors import UserImageNotFound, person_image_get
from fittingroom.images.services import FileTooLarge, person_image_delete, person_image_upload
from fittingroom.limits.shoppers import Shopper
from fittingroom.products.catalog import INLINE_SOURCE, product_garment
from fittingroom.products.models import Product
from fittingroom.products.selectors import product_get
from fittingroom.products.services import (
    product_external_id_check,
    product_image_file_store,
    product_touch,
    product_upsert,
)


class CustomerImageFetchFailed(ApplicationError):
    code, status = "CUSTOMER_IMAGE_FETCH_FAILED", 400
    message = "The person image could not be downloaded."


class CustomerImageNotFound(ApplicationError):
    code, status, message = "CUSTOMER_IMAGE_NOT_FOUND", 404, "Person image not found."


class MultipartFileNotFound(ApplicationError):
    code, status = "MULTIPART_FILE_NOT_FOUND", 400
    message = "The fileKey does not name a file of the multipart request."


def api_tryon_create(
    *,
    account: Account,
    request_shape: TryOnRequest,
    files: Mapping[str, UploadedFile],
    ip: str | None,
) -> tuple[Generation, str]:
    """Create a PENDING try-on for an API client; returns it and the product's external id
    (server-generated for a one-shot product).

    Raises INSUFFICIENT_CREDITS, PRODUCT_NOT_FOUND, RESERVED_EXTERNAL_ID, CUSTOMER_IMAGE_NOT_FOUND,
    MULTIPART_FILE_NOT_FOUND, CUSTOMER_IMAGE_FETCH_FAILED, INVALID_IMAGE; creates, charges and
    stores nothing when it raises.
    """
    _credits_precheck(account)
    referenced = _product_precheck(account, request_shape.product)
    shopper = Shopper(key=shopper_key_for(request_shape.external_user_id), ip=ip)
    person_image, stored_now = _person_image(
        account, shopper, request_shape.person, files, keep_for_days=request_shape.keep_for_days
    )
    try:
        return _commit(account, shopper, person_image, referenced, request_shape, files)
    # A refusal (no credit left after all, product gone): the photo stored for this call goes.
    # Anything else may come after the commit (the enqueue), when the photo is in use.
    except ApplicationError:
        if stored_now:
            person_image_delete(person_image=person_image)
        raise


@transaction.atomic
def _commit(
    account: Account,
    shopper: Shopper,
    person_image: PersonImage,
    referenced: Product | None,
    request_shape: TryOnRequest,
    files: Mapping[str, UploadedFile],
) -> tuple[Generation, str]:
    spec = request_shape.product
    # Rows are locked in one order on every path, the product's before the account's (the
    # credit): a reference call charging first and touching the product second would deadlock
    # against an inline call that upserts the same product and then charges.
    product = referenced or _product_write(account, spec, files)
    if not product_touch(product=product):  # deleted since it was read
        raise _at(ProductNotFound(), spec)
    generation = generation_create(
        account=account,
        shopper=shopper,
        person_image=person_image,
        garment=product_garment(product),
        catalog_source=INLINE_SOURCE,
        watermark=request_shape.watermark,
        keep_for_days=request_shape.keep_for_days,
        photo_path=f"{request_shape.person.path}.{request_shape.person.kind}",
    )
    return generation, product.external_id


def _credits_precheck(account: Account) -> None:
    # Only to fail fast, before any download: the charge itself is a conditional UPDATE.
    if account.kind != Account.Kind.API:
        return
    if not Account.objects.filter(id=account.id, credit_balance__gt=0).exists():
        raise InsufficientCredits()


def _product_precheck(account: Account, spec: ProductSpec) -> Product | None:
    """The stored product of a reference call; for a described product, its id's check."""
    try:
        if spec.is_reference:
            return product_get(account=account, external_id=spec.external_id)
        if spec.external_id is not None:
            product_external_id_check(external_id=spec.external_id)
    except ApplicationError as error:
        raise _at(error, spec) from None
    return None


def _product_write(
    account: Account, spec: ProductSpec, files: Mapping[str, UploadedFile]
) -> Product:
    named = spec.external_id is not None
    refs, roles = product_images_resolve(account=account, spec=spec, files=files)
    product, _created = product_upsert(
        account=account,
        external_id=spec.external_id,
        title=spec.title or "",
        description=spec.description or "",
        images=refs,
        image_roles=roles,
        metadata=spec.metadata,
        kind=Product.Kind.INLINE if named else Product.Kind.ONE_SHOT,
    )
    return product


def product_images_resolve(
    *, account: Account, spec: ProductSpec, files: Mapping[str, UploadedFile]
) -> tuple[list[str], list[str | None]]:
    """The product's image references and roles: URLs as sent, files (`fileKey`) stored.
    Raises MULTIPART_FILE_NOT_FOUND, FILE_TOO_LARGE or INVALID_IMAGE at the image's path."""
    refs: list[str] = []
    for image in spec.images or []:
        if image.url is not None:
            refs.append(image.url)
            continue
        upload = files.get(image.file_key or "")
        if upload is None:
            detail = {"path": image.path, "message": f"No file part named {image.file_key!r}."}
            raise MultipartFileNotFound(details=[detail])
        try:
            if upload.size is not None and upload.size > settings.UPLOAD_MAX_BYTES:
                raise FileTooLarge()
            upload.seek(0)
            refs.append(product_image_file_store(account=account, content=upload.read()))
        except ApplicationError as error:
            error.details = [{"path": image.path, "message": error.message}]
            raise
    return refs, [image.role for image in spec.images or []]


def _at(error: ApplicationError, spec: ProductSpec) -> ApplicationError:
    """Point a product error at the client's externalId."""
    if not error.details:
        error.details = [{"path": f"{spec.path}.externalId", "message": error.message}]
    return error


def _person_image(
    account: Account,
    shopper: Shopper,
    source: PersonSource,
    files: Mapping[str, UploadedFile],
    *,
    keep_for_days: int,
) -> tuple[PersonImage, bool]:
    """The person image and whether this call stored it; a photo stored by this call is kept as
    long as the client asked the try-on's output to be kept, not the default retention."""
    path = f"{source.path}.{source.kind}"
    if source.kind == "id":
        try:
            return person_image_get(account=account, image_id=source.value), False
        except UserImageNotFound as error:
            detail = {"path": path, "message": "No such image (it may have expired)."}
            raise CustomerImageNotFound(details=[detail]) from error
    if source.kind == "fileKey":
        upload = files.get(source.value)
        if upload is None:
            detail = {"path": path, "message": f"No file part named {source.value!r}."}
            raise MultipartFileNotFound(details=[detail])
    else:
        upload = _download(source.value, path)
    try:
        stored = person_image_upload(
            account=account, shopper=shopper, upload=upload, keep_for_days=keep_for_days
        )
        return stored, True
    except ApplicationError as error:  # INVALID_IMAGE, FILE_TOO_LARGE
        error.details = error.details or [{"path": path, "message": error.message}]
        raise


def _download(url: str, path: str) -> SimpleUploadedFile:
    try:
        fetched = fetch_image(url, max_bytes=settings.UPLOAD_MAX_BYTES)
    except FetchError as error:
        # The reason is written for clients; it never echoes the remote body.
        raise CustomerImageFetchFailed(details=[{"path": path, "message": error.reason}]) from error
    return SimpleUploadedFile("photo", fetched.content, content_type=fetched.content_type)
