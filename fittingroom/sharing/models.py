import secrets

from django.db import models
from django.utils import timezone

from fittingroom.accounts.models import Account
from fittingroom.core.ids import new_public_id
from fittingroom.generations.models import Generation


def new_share_token() -> str:
    return new_public_id("shr")


def share_image_path(instance: "ShareLink", filename: str) -> str:
    return f"shares/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.jpg"


class ShareLink(models.Model):
    """A public link to one completed try-on, chosen by the shopper. It holds a copy of the
    result, so the result's own retention does not cut the link short; the copy goes when the
    link is revoked, expires, or the shopper's or shop's data is erased."""

    token = models.CharField(primary_key=True, max_length=40, default=new_share_token)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    generation = models.OneToOneField(
        Generation, on_delete=models.CASCADE, related_name="share_link"
    )
    image = models.ImageField(upload_to=share_image_path)
    product_title = models.CharField(max_length=255, blank=True)
    product_url = models.URLField(max_length=2048)
    views = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.token

    @property
    def is_live(self) -> bool:
        return self.expires_at > timezone.now()
