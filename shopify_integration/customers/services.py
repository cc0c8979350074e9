"""E-mail capture: the shopper leaves an address in the widget; the shop gets a customer
(found by e-mail, else created) tagged `fitting-room`, subscribed to e-mail marketing only when
the shopper said yes (single opt-in). The Admin API is called from a task with retries; we keep
no copy of the address."""

import logging
import re

from django.db import transaction

from fittingroom.core.errors import ApplicationError, ValidationFailed
from shopify_integration.admin_api import AdminApiClient, AdminApiError
from shopify_integration.customers.documents import (
    CUSTOMER_BY_EMAIL,
    CUSTOMER_CONSENT_UPDATE,
    CUSTOMER_CREATE,
    CUSTOMER_TAGS_ADD,
)
from shopify_integration.customers.models import EmailCaptureSetting
from shopify_integration.models import Shop
from shopify_integration.tokens import shop_access_token

logger = logging.getLogger(__name__)
CUSTOMER_TAG = "fitting-room"
# Plain addresses only: the value goes inside a quoted Shopify search term.
_SAFE_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,63}$")
_SUBSCRIBED = {"marketingState": "SUBSCRIBED", "marketingOptInLevel": "SINGLE_OPT_IN"}


class EmailCaptureDisabled(ApplicationError):
    code, status, message = "EMAIL_CAPTURE_DISABLED", 403, "This shop does not collect e-mails."


class CustomerUserErrors(AdminApiError):
    """Shopify refused the customer (userErrors): retrying would not help."""


def email_capture_setting(*, shop: Shop) -> EmailCaptureSetting:
    found = EmailCaptureSetting.objects.filter(shop=shop).first()
    return found or EmailCaptureSetting(shop=shop)


def email_capture_ask(*, shop: Shop) -> str | None:
    """When the widget asks for the e-mail (`after_first_result`), or None: it does not."""
    setting = email_capture_setting(shop=shop)
    if setting.enabled and setting.ask_when != EmailCaptureSetting.AskWhen.NEVER:
        return setting.ask_when
    return None


def email_capture_update(*, shop: Shop, enabled: bool | None, ask_when: str | None) -> None:
    setting, _ = EmailCaptureSetting.objects.get_or_create(shop=shop)
    if enabled is not None:
        setting.enabled = enabled
    if ask_when is not None:
        setting.ask_when = ask_when
    setting.save()


def email_collect(*, shop: Shop, email: str, marketing_consent: bool) -> None:
    """Check the address and the shop's setting, then hand the work to a task (after commit).
    Raises VALIDATION_FAILED (not an address) and EMAIL_CAPTURE_DISABLED."""
    if not _SAFE_EMAIL.match(email) or len(email) > 254:
        raise ValidationFailed(details=[{"path": "email", "message": "Not a valid e-mail."}])
    if not email_capture_setting(shop=shop).enabled:
        raise EmailCaptureDisabled()
    from shopify_integration.customers.tasks import customer_email_upsert_task

    transaction.on_commit(
        lambda: customer_email_upsert_task.delay(shop.id, email.lower(), marketing_consent)
    )


def customer_email_upsert(*, shop: Shop, email: str, marketing_consent: bool) -> str:
    """Find the shop's customer with this e-mail, else create one; tag it; subscribe it when
    the shopper consented (never unsubscribe: a "no" here is not a withdrawal). Returns the
    customer's GID. Raises the AdminApiError family (the task retries the transient ones)."""
    client = AdminApiClient(shop=shop.domain, access_token=shop_access_token(shop=shop))
    found = client.execute(CUSTOMER_BY_EMAIL, {"query": f'email:"{email}"'})
    nodes = (found.get("customers") or {}).get("nodes") or []
    if not nodes:
        customer_input: dict = {"email": email, "tags": [CUSTOMER_TAG]}
        if marketing_consent:
            customer_input["emailMarketingConsent"] = _SUBSCRIBED
        created = client.execute(CUSTOMER_CREATE, {"input": customer_input})
        return _checked(created, "customerCreate")["customer"]["id"]
    customer = nodes[0]
    _checked(
        client.execute(CUSTOMER_TAGS_ADD, {"id": customer["id"], "tags": [CUSTOMER_TAG]}), "tagsAdd"
    )
    state = (customer.get("emailMarketingConsent") or {}).get("marketingState")
    if marketing_consent and state != "SUBSCRIBED":
        variables = {"input": {"customerId": customer["id"], "emailMarketingConsent": _SUBSCRIBED}}
        _checked(
            client.execute(CUSTOMER_CONSENT_UPDATE, variables),
            "customerEmailMarketingConsentUpdate",
        )
    return customer["id"]


def _checked(data: dict, field: str) -> dict:
    payload = data.get(field) or {}
    errors = payload.get("userErrors") or []
    if errors:
        raise CustomerUserErrors("; ".join(str(error.get("message")) for error in errors))
    return payload
