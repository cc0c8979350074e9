import secrets

from django.db import models
from django.utils import timezone

from fittingroom.accounts.models import Account
from fittingroom.core.ids import new_public_id


def new_file_id() -> str:
    return new_public_id("file")


def person_image_path(instance: "PersonImage", filename: str) -> str:
    # A random name: the stored path reveals nothing about the shopper or the upload order.
    return f"person/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.jpg"


def new_upload_key() -> str:
    return new_public_id("up")


class DirectUpload(models.Model):
    """A signed, single-use, expiring slot for a photo PUT straight to storage: `object_name`
    is where the raw bytes land; upload-complete (once, by the same account) processes them
    into a PersonImage and deletes the object. Unused slots are swept with their objects."""

    key = models.CharField(primary_key=True, max_length=32, default=new_upload_key, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="direct_uploads")
    object_name = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.key


class PersonImage(models.Model):
    """A shopper's photo, normalised (oriented, sRGB, no metadata, downscaled) and re-encoded."""

    id = models.CharField(primary_key=True, max_length=32, default=new_file_id, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="person_images")
    shopper_key = models.CharField(max_length=260, db_index=True)
    image = models.ImageField(upload_to=person_image_path, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    size_bytes = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    # The photo check at upload: faces [{x, y, width, height, confidence}] in stored pixels,
    # and the codes of the issues found (fittingroom/images/quality.py); a try-on with any of
    # them is refused before anything is charged.
    faces = models.JSONField(default=list, blank=True)
    quality_issues = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["account", "shopper_key"]),
            models.Index(fields=["account", "sha256"]),  # result reuse looks photos up by hash
        ]

    def __str__(self) -> str:
        return self.id
