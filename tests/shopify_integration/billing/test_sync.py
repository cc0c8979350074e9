import pytest

from shopify_integration.billing.plans import PLANS_BY_KEY
from shopify_integration.billing.services import billing_subscribe, billing_sync
from shopify_integration.billing.tasks import billing_sync_all
from shopify_integration.models import Shop
from shopify_integration.tokens import IssuedToken, shop_tokens_store
from tests.conftest import make_shop
from tests.shopify_integration.billing.conftest import ADMIN_TOKEN

pytestmark = pytest.mark.django_db
RETURN = "/shopify/billing/return"


def fresh(shop: Shop) -> Shop:
    return Shop.objects.select_related("account").get(id=shop.id)


def test_after_approval_the_return_url_activates_the_plan_and_sets_its_quota(
    client, connected_shop, shopify_admin, settings
):
    billing_subscribe(shop=connected_shop, plan=PLANS_BY_KEY["growth"])
    [subscription] = shopify_admin.subscriptions(connected_shop.domain)
    shopify_admin.approve_subscription(connected_shop.domain, subscription["id"])

    response = client.get(RETURN, {"shop": connected_shop.domain, "charge_id": "5001"})

    assert response.status_code == 302
    assert response["Location"] == (
        f"https://{connected_shop.domain}/admin/apps/{settings.SHOPIFY_API_KEY}"
    )
    shop = fresh(connected_shop)
    assert shop.billing_status == Shop.Billing.ACTIVE
    assert shop.plan_name == "Fitting Room Growth"
    assert shop.subscription_id == subscription["id"]
    assert shop.subscription_test is True
    assert shop.usage_line_item_id == subscription["lineItems"][1]["id"]
    assert shop.billing_synced_at is not None
    assert shop.account.quota_limit == 2000 + 2500  # included + $100 cap / $0.04


def test_the_return_url_believes_shopify_not_its_query(client, connected_shop, shopify_admin):
    billing_subscribe(shop=connected_shop, plan=PLANS_BY_KEY["scale"])  # never approved

    response = client.get(RETURN, {"shop": connected_shop.domain, "charge_id": "5001"})

    assert response.status_code == 302
    shop = fresh(connected_shop)
    assert shop.billing_status == Shop.Billing.NONE
    assert shop.account.quota_limit == 25  # the free allowance


@pytest.mark.parametrize(
    "domain", ["unknown-store.myshopify.com", "evil.example.com", "", "gone.myshopify.com"]
)
def test_the_return_url_does_nothing_for_a_shop_we_do_not_serve(client, shopify_admin, domain):
    make_shop("gone.myshopify.com", is_installed=False)

    response = client.get(RETURN, {"shop": domain})

    assert response.status_code == 404
    assert shopify_admin.calls == []


def test_test_subscriptions_are_ignored_when_billing_test_is_off(
    subscribed, shopify_admin, settings
):
    settings.SHOPIFY_BILLING_TEST = True
    shop = subscribed("growth")
    assert shop.billing_status == Shop.Billing.ACTIVE

    settings.SHOPIFY_BILLING_TEST = False
    billing_sync(shop=shop)

    shop = fresh(shop)
    assert (shop.billing_status, shop.plan_name, shop.subscription_id) == ("none", "", "")
    assert shop.account.quota_limit == settings.FREE_MONTHLY_ALLOWANCE


def test_a_real_subscription_counts_when_billing_test_is_off(subscribed, settings):
    settings.SHOPIFY_BILLING_TEST = False

    shop = subscribed("starter")

    assert (shop.billing_status, shop.subscription_test) == (Shop.Billing.ACTIVE, False)
    assert shop.usage_line_item_id == ""
    assert shop.account.quota_limit == 500


def test_changing_plan_replaces_the_active_one(subscribed, shopify_admin):
    first = subscribed("starter")

    shop = subscribed("scale")

    statuses = [s["status"] for s in shopify_admin.subscriptions(shop.domain)]
    assert statuses == ["CANCELLED", "ACTIVE"]
    assert shop.subscription_id != first.subscription_id
    assert (shop.plan_name, shop.account.quota_limit) == ("Fitting Room Scale", 8000 + 10000)


def test_a_cancelled_plan_falls_back_to_the_free_allowance(subscribed, shopify_admin, settings):
    shop = subscribed("growth")

    shopify_admin.cancel_subscription(shop.domain, shop.subscription_id)
    assert billing_sync_all() == {"synced": 1, "failed": 0}

    shop = fresh(shop)
    assert shop.billing_status == Shop.Billing.NONE
    assert shop.usage_line_item_id == ""
    assert shop.account.quota_limit == settings.FREE_MONTHLY_ALLOWANCE


def test_a_refused_token_during_the_periodic_sync_marks_the_shop_for_reauthorisation(
    subscribed, shopify_admin
):
    shop = subscribed("growth")
    shopify_admin.tokens[shop.domain] = "shpat_someone_else"

    assert billing_sync_all() == {"synced": 0, "failed": 1}

    shop = fresh(shop)
    assert shop.needs_reauth is True
    assert shop.billing_status == Shop.Billing.ACTIVE  # unknown, so unchanged
    calls = len(shopify_admin.calls)
    assert billing_sync_all() == {"synced": 0, "failed": 0}  # not asked again until reauthorised
    assert len(shopify_admin.calls) == calls


def test_the_periodic_sync_leaves_out_uninstalled_shops_and_shops_without_a_token(
    connected_shop, shopify_admin
):
    make_shop("tokenless.myshopify.com")
    gone = make_shop("gone.myshopify.com", is_installed=False)
    shop_tokens_store(shop=gone, token=IssuedToken(access_token=ADMIN_TOKEN))
    shopify_admin.tokens[gone.domain] = ADMIN_TOKEN

    assert billing_sync_all() == {"synced": 1, "failed": 0}
    assert {shop for shop, _, _ in shopify_admin.calls} == {connected_shop.domain}


def test_a_shop_billed_outside_shopify_keeps_its_plan_and_quota(connected_shop, shopify_admin):
    connected_shop.plan_name, connected_shop.billing_status = "Custom", Shop.Billing.ACTIVE
    connected_shop.save()

    assert billing_sync_all() == {"synced": 0, "failed": 0}
    billing_sync(shop=connected_shop)

    shop = fresh(connected_shop)
    assert (shop.plan_name, shop.billing_status, shop.account.quota_limit) == (
        "Custom",
        "active",
        500,
    )
    assert shopify_admin.calls == []
