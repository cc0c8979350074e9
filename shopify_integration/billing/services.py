"""Shopify Billing: subscribe a shop to a plan, sync its state from Shopify, charge overage.

Shopify is the source of truth for subscriptions: we only ever store what
`currentAppInstallation.activeSubscriptions` says. Overage is charged per COMPLETED generation
beyond the plan's included quota, once: a UsageCharge row (unique per generation) is recorded
before Shopify is called, and the generation id is Shopify's idempotency key.
"""

import logging
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from fittingroom.accounts.models import Account
from fittingroom.core.errors import ApplicationError
from shopify_integration.admin_api import (
    AdminApiClient,
    AdminApiError,
    AdminApiUnauthorized,
    AdminApiUnavailable,
)
from shopify_integration.billing.documents import (
    ACTIVE_SUBSCRIPTIONS,
    SUBSCRIPTION_CREATE,
    USAGE_RECORD_CREATE,
)
from shopify_integration.billing.plans import CURRENCY, PLANS_BY_NAME, Plan
from shopify_integration.billing.selectors import (
    shop_billed_by_shopify,
    shop_plan,
    shop_quota_limit,
    shops_to_sync,
    shops_with_overage,
    usage_charges_unsent,
    usage_generation_ids_uncharged,
)
from shopify_integration.models import Shop, UsageCharge
from shopify_integration.services import BillingNotAllowed
from shopify_integration.tokens import (
    ShopifyUnavailable,
    ShopReauthRequired,
    shop_access_token,
    shop_mark_needs_reauth,
)

logger = logging.getLogger(__name__)

# A charge recorded this long ago and still unanswered is sent again (same idempotency key).
USAGE_RESEND_AFTER = timedelta(minutes=5)
USAGE_BATCH = 200  # charges per shop per run, so one run stays short
NO_PUBLIC_DISTRIBUTION = "public distribution"  # in Shopify's userError for custom apps


class BillingError(ApplicationError):
    code, status = "BILLING_ERROR", 400
    message = "Shopify refused the subscription."


class ShopifyApiFailed(ApplicationError):
    code, status = "SHOPIFY_API_ERROR", 502
    message = "Shopify answered something we could not use. Try again later."


def shop_admin_client(*, shop: Shop) -> AdminApiClient:
    return AdminApiClient(shop=shop.domain, access_token=shop_access_token(shop=shop))


def _admin_execute(*, shop: Shop, query: str, variables: dict[str, Any] | None = None) -> dict:
    """Run a document for the shop, turning the client's errors into ours. A refused token marks
    the shop for re-authorisation."""
    try:
        return shop_admin_client(shop=shop).execute(query, variables)
    except AdminApiUnauthorized as error:
        shop_mark_needs_reauth(shop=shop)
        raise ShopReauthRequired() from error
    except AdminApiUnavailable as error:
        raise ShopifyUnavailable() from error
    except AdminApiError as error:
        logger.error("Shopify billing call for %s failed: %s", shop.domain, error.message)
        raise ShopifyApiFailed() from error


# --- subscribe ---------------------------------------------------------------------------------


def billing_subscribe(*, shop: Shop, plan: Plan) -> str:
    """Ask Shopify for a subscription to `plan` and return the confirmation URL the merchant
    must open to approve it. Nothing changes on our side until a sync sees it ACTIVE.

    Raises BillingNotAllowed (the app cannot use the Billing API), BillingError (Shopify's
    userErrors, as details), SHOP_REAUTH_REQUIRED, SHOPIFY_UNAVAILABLE, SHOPIFY_API_ERROR.
    """
    variables = {
        "name": plan.name,
        "returnUrl": billing_return_url(shop=shop),
        "test": settings.SHOPIFY_BILLING_TEST,
        "trialDays": plan.trial_days,
        "replacementBehavior": "APPLY_IMMEDIATELY",
        "lineItems": _line_items(plan),
    }
    data = _admin_execute(shop=shop, query=SUBSCRIPTION_CREATE, variables=variables)
    payload = data.get("appSubscriptionCreate") or {}
    errors = payload.get("userErrors") or []
    if errors:
        raise _subscribe_error(errors)
    confirmation_url = payload.get("confirmationUrl")
    if not isinstance(confirmation_url, str) or not confirmation_url:
        raise ShopifyApiFailed()
    Shop.objects.filter(id=shop.id).exclude(billing_status=Shop.Billing.ACTIVE).update(
        billing_status=Shop.Billing.PENDING, updated_at=timezone.now()
    )
    return confirmation_url


def billing_return_url(*, shop: Shop) -> str:
    query = urlencode({"shop": shop.domain})
    return f"{settings.PUBLIC_BASE_URL}{reverse('shopify-billing-return')}?{query}"


def _money(amount: Decimal) -> dict[str, str]:
    return {"amount": str(amount), "currencyCode": CURRENCY}


def _line_items(plan: Plan) -> list[dict[str, Any]]:
    recurring = {"price": _money(plan.price), "interval": "EVERY_30_DAYS"}
    items: list[dict[str, Any]] = [{"plan": {"appRecurringPricingDetails": recurring}}]
    if plan.overage_cap is not None:
        usage = {"terms": plan.usage_terms, "cappedAmount": _money(plan.overage_cap)}
        items.append({"plan": {"appUsagePricingDetails": usage}})
    return items


def _subscribe_error(errors: list[Any]) -> ApplicationError:
    details = [_user_error_detail(error) for error in errors]
    if any(NO_PUBLIC_DISTRIBUTION in detail["message"].lower() for detail in details):
        return BillingNotAllowed(
            "This app cannot charge through Shopify Billing: it has no public distribution.",
            details=details,
        )
    return BillingError(details=details)


def _user_error_detail(error: Any) -> dict[str, str]:
    error = error if isinstance(error, dict) else {}
    field = error.get("field") or []
    path = ".".join(str(part) for part in field) if isinstance(field, list) else str(field)
    return {"path": path, "message": str(error.get("message") or "")}


def _user_errors_text(errors: list[Any]) -> str:
    return "; ".join(detail["message"] for detail in map(_user_error_detail, errors))


# --- sync --------------------------------------------------------------------------------------


def billing_sync(*, shop: Shop) -> None:
    """Read the shop's active subscriptions from Shopify and store its billing state and the
    account's quota: the plan's hard quota when ACTIVE, else the free allowance.

    Test subscriptions count only when SHOPIFY_BILLING_TEST is on. A shop billed outside Shopify
    (see shop_billed_by_shopify) is left alone. Raises SHOP_REAUTH_REQUIRED (and marks the
    shop), SHOPIFY_UNAVAILABLE, SHOPIFY_API_ERROR.
    """
    if not shop_billed_by_shopify(shop=shop):
        return
    data = _admin_execute(shop=shop, query=ACTIVE_SUBSCRIPTIONS)
    installation = data.get("currentAppInstallation")
    subscriptions = installation.get("activeSubscriptions") if installation else None
    if not isinstance(subscriptions, list):
        raise ShopifyApiFailed()
    _billing_state_store(shop=shop, subscription=_subscription_pick(subscriptions))


def _subscription_pick(subscriptions: list[Any]) -> dict[str, Any] | None:
    """The subscription that decides the shop's state: ACTIVE first, then FROZEN; among several
    (which APPLY_IMMEDIATELY should prevent) the one with the largest quota."""
    ours = [
        subscription
        for subscription in subscriptions
        if isinstance(subscription, dict)
        and subscription.get("name") in PLANS_BY_NAME
        and (settings.SHOPIFY_BILLING_TEST or subscription.get("test") is False)
    ]
    for status in ("ACTIVE", "FROZEN"):
        matching = [subscription for subscription in ours if subscription.get("status") == status]
        if matching:
            return max(matching, key=lambda s: PLANS_BY_NAME[s["name"]].monthly_quota)
    return None


def _usage_line_item_id(subscription: dict[str, Any]) -> str:
    for item in subscription.get("lineItems") or []:
        details = ((item or {}).get("plan") or {}).get("pricingDetails") or {}
        if details.get("__typename") == "AppUsagePricing":
            return str(item.get("id") or "")
    return ""


def _billing_state_store(*, shop: Shop, subscription: dict[str, Any] | None) -> None:
    now = timezone.now()
    if subscription is None:
        fields: dict[str, Any] = {
            "plan_name": "",
            "billing_status": Shop.Billing.NONE,
            "subscription_id": "",
            "subscription_test": False,
            "usage_line_item_id": "",
        }
    else:
        fields = {
            "plan_name": subscription["name"],
            "billing_status": (
                Shop.Billing.ACTIVE if subscription["status"] == "ACTIVE" else Shop.Billing.FROZEN
            ),
            "subscription_id": str(subscription.get("id") or ""),
            "subscription_test": bool(subscription.get("test")),
            "usage_line_item_id": _usage_line_item_id(subscription),
        }
    fields["billing_synced_at"] = now
    for name, value in fields.items():
        setattr(shop, name, value)
    quota_limit = shop_quota_limit(shop=shop)
    with transaction.atomic():
        Shop.objects.filter(id=shop.id).update(**fields, updated_at=now)
        Account.objects.filter(id=shop.account_id).update(quota_limit=quota_limit)
    shop.account.quota_limit = quota_limit


def billing_return(*, shop: Shop) -> None:
    """The merchant is back from Shopify's approval page: sync now. Shopify trouble is logged,
    never raised: the merchant goes back to the app either way and the periodic sync catches up."""
    try:
        billing_sync(shop=shop)
    except ApplicationError as error:
        logger.warning("billing sync after approval failed for %s: %s", shop.domain, error.code)


def billing_sync_all() -> dict[str, int]:
    """Sync every installed shop with a token; one shop's failure does not stop the others."""
    counts = {"synced": 0, "failed": 0}
    for shop in shops_to_sync().iterator():
        try:
            billing_sync(shop=shop)
            counts["synced"] += 1
        except ApplicationError as error:
            logger.warning("billing sync failed for %s: %s", shop.domain, error.code)
            counts["failed"] += 1
    return counts


# --- usage charges -----------------------------------------------------------------------------


def billing_usage_charges_send(*, shop: Shop) -> int:
    """Charge the shop's uncharged overage (see usage_generation_ids_uncharged), and resend
    charges left unanswered. Returns how many Shopify accepted.

    Stops at the first failure: the cap reached or a refusal is recorded on that charge and never
    retried; a Shopify outage leaves it unanswered, to be resent after USAGE_RESEND_AFTER.
    """
    plan = shop_plan(shop=shop)
    if plan is None or plan.overage_price is None or not shop.usage_line_item_id:
        return 0
    sent = 0
    for charge in _usage_charges_due(shop=shop, plan=plan):
        try:
            _usage_charge_send(shop=shop, charge=charge)
        except ApplicationError as error:
            logger.warning("usage charges for %s stopped: %s", shop.domain, error.message)
            break
        sent += 1
    return sent


def _usage_charges_due(*, shop: Shop, plan: Plan) -> Iterator[UsageCharge]:
    """Unanswered charges first, then new ones, claimed one at a time as they are sent."""
    created_before = timezone.now() - USAGE_RESEND_AFTER
    unsent = list(usage_charges_unsent(shop=shop, created_before=created_before)[:USAGE_BATCH])
    yield from unsent
    claimed = 0
    for generation_id in usage_generation_ids_uncharged(shop=shop, plan=plan):
        if len(unsent) + claimed >= USAGE_BATCH:
            return
        charge = _usage_charge_claim(shop=shop, generation_id=generation_id, plan=plan)
        if charge is not None:
            claimed += 1
            yield charge


def _usage_charge_claim(*, shop: Shop, generation_id: str, plan: Plan) -> UsageCharge | None:
    """Record the charge before calling Shopify; None when another run recorded it first."""
    try:
        with transaction.atomic():
            return UsageCharge.objects.create(
                shop=shop, generation_id=generation_id, price=plan.overage_price
            )
    except IntegrityError:
        return None


class UsageChargeRefused(ApplicationError):
    code, status = "USAGE_CHARGE_REFUSED", 402
    message = "Shopify refused a usage charge."


def _usage_charge_send(*, shop: Shop, charge: UsageCharge) -> None:
    variables = {
        "subscriptionLineItemId": shop.usage_line_item_id,
        "price": _money(charge.price),
        "description": f"Try-on generation {charge.generation_id}",
        "idempotencyKey": charge.generation_id,
    }
    try:
        data = _admin_execute(shop=shop, query=USAGE_RECORD_CREATE, variables=variables)
    except ShopifyApiFailed as error:
        _usage_charge_fail(charge=charge, message=error.message)
        raise
    payload = data.get("appUsageRecordCreate") or {}
    record_id = (payload.get("appUsageRecord") or {}).get("id")
    errors = payload.get("userErrors") or []
    if errors or not isinstance(record_id, str) or not record_id:
        message = _user_errors_text(errors) or "Shopify created no usage record."
        _usage_charge_fail(charge=charge, message=message)
        raise UsageChargeRefused(f"{charge.generation_id}: {message}")
    UsageCharge.objects.filter(id=charge.id).update(
        usage_record_id=record_id, charged_at=timezone.now(), error=""
    )


def _usage_charge_fail(*, charge: UsageCharge, message: str) -> None:
    """Record why Shopify refused the charge; a refused charge is never sent again."""
    logger.warning("usage charge for %s refused: %s", charge.generation_id, message)
    UsageCharge.objects.filter(id=charge.id, usage_record_id="").update(error=message[:500])


def billing_usage_charges_send_all() -> dict[str, int]:
    counts = {"shops": 0, "charged": 0}
    for shop in shops_with_overage().iterator():
        counts["shops"] += 1
        counts["charged"] += billing_usage_charges_send(shop=shop)
    return counts
