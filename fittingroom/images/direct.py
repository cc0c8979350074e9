"""Direct upload, Genlook's three steps: prepare (a signed PUT URL and an upload key), the
client's PUT of the raw bytes straight to storage, complete (process, check, store).

The web process never holds the bytes during the PUT when storage is S3 (a presigned PUT to
the bucket); with local storage the PUT goes to our own signed, expiring route. An upload key
is single-use, belongs to the account that prepared it and expires; the raw object is deleted
once completed (accepted or refused), and the periodic sweep deletes unused ones.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from fittingroom.accounts.models import Account
from fittingroom.core.errors import ApplicationError
from fittingroom.core.ids import looks_like_public_id
from fittingroom.core.storage import signed_upload_url
from fittingroom.images.models import DirectUpload, PersonImage
from fittingroom.images.services import FileTooLarge, person_image_upload
from fittingroom.limits.shoppers import Shopper

UPLOAD_PREFIX = "uploads/"


class UploadNotFound(ApplicationError):
    code, status = "UPLOAD_NOT_FOUND", 404
    message = "No such upload: the key is unknown, used already or expired. Prepare another."


class UploadMissing(ApplicationError):
    code, status = "UPLOAD_FILE_MISSING", 400
    message = "Nothing was uploaded under this key: PUT the photo to uploadUrl first."


def direct_upload_prepare(*, account: Account) -> tuple[DirectUpload, str]:
    """A new upload slot and the URL to PUT the photo to (valid until the slot expires)."""
    ttl = settings.DIRECT_UPLOAD_TTL_SECONDS
    upload = DirectUpload.objects.create(
        account=account,
        object_name=f"{UPLOAD_PREFIX}{timezone.now():%Y/%m/%d}/{secrets.token_hex(16)}",
        expires_at=timezone.now() + timedelta(seconds=ttl),
    )
    return upload, signed_upload_url(upload.object_name, expires_in=ttl)


def direct_upload_complete(
    *, account: Account, shopper: Shopper, upload_key: str, crop: bool = True
) -> PersonImage:
    """Claim the key (once), then process the uploaded bytes like a multipart upload.

    Raises UPLOAD_NOT_FOUND (unknown, another account's, used or expired), UPLOAD_FILE_MISSING,
    FILE_TOO_LARGE or INVALID_IMAGE. The raw object is deleted whatever the outcome.
    """
    upload = _claim(account, upload_key)
    name = upload.object_name
    try:
        if not default_storage.exists(name):
            raise UploadMissing()
        if default_storage.size(name) > settings.DIRECT_UPLOAD_MAX_BYTES:
            raise FileTooLarge(settings.DIRECT_UPLOAD_MAX_BYTES)
        with default_storage.open(name, "rb") as handle:
            photo = UploadedFile(handle, name="photo", size=default_storage.size(name))
            return person_image_upload(
                account=account,
                shopper=shopper,
                upload=photo,
                crop=crop,
                max_bytes=settings.DIRECT_UPLOAD_MAX_BYTES,
            )
    finally:
        default_storage.delete(name)


def _claim(account: Account, upload_key: str) -> DirectUpload:
    if not looks_like_public_id(upload_key, "up"):
        raise UploadNotFound()
    with transaction.atomic():
        claimed = DirectUpload.objects.filter(
            key=upload_key,
            account=account,
            completed_at__isnull=True,
            expires_at__gt=timezone.now(),
        ).update(completed_at=timezone.now())
        if claimed != 1:
            raise UploadNotFound()
    return DirectUpload.objects.get(key=upload_key)


def direct_uploads_sweep(*, batch_size: int = 500) -> int:
    """Delete expired slots and whatever was uploaded to them (never completed, or PUT again
    after completion). Returns how many went."""
    expired = list(
        DirectUpload.objects.filter(expires_at__lte=timezone.now()).values_list(
            "key", "object_name", "completed_at"
        )[:batch_size]
    )
    for key, name, _completed_at in expired:
        # Also for a completed slot: a PUT may have come again after completion.
        default_storage.delete(name)
        DirectUpload.objects.filter(key=key).delete()
    return len(expired)
