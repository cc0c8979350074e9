"""Writes on person images: upload (validate, normalise, store) and deletion."""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from fittingroom.accounts.models import Account
from fittingroom.core.errors import ApplicationError
from fittingroom.images.models import PersonImage
from fittingroom.images.processing import ImageRejected, process_photo
from fittingroom.images.quality import issues_payload
from fittingroom.limits.shoppers import Shopper


class FileRequired(ApplicationError):
    code, status, message = "FILE_REQUIRED", 400, "Send the photo as the multipart field 'file'."


class FileTooLarge(ApplicationError):
    code, status = "FILE_TOO_LARGE", 413

    def __init__(self, limit: int | None = None) -> None:
        limit_mb = (limit or settings.UPLOAD_MAX_BYTES) / (1024 * 1024)
        super().__init__(f"The file is larger than {limit_mb:g} MB.")


class InvalidImage(ApplicationError):
    code, status, message = "INVALID_IMAGE", 400, "The file is not a usable image."


class PhotoRejected(ApplicationError):
    code, status = "PHOTO_REJECTED", 400
    message = "The photo cannot give a good try-on; upload another one (see details)."


def person_image_usable_check(*, person_image: PersonImage, path: str = "userImageId") -> None:
    """Refuse a try-on with a photo the check found issues in: PHOTO_REJECTED, whose details
    list them as {path, code, message}. Reads the upload's verdict, no image work."""
    if person_image.quality_issues:
        issues = issues_payload(person_image.quality_issues)["issues"]
        raise PhotoRejected(details=[{"path": path, **issue} for issue in issues])


def upload_size_check(*, declared_bytes: int) -> None:
    """Refuse an oversized upload from its declared size, before any of it is parsed."""
    # Multipart framing and the other fields add a little to the file itself.
    if declared_bytes > settings.UPLOAD_MAX_BYTES + 64 * 1024:
        raise FileTooLarge()


def person_image_upload(
    *,
    account: Account,
    shopper: Shopper,
    upload: UploadedFile | None,
    keep_for_days: int | None = None,
    crop: bool = True,
    max_bytes: int | None = None,
) -> PersonImage:
    """Validate and normalise a shopper's photo (4:5 around the person unless `crop` is
    false), check it, store it under a random name and record it with the check's verdict.

    Raises FILE_REQUIRED, FILE_TOO_LARGE or INVALID_IMAGE; nothing is stored when it raises.
    A photo with issues is stored all the same: the shopper sees what to fix, and a try-on
    with it is refused (PHOTO_REJECTED).
    """
    if upload is None:
        raise FileRequired()
    max_bytes = max_bytes or settings.UPLOAD_MAX_BYTES
    if upload.size is not None and upload.size > max_bytes:
        raise FileTooLarge(max_bytes)
    upload.seek(0)
    try:
        normalized = process_photo(
            upload,
            max_side=settings.UPLOAD_MAX_SIDE,
            max_pixels=settings.UPLOAD_MAX_PIXELS,
            crop=crop,
        )
    except ImageRejected as error:
        raise InvalidImage(error.reason) from error
    person_image = PersonImage(
        faces=[face.as_dict() for face in normalized.check.faces],
        quality_issues=normalized.check.issues,
        account=account,
        shopper_key=shopper.key,
        width=normalized.width,
        height=normalized.height,
        size_bytes=len(normalized.jpeg),
        sha256=hashlib.sha256(normalized.jpeg).hexdigest(),
        expires_at=timezone.now() + timedelta(days=keep_for_days or settings.IMAGE_RETENTION_DAYS),
    )
    person_image.image.save("photo.jpg", ContentFile(normalized.jpeg), save=False)
    try:
        with transaction.atomic():
            person_image.save()
    except Exception:
        person_image.image.delete(save=False)
        raise
    return person_image


def person_image_delete(*, person_image: PersonImage) -> None:
    """Delete the stored file and the row."""
    person_image.image.delete(save=False)
    person_image.delete()


def person_images_expire(*, batch_size: int = 500) -> int:
    """Delete photos past their retention date (file and row); returns how many went."""
    expired = list(PersonImage.objects.filter(expires_at__lte=timezone.now())[:batch_size])
    for person_image in expired:
        person_image_delete(person_image=person_image)
    return len(expired)
