"""Reads for billing: the plan a shop pays for, its free allowance, the overage left to charge."""

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from fittingroom.accounts.models import Account
from fittingroom.generations.models import Generation
from shopify_integration.billing.plans import PLANS, PLANS_BY_NAME, Plan
from shopify_integration.identifiers import shop_domain_valid
from shopify_integration.models import Shop, UsageCharge

# Overage of a quota period that ended this recently is still charged (the task runs every
# minute, so this only matters after an outage).
USAGE_PERIOD_GRACE = timedelta(days=2)


def shop_plan(*, shop: Shop) -> Plan | None:
    """The plan the shop pays for now: None unless billing is ACTIVE under a name we sell."""
    if shop.billing_status != Shop.Billing.ACTIVE:
        return None
    return PLANS_BY_NAME.get(shop.plan_name)


def shop_billed_by_shopify(*, shop: Shop) -> bool:
    """False for a shop with an ACTIVE plan we do not sell (a custom app's "Custom" plan from
    `shop_connect`, the demo shop): its plan and quota are set by hand and no sync touches them."""
    return not (
        shop.billing_status == Shop.Billing.ACTIVE
        and shop.plan_name
        and shop.plan_name not in PLANS_BY_NAME
    )


def shop_quota_limit(*, shop: Shop) -> int:
    """What the account's quota_limit should be for the shop's billing state."""
    plan = shop_plan(shop=shop)
    return plan.quota_limit if plan is not None else settings.FREE_MONTHLY_ALLOWANCE


def shop_free_allowance_left(*, shop: Shop) -> bool:
    """Whether a shop without a plan may still take a free try-on this quota period.

    The allowance is FREE_MONTHLY_ALLOWANCE, or the account's quota if smaller. An account with no
    quota at all is not counted by the core, so it gets no free try-ons: the billing sync gives
    it the allowance as its quota.
    """
    account: Account = shop.account
    if account.quota_limit is None:
        return False
    allowance = min(account.quota_limit, settings.FREE_MONTHLY_ALLOWANCE)
    period_over = account.quota_period_end is None or account.quota_period_end <= timezone.now()
    used = 0 if period_over else account.quota_used
    return used < allowance


def shops_to_sync() -> QuerySet[Shop]:
    """Installed shops billed by Shopify, holding a token the Admin API has not refused."""
    billed_elsewhere = (
        Q(billing_status=Shop.Billing.ACTIVE)
        & ~Q(plan_name="")
        & ~Q(plan_name__in=list(PLANS_BY_NAME))
    )
    return (
        Shop.objects.select_related("account")
        .filter(is_installed=True, needs_reauth=False)
        .exclude(access_token_encrypted="")
        .exclude(billed_elsewhere)
        .order_by("id")
    )


def shops_with_overage() -> QuerySet[Shop]:
    """Shops on an active plan with usage pricing, whose usage line item we know."""
    names = [plan.name for plan in PLANS if plan.has_overage]
    return (
        shops_to_sync()
        .filter(billing_status=Shop.Billing.ACTIVE, plan_name__in=names)
        .exclude(usage_line_item_id="")
    )


def usage_generation_ids_uncharged(*, shop: Shop, plan: Plan) -> Iterator[str]:
    """COMPLETED generations beyond the plan's included quota with no UsageCharge yet, oldest
    first, for the current quota period and any that ended within USAGE_PERIOD_GRACE.

    In each period the first `monthly_quota` generations to finish are included. Generations only
    ever become COMPLETED, never stop being it, so a generation once beyond the quota stays beyond
    it: charging what this returns never charges more than the overage.
    """
    for period_end in _recent_periods(shop.account_id):
        beyond = list(
            Generation.objects.filter(
                account_id=shop.account_id,
                status=Generation.Status.COMPLETED,
                quota_period_end=period_end,
            )
            .order_by("finished_at", "id")
            .values_list("id", flat=True)[plan.monthly_quota :]
        )
        charged = set(
            UsageCharge.objects.filter(generation_id__in=beyond).values_list(
                "generation_id", flat=True
            )
        )
        yield from (generation_id for generation_id in beyond if generation_id not in charged)


def _recent_periods(account_id: str) -> list[datetime]:
    periods = (
        Generation.objects.filter(
            account_id=account_id,
            status=Generation.Status.COMPLETED,
            quota_period_end__gt=timezone.now() - USAGE_PERIOD_GRACE,
        )
        .order_by("quota_period_end")
        .values_list("quota_period_end", flat=True)
        .distinct()
    )
    return list(periods)


def usage_charges_unsent(*, shop: Shop, created_before: datetime) -> QuerySet[UsageCharge]:
    """Charges recorded but never answered by Shopify (a crash or an outage mid-send): safe to
    send again, since Shopify replays an idempotency key it has seen."""
    return UsageCharge.objects.filter(
        shop=shop, usage_record_id="", error="", created_at__lt=created_before
    ).order_by("created_at", "id")


def shop_installed_get(*, domain: str) -> Shop | None:
    """The installed shop with this exact myshopify domain, or None."""
    if not shop_domain_valid(domain):
        return None
    return Shop.objects.select_related("account").filter(domain=domain, is_installed=True).first()
