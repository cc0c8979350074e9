from datetime import timedelta

import pytest
from django.utils import timezone

from fittingroom.generations.models import Generation
from fittingroom.generations.services import generation_fail
from shopify_integration.models import Shop
from tests.conftest import make_shop

pytestmark = pytest.mark.django_db
TSHIRT = "gid://shopify/Product/1001"
NAVY_TSHIRT = "gid://shopify/ProductVariant/11002"
DRESS_VARIANT = "gid://shopify/ProductVariant/12001"


def try_on(proxy, image_id, product=TSHIRT, **extra):
    return proxy.post_json(
        "fitting-room",
        {"userImageId": image_id, "productId": product, "visitorId": "visitor-0001", **extra},
    )


def test_it_creates_a_pending_job_at_once(
    proxy, uploaded_image, shop, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = try_on(proxy, uploaded_image, variantId=NAVY_TSHIRT)

    assert response.status_code == 200
    body = response.json()
    assert body == {"jobId": body["jobId"], "message": "Generation job created successfully"}
    generation = Generation.objects.get(id=body["jobId"])
    assert generation.status == Generation.Status.PENDING
    assert generation.variant_id == NAVY_TSHIRT
    assert generation.garment_image_ref == "demo:tshirt-navy.png"
    assert generation.shopper_key == "visitor:visitor-0001"
    assert generation.client_ip == "203.0.113.7"
    assert len(callbacks) == 1  # enqueued once the transaction commits
    shop.account.refresh_from_db()
    assert shop.account.quota_used == 1


def test_it_uses_the_default_variant_when_none_is_given(proxy, uploaded_image):
    job = try_on(proxy, uploaded_image).json()["jobId"]

    assert Generation.objects.get(id=job).variant_id == "gid://shopify/ProductVariant/11001"


def test_it_does_not_find_an_image_of_another_shop(proxy, uploaded_image, other_shop):
    response = try_on(proxy.as_(shop=other_shop.domain), uploaded_image)

    assert response.status_code == 404
    assert response.json()["code"] == "USER_IMAGE_NOT_FOUND"
    assert response.json()["message"] == "User image not found"
    assert response.json()["jobId"] is None
    assert not Generation.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("productId", "1001"),
        ("productId", "gid://shopify/ProductVariant/1001"),
        ("productId", "gid://shopify/Product/abc"),
        ("variantId", "gid://shopify/Product/11002"),
    ],
)
def test_it_refuses_a_malformed_gid_with_details(proxy, uploaded_image, field, value):
    body = {"userImageId": uploaded_image, "productId": TSHIRT, field: value}
    response = proxy.post_json("fitting-room", body)

    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_FAILED"
    assert response.json()["details"][0]["path"] == field


def test_it_refuses_a_body_that_is_not_json(proxy):
    response = proxy.client.post(
        proxy.url("fitting-room"), "{not json", content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_FAILED"


def test_it_answers_an_unknown_product_with_product_not_found(proxy, uploaded_image):
    response = try_on(proxy, uploaded_image, product="gid://shopify/Product/999999")

    assert response.status_code == 404
    assert response.json()["code"] == "PRODUCT_NOT_FOUND"


def test_it_refuses_a_variant_of_another_product(proxy, uploaded_image):
    response = try_on(proxy, uploaded_image, variantId=DRESS_VARIANT)

    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_FAILED"


def test_it_refuses_a_shop_without_an_active_plan(proxy, uploaded_image, shop, settings):
    settings.FREE_MONTHLY_ALLOWANCE = 0
    shop.billing_status = Shop.Billing.FROZEN
    shop.save()

    response = try_on(proxy, uploaded_image)

    assert response.status_code == 402
    assert response.json() | {"message": ""} == {
        "jobId": None,
        "code": "BILLING_NOT_ALLOWED",
        "message": "",
        "status": 402,
        "details": [],
    }


def test_it_refuses_once_the_shop_quota_is_used(proxy, uploaded_image, shop):
    shop.account.quota_limit = 1
    shop.account.save()

    assert try_on(proxy, uploaded_image).status_code == 200
    response = try_on(proxy.as_(customer_id="77"), uploaded_image)

    assert response.status_code == 429
    assert response.json()["code"] == "QUOTA_EXCEEDED"
    assert Generation.objects.count() == 1


def test_the_eleventh_try_on_of_a_shopper_in_a_week_is_rate_limited(proxy, uploaded_image, shop):
    codes = [try_on(proxy, uploaded_image).status_code for _ in range(11)]

    assert codes == [200] * 10 + [429]
    response = try_on(proxy, uploaded_image)
    assert response.json()["code"] == "RATE_LIMIT_EXCEEDED"
    assert response.json()["jobId"] is None
    assert 6 * 86400 < int(response["Retry-After"]) <= 7 * 86400
    shop.account.refresh_from_db()
    assert shop.account.quota_used == 10  # a refused request charges nothing


def test_the_limit_follows_the_logged_in_customer_not_the_visitor_id(proxy, uploaded_image):
    customer = proxy.as_(customer_id="4242")
    for index in range(10):
        assert (
            try_on(customer, uploaded_image, visitorId=f"rotating-{index:04d}").status_code == 200
        )

    assert try_on(customer, uploaded_image, visitorId="another-0001").status_code == 429
    assert Generation.objects.filter(shopper_key="customer:4242").count() == 10


def test_rotating_visitor_ids_from_one_address_hit_the_address_cap(proxy, uploaded_image, shop):
    shop.account.ip_weekly_limit = 3
    shop.account.save()

    codes = [
        try_on(proxy, uploaded_image, visitorId=f"visitor-{i:04d}").status_code for i in range(4)
    ]

    assert codes == [200, 200, 200, 429]


def test_a_failed_generation_gives_its_slot_and_quota_back(proxy, uploaded_image, shop):
    jobs = [try_on(proxy, uploaded_image).json()["jobId"] for _ in range(10)]
    assert try_on(proxy, uploaded_image).status_code == 429

    generation_fail(generation_id=jobs[0], code="ENGINE_ERROR", message="boom")

    assert try_on(proxy, uploaded_image).status_code == 200
    shop.account.refresh_from_db()
    assert shop.account.quota_used == 10


def test_try_ons_older_than_a_week_no_longer_count(proxy, uploaded_image):
    for _ in range(10):
        try_on(proxy, uploaded_image)
    Generation.objects.update(created_at=timezone.now() - timedelta(days=7, minutes=1))

    assert try_on(proxy, uploaded_image).status_code == 200


def test_the_weekly_limit_is_set_per_shop(proxy, uploaded_image, shop):
    shop.account.shopper_weekly_limit = 2
    shop.account.save()

    codes = [try_on(proxy, uploaded_image).status_code for _ in range(3)]

    assert codes == [200, 200, 429]


def test_an_uninstalled_shop_creates_nothing(client, person_jpeg):
    from tests.conftest import SignedProxyClient

    shop = make_shop("gone.myshopify.com", is_installed=False)
    response = SignedProxyClient(client, shop=shop.domain).post_json(
        "fitting-room", {"userImageId": "file_x", "productId": TSHIRT}
    )

    assert response.status_code == 403
    assert not Generation.objects.exists()


def test_an_unexpected_failure_answers_creation_failed_in_the_seeds_shape(
    proxy, uploaded_image, shop, monkeypatch
):
    def broken(**kwargs):  # a fault injected where the job is inserted
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("shopify_integration.services.generation_create", broken)

    response = try_on(proxy, uploaded_image)

    assert response.status_code == 500
    body = response.json()
    assert (body["jobId"], body["code"]) == (None, "CREATION_FAILED")
    assert "disk" not in body["message"]
    assert not Generation.objects.exists()
