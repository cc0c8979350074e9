"""E-mail capture: POST /proxy/public/collect-email, the task's Admin API calls (against the
loopback emulator), and the merchant's on/off setting."""

import pytest
from celery.exceptions import Retry

from shopify_integration.admin_api import AdminApiUnavailable
from shopify_integration.customers.tasks import customer_email_upsert_task
from shopify_integration.tokens import IssuedToken, shop_tokens_store
from tests.shopify_integration.install.test_merchant_api import bearer

pytestmark = pytest.mark.django_db
TOKEN = "shpat_customers_emulator_token"


@pytest.fixture(autouse=True)
def _realistic_client_secret(settings):
    settings.SHOPIFY_API_SECRET = "shpss_" + "c3" * 16


@pytest.fixture
def connected(shop, shopify_admin, client):
    shop_tokens_store(shop=shop, token=IssuedToken(access_token=TOKEN))
    shopify_admin.tokens[shop.domain] = TOKEN
    client.patch(
        "/shopify/api/email-capture",
        {"enabled": True},
        content_type="application/json",
        **bearer(shop.domain),
    )
    return shop


def collect(proxy, email: str, consent: bool | None = None):
    body = {"email": email} | ({} if consent is None else {"marketingConsent": consent})
    return proxy.post_json("collect-email", body)


def test_a_consenting_shopper_becomes_a_subscribed_tagged_customer(
    proxy, connected, shopify_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = collect(proxy, "Ann@Example.com", consent=True)

    assert response.status_code == 200
    assert response.json() == {"success": True, "message": "Email collected successfully"}
    assert len(callbacks) == 1 and shopify_admin.calls == []  # the work is the task's
    customer_email_upsert_task(connected.id, "ann@example.com", True)  # the worker's part
    [customer] = shopify_admin.customers.all(connected.domain)
    assert customer["email"] == "ann@example.com" and customer["tags"] == ["fitting-room"]
    assert customer["emailMarketingConsent"] == {
        "marketingState": "SUBSCRIBED",
        "marketingOptInLevel": "SINGLE_OPT_IN",
    }


def test_without_consent_the_customer_gets_no_marketing_state(connected, shopify_admin):
    customer_email_upsert_task(connected.id, "bob@example.com", False)

    [customer] = shopify_admin.customers.all(connected.domain)
    assert customer["emailMarketingConsent"]["marketingState"] == "NOT_SUBSCRIBED"
    mutation = [q for _, q, _ in shopify_admin.calls if q and "customerCreate" in q]
    assert len(mutation) == 1
    assert "emailMarketingConsent" not in shopify_admin.calls[-1][2]["input"]


def test_an_existing_customer_is_tagged_and_subscribed_not_duplicated(connected, shopify_admin):
    gid = shopify_admin.customers.add(connected.domain, "cy@example.com", tags=["vip"])

    customer_email_upsert_task(connected.id, "cy@example.com", True)

    [customer] = shopify_admin.customers.all(connected.domain)
    assert customer["id"] == gid and customer["tags"] == ["fitting-room", "vip"]
    assert customer["emailMarketingConsent"]["marketingState"] == "SUBSCRIBED"


def test_a_no_never_unsubscribes_an_existing_subscriber(connected, shopify_admin):
    shopify_admin.customers.add(connected.domain, "di@example.com", state="SUBSCRIBED")

    customer_email_upsert_task(connected.id, "di@example.com", False)

    [customer] = shopify_admin.customers.all(connected.domain)
    assert customer["emailMarketingConsent"]["marketingState"] == "SUBSCRIBED"


def test_shopify_being_down_is_retried_and_never_shown_to_the_shopper(
    proxy, connected, shopify_admin, settings, django_capture_on_commit_callbacks
):
    settings.SHOPIFY_ADMIN_API_MAX_RETRIES = 1
    shopify_admin.fail_next(10, status=503)
    with django_capture_on_commit_callbacks():
        response = collect(proxy, "ed@example.com", consent=True)

    assert response.status_code == 200 and response.json()["success"] is True
    with pytest.raises((AdminApiUnavailable, Retry)):  # the task is retried later
        customer_email_upsert_task(connected.id, "ed@example.com", True)
    assert shopify_admin.customers.all(connected.domain) == []


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "", 'x@example.com"or"'])
def test_an_invalid_email_is_refused(proxy, connected, email):
    response = collect(proxy, email)

    assert response.status_code == 400 and response.json()["code"] == "VALIDATION_FAILED"


def test_capture_turned_off_is_refused_and_nothing_is_sent(proxy, shop, shopify_admin):
    response = collect(proxy, "fi@example.com", consent=True)

    assert response.status_code == 403
    assert response.json()["code"] == "EMAIL_CAPTURE_DISABLED"
    assert shopify_admin.calls == []


def test_the_merchant_setting_tells_the_widget_when_to_ask(client, proxy, connected):
    assert proxy.get("check-credits").json()["emailCapture"] == "after_first_result"

    response = client.patch(
        "/shopify/api/email-capture",
        {"askWhen": "never"},
        content_type="application/json",
        **bearer(connected.domain),
    )

    assert response.json() == {"enabled": True, "askWhen": "never"}
    assert "emailCapture" not in proxy.get("check-credits").json()


def test_a_bad_setting_is_refused(client, shop):
    response = client.patch(
        "/shopify/api/email-capture",
        {"askWhen": "always"},
        content_type="application/json",
        **bearer(shop.domain),
    )

    assert response.status_code == 400
