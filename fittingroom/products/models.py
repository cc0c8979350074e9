from django.db import models

from fittingroom.accounts.models import Account


class Product(models.Model):
    """A garment described by a public-API client: named (inline, 15 days from last use) or
    one-shot (server-generated `_anon_` id, 7 days). Generations keep their own snapshot."""

    class Kind(models.TextChoices):
        INLINE = "inline", "Inline (named)"
        ONE_SHOT = "one_shot", "One-shot"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="products")
    external_id = models.CharField(max_length=255)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.INLINE)
    title = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    images = models.JSONField(
        default=list,
        help_text="Image URLs (or `file:` names of images sent as files); the first is tried on.",
    )
    image_roles = models.JSONField(default=list, blank=True, help_text="Each image's role or null.")
    metadata = models.JSONField(null=True, blank=True)
    category = models.CharField(max_length=32, default="tops")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "external_id"], name="one_product_per_external_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} ({self.account})"
