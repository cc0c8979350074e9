import pytest

from shopify_integration.models import Shop
from tests.shopify_integration.billing.conftest import mutations, session_token

pytestmark = pytest.mark.django_db
SUBSCRIBE = "/shopify/billing/subscribe"


def subscribe(client, shop, body):
    return client.post(
        SUBSCRIBE,
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {session_token(shop.domain)}",
    )


def test_it_answers_the_confirmation_url_shopify_gave(client, connected_shop, shopify_admin):
    response = subscribe(client, connected_shop, {"plan": "growth"})

    assert response.status_code == 200
    [subscription] = shopify_admin.subscriptions(connected_shop.domain)
    assert response.json() == {"confirmationUrl": subscription["confirmationUrl"]}
    assert subscription["status"] == "PENDING"
    connected_shop.refresh_from_db()
    assert connected_shop.billing_status == Shop.Billing.PENDING


def test_it_sends_the_documented_mutation_with_the_plans_price_and_usage_terms(
    client, connected_shop, shopify_admin, settings
):
    settings.SHOPIFY_BILLING_TEST = True
    subscribe(client, connected_shop, {"plan": "growth"})

    [variables] = mutations(shopify_admin, "appSubscriptionCreate")
    assert variables == {
        "name": "Fitting Room Growth",
        "returnUrl": f"{settings.PUBLIC_BASE_URL}/shopify/billing/return"
        f"?shop={connected_shop.domain}",
        "test": True,
        "trialDays": 7,
        "replacementBehavior": "APPLY_IMMEDIATELY",
        "lineItems": [
            {
                "plan": {
                    "appRecurringPricingDetails": {
                        "price": {"amount": "49.00", "currencyCode": "USD"},
                        "interval": "EVERY_30_DAYS",
                    }
                }
            },
            {
                "plan": {
                    "appUsagePricingDetails": {
                        "terms": "$0.04 per try-on beyond the 2,000 included each 30 days, "
                        "up to $100.00 per 30 days",
                        "cappedAmount": {"amount": "100.00", "currencyCode": "USD"},
                    }
                }
            },
        ],
    }


def test_a_plan_without_overage_asks_for_no_usage_line_item(client, connected_shop, shopify_admin):
    subscribe(client, connected_shop, {"plan": "starter"})

    [subscription] = shopify_admin.subscriptions(connected_shop.domain)
    [line_item] = subscription["lineItems"]
    assert line_item["plan"]["pricingDetails"]["__typename"] == "AppRecurringPricing"
    assert line_item["plan"]["pricingDetails"]["price"] == {
        "amount": "19.00",
        "currencyCode": "USD",
    }


def test_real_charges_are_asked_for_when_billing_test_is_off(
    client, connected_shop, shopify_admin, settings
):
    settings.SHOPIFY_BILLING_TEST = False

    subscribe(client, connected_shop, {"plan": "scale"})

    assert shopify_admin.subscriptions(connected_shop.domain)[0]["test"] is False


def test_an_unknown_plan_fails_validation_without_calling_shopify(
    client, connected_shop, shopify_admin
):
    response = subscribe(client, connected_shop, {"plan": "platinum"})

    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_FAILED"
    assert response.json()["details"][0]["path"] == "plan"
    assert shopify_admin.calls == []


def test_shopifys_user_errors_become_a_billing_error_with_details(
    client, connected_shop, shopify_admin
):
    shopify_admin.refuse_billing(connected_shop.domain, "Return url is invalid", ["returnUrl"])

    response = subscribe(client, connected_shop, {"plan": "growth"})

    assert response.status_code == 400
    assert response.json() == {
        "code": "BILLING_ERROR",
        "message": "Shopify refused the subscription.",
        "status": 400,
        "details": [{"path": "returnUrl", "message": "Return url is invalid"}],
    }
    connected_shop.refresh_from_db()
    assert connected_shop.billing_status == Shop.Billing.NONE


def test_an_app_without_public_distribution_is_not_allowed_to_bill(
    client, connected_shop, shopify_admin
):
    shopify_admin.refuse_billing(connected_shop.domain)

    response = subscribe(client, connected_shop, {"plan": "growth"})

    assert response.status_code == 402
    assert response.json()["code"] == "BILLING_NOT_ALLOWED"
    assert "public distribution" in response.json()["details"][0]["message"]


def test_it_refuses_a_caller_without_a_session_token(client, connected_shop, shopify_admin):
    response = client.post(SUBSCRIBE, {"plan": "growth"}, content_type="application/json")

    assert response.status_code == 401
    assert shopify_admin.calls == []


def test_a_revoked_admin_token_asks_the_merchant_to_reopen_the_app(
    client, connected_shop, shopify_admin
):
    shopify_admin.tokens[connected_shop.domain] = "shpat_rotated"

    response = subscribe(client, connected_shop, {"plan": "growth"})

    assert response.status_code == 503
    assert response.json()["code"] == "SHOP_REAUTH_REQUIRED"
    connected_shop.refresh_from_db()
    assert connected_shop.needs_reauth is True
