"""What the embedded admin page shows a merchant about their shop."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from fittingroom.generations.models import Generation
from shopify_integration.billing.plans import PLANS, Plan
from shopify_integration.billing.selectors import shop_plan
from shopify_integration.models import Shop

USAGE_DAYS_DEFAULT, USAGE_DAYS_MAX = 30, 90


@dataclass(frozen=True)
class MerchantSettings:
    plan_name: str | None  # None: no paid plan
    billing_status: str
    used: int
    quota: int | None  # None: no quota
    period_end: datetime | None  # None: no period running
    included: int | None  # the plan's included try-ons per period; None: no plan
    overage_used: int  # try-ons beyond `included` this period
    overage_price: Decimal | None  # per try-on beyond `included`; None: the plan has no overage
    free_allowance: int | None  # free try-ons per period without a plan; None: on a plan
    shopper_weekly_limit: int
    watermark_enabled: bool
    result_reuse_enabled: bool
    has_watermark_logo: bool
    widget_product_tag: str
    theme_editor_url: str
    plans: tuple[Plan, ...]


def merchant_settings_get(*, shop: Shop) -> MerchantSettings:
    account = shop.account
    period_running = (
        account.quota_period_end is not None and account.quota_period_end > timezone.now()
    )
    used = account.quota_used if period_running else 0
    plan = shop_plan(shop=shop)
    included = plan.monthly_quota if plan is not None else None
    return MerchantSettings(
        plan_name=shop.plan_name or None,
        billing_status=shop.billing_status,
        used=used,
        quota=account.quota_limit,
        period_end=account.quota_period_end if period_running else None,
        included=included,
        overage_used=max(0, used - included) if included is not None else 0,
        overage_price=plan.overage_price if plan is not None else None,
        free_allowance=None
        if shop.billing_status == Shop.Billing.ACTIVE
        else (settings.FREE_MONTHLY_ALLOWANCE),
        shopper_weekly_limit=account.shopper_weekly_limit,
        watermark_enabled=account.watermark_enabled,
        result_reuse_enabled=account.result_reuse_enabled,
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


@dataclass(frozen=True)
class DayUsage:
    day: date  # a UTC calendar day
    try_ons: int  # generations that count against the quota (not refunded)
    failed: int  # generations that failed (refunded, so not in try_ons)


def shop_daily_usage(
    *, shop: Shop, days: int = USAGE_DAYS_DEFAULT, today: date | None = None
) -> list[DayUsage]:
    """The shop's try-ons per UTC day for the last `days` days up to today, oldest first, days
    without any included as zeros. One grouped query over the shop's own generations."""
    today = today or timezone.now().date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    rows = (
        Generation.objects.filter(account_id=shop.account_id, created_at__gte=start)
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day")
        .annotate(
            try_ons=Count("id", filter=Q(refunded_at__isnull=True)),
            failed=Count("id", filter=Q(status=Generation.Status.FAILED)),
        )
        .order_by()
    )
    counted = {row["day"]: row for row in rows}
    return [
        DayUsage(
            day=day,
            try_ons=counted.get(day, {}).get("try_ons", 0),
            failed=counted.get(day, {}).get("failed", 0),
        )
        for day in (first + timedelta(days=n) for n in range(days))
    ]
