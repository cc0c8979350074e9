"""What billing lets a shop do at the proxy: free allowance, then a plan, then the plan's quota."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fittingroom.generations.models import Generation
from shopify_integration.billing.services import billing_sync
from shopify_integration.models import Shop

# check-credits also carries the progress estimate and the photo retention period.
NO_ESTIMATE = {"typicalSeconds": None, "retentionDays": 7}

pytestmark = pytest.mark.django_db
TSHIRT = "gid://shopify/Product/1001"


def try_on(proxy, image_id, customer_id=""):
    body = {"userImageId": image_id, "productId": TSHIRT, "visitorId": "visitor-0001"}
    return proxy.as_(customer_id=customer_id).post_json("fitting-room", body)


def use_quota(account, used: int) -> None:
    account.quota_used = used
    account.quota_period_end = timezone.now() + timedelta(days=20)
    account.save()


def test_a_shop_without_a_plan_gets_the_free_allowance_then_needs_a_plan(
    proxy, uploaded_image, connected_shop, settings
):
    settings.FREE_MONTHLY_ALLOWANCE = 2
    billing_sync(shop=connected_shop)  # no subscription: the free allowance becomes the quota

    codes = [try_on(proxy, uploaded_image, customer_id=str(n)).status_code for n in range(3)]

    assert codes == [200, 200, 402]
    response = try_on(proxy, uploaded_image, customer_id="9")
    assert response.json() | {"message": ""} == {
        "jobId": None,
        "code": "BILLING_NOT_ALLOWED",
        "message": "",
        "status": 402,
        "details": [],
    }
    assert (
        proxy.get("check-credits").json()
        == {"allowed": False, "code": "BILLING_NOT_ALLOWED"} | NO_ESTIMATE
    )
    assert Generation.objects.count() == 2


@pytest.mark.parametrize("status", [Shop.Billing.FROZEN, Shop.Billing.CANCELLED, "pending"])
def test_a_plan_that_is_not_active_leaves_only_the_free_allowance(
    proxy, uploaded_image, connected_shop, settings, status
):
    billing_sync(shop=connected_shop)
    connected_shop.billing_status = status
    connected_shop.save()
    use_quota(connected_shop.account, settings.FREE_MONTHLY_ALLOWANCE - 1)

    assert try_on(proxy, uploaded_image).status_code == 200
    assert try_on(proxy, uploaded_image, customer_id="2").json()["code"] == "BILLING_NOT_ALLOWED"


def test_a_stale_quota_never_stretches_the_free_allowance(
    proxy, uploaded_image, connected_shop, settings
):
    # The shared fixture's quota of 500 outlived its plan: still only the allowance is free.
    use_quota(connected_shop.account, settings.FREE_MONTHLY_ALLOWANCE)

    assert try_on(proxy, uploaded_image).json()["code"] == "BILLING_NOT_ALLOWED"


def test_an_active_plan_with_its_quota_used_answers_quota_exceeded(
    proxy, uploaded_image, subscribed
):
    shop = subscribed("growth")
    use_quota(shop.account, shop.account.quota_limit - 1)

    assert try_on(proxy, uploaded_image).status_code == 200
    response = try_on(proxy, uploaded_image, customer_id="2")

    assert response.status_code == 429
    assert response.json()["code"] == "QUOTA_EXCEEDED"
    assert (
        proxy.get("check-credits").json()
        == {"allowed": False, "code": "QUOTA_EXCEEDED"} | NO_ESTIMATE
    )


def test_a_plan_lifts_the_shop_past_the_free_allowance(proxy, uploaded_image, subscribed, settings):
    shop = subscribed("starter")
    use_quota(shop.account, settings.FREE_MONTHLY_ALLOWANCE)

    assert try_on(proxy, uploaded_image).status_code == 200
