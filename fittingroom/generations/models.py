import secrets

from django.db import models
from django.utils import timezone

from fittingroom.accounts.models import Account
from fittingroom.core.ids import new_public_id
from fittingroom.images.models import PersonImage


def new_generation_id() -> str:
    return new_public_id("gen")


def result_image_path(instance: "Generation", filename: str) -> str:
    return f"results/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.jpg"


class Generation(models.Model):
    """One try-on job. Status only moves forward, by compare-and-set:
    PENDING → PROCESSING → COMPLETED | FAILED (PENDING → FAILED when it never started)."""

    class Status(models.TextChoices):
        PENDING = "PENDING"
        PROCESSING = "PROCESSING"
        COMPLETED = "COMPLETED"
        FAILED = "FAILED"

    id = models.CharField(
        primary_key=True, max_length=32, default=new_generation_id, editable=False
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="generations")
    shopper_key = models.CharField(max_length=260)
    client_ip = models.GenericIPAddressField()
    person_image = models.ForeignKey(
        PersonImage, on_delete=models.SET_NULL, null=True, blank=True, related_name="generations"
    )
    # Snapshot of the garment at creation time.
    catalog_source = models.CharField(max_length=32)
    product_id = models.CharField(max_length=255)
    variant_id = models.CharField(max_length=255, blank=True)
    garment_title = models.CharField(max_length=255, blank=True)
    garment_category = models.CharField(max_length=32, default="tops")
    garment_image_ref = models.CharField(max_length=2048)

    engine = models.CharField(max_length=32)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    result_image = models.ImageField(upload_to=result_image_path, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    provider_job_id = models.CharField(max_length=255, blank=True, db_index=True)
    polls = models.PositiveIntegerField(default=0)

    # Output controls: the account's logo bottom-left unless turned off for this generation;
    # the photo and result are deleted `keep_for_days` after creation.
    watermark = models.BooleanField(default=True)
    keep_for_days = models.PositiveSmallIntegerField(default=7)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)

    # Charging: the quota period charged (None: no quota) or a credit (public-API accounts),
    # whether the slot still counts toward
    # the shopper's weekly limit, and when it was refunded (set once, by compare-and-set).
    quota_period_end = models.DateTimeField(null=True, blank=True)
    credit_charged = models.BooleanField(default=False)
    counts_toward_limit = models.BooleanField(default=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    # COMPLETED at creation from an earlier identical try-on's result (services/reuse.py):
    # no engine call, no charge, no weekly-limit slot.
    reused = models.BooleanField(default=False)
    # An operator's retry of a FAILED generation is a new generation pointing here; one-to-one,
    # so a failed generation is retried at most once whoever clicks twice.
    retry_of = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="retried_as",
    )

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    deadline_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["account", "shopper_key", "created_at"]),
            models.Index(fields=["account", "client_ip", "created_at"]),
            models.Index(fields=["status", "created_at"]),
        ]

    def __str__(self) -> str:
        return self.id

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.COMPLETED, self.Status.FAILED)
