"""What the embedded admin page shows a merchant about their shop."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from shopify_integration.billing.plans import PLANS, Plan
from shopify_integration.models import Shop


@dataclass(frozen=True)
class MerchantSettings:
    plan_name: str | None  # None: no paid plan
    billing_status: str
    used: int
    quota: int | None  # None: no quota
    period_end: datetime | None  # None: no period running
    shopper_weekly_limit: int
    watermark_enabled: bool
    has_watermark_logo: bool
    widget_product_tag: str
    theme_editor_url: str
    plans: tuple[Plan, ...]


def merchant_settings_get(*, shop: Shop) -> MerchantSettings:
    account = shop.account
    period_running = (
        account.quota_period_end is not None and account.quota_period_end > timezone.now()
    )
    return MerchantSettings(
        plan_name=shop.plan_name or None,
        billing_status=shop.billing_status,
        used=account.quota_used if period_running else 0,
        quota=account.quota_limit,
        period_end=account.quota_period_end if period_running else None,
        shopper_weekly_limit=account.shopper_weekly_limit,
        watermark_enabled=account.watermark_enabled,
        has_watermark_logo=bool(account.watermark_logo),
        widget_product_tag=shop.widget_product_tag,
        theme_editor_url=theme_editor_url(shop=shop),
        plans=PLANS,
    )


def theme_editor_url(*, shop: Shop) -> str:
    """Opens the theme editor on a product page with our app block added to the main section."""
    return (
        f"https://{shop.domain}/admin/themes/current/editor?template=product"
        f"&addAppBlockId={settings.SHOPIFY_API_KEY}/fitting-room&target=mainSection"
    )
