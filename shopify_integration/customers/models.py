from django.db import models

from shopify_integration.models import Shop


class EmailCaptureSetting(models.Model):
    """Whether the widget asks the shopper for their e-mail, and when. No row: off."""

    class AskWhen(models.TextChoices):
        AFTER_FIRST_RESULT = "after_first_result", "After the first result"
        NEVER = "never", "Never"

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="email_capture")
    enabled = models.BooleanField(default=False)
    ask_when = models.CharField(
        max_length=32, choices=AskWhen.choices, default=AskWhen.AFTER_FIRST_RESULT
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.shop}: {'on' if self.enabled else 'off'} ({self.ask_when})"
