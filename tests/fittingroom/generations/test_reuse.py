"""Result reuse: an identical try-on is answered at once from the kept result, free."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fittingroom.generations.models import Generation
from tests.conftest import SignedProxyClient, render_job

pytestmark = pytest.mark.django_db
TSHIRT, NAVY, RED = (
    "gid://shopify/Product/1001",
    "gid://shopify/ProductVariant/11002",
    "gid://shopify/ProductVariant/11003",
)


def try_on(proxy, image_id, variant=NAVY, visitor="visitor-0001"):
    body = {"userImageId": image_id, "productId": TSHIRT, "variantId": variant}
    response = proxy.post_json("fitting-room", body | {"visitorId": visitor})
    assert response.status_code == 200, response.content
    return response.json()["jobId"]


@pytest.fixture
def first(proxy, uploaded_image) -> Generation:
    generation = render_job(try_on(proxy, uploaded_image))
    assert generation.status == Generation.Status.COMPLETED
    return generation


def test_the_second_identical_try_on_is_completed_at_once_free_and_says_reused(
    proxy, shop, person_jpeg, first, django_capture_on_commit_callbacks
):
    # Another upload of the same photo: reuse goes by the photo's content, not its id.
    again = proxy.upload(person_jpeg, visitorId="visitor-0001").json()["fileId"]
    used = Generation.objects.count()
    shop.account.refresh_from_db()
    quota_before = shop.account.quota_used

    with django_capture_on_commit_callbacks() as callbacks:
        job = try_on(proxy, again)

    assert callbacks == []  # nothing enqueued: COMPLETED within the creating request itself
    second = Generation.objects.get(id=job)
    assert second.status == Generation.Status.COMPLETED and second.reused
    assert second.finished_at - second.created_at < timedelta(milliseconds=100)
    assert (second.attempts, second.counts_toward_limit, second.credit_charged) == (0, False, False)
    assert second.quota_period_end is None
    shop.account.refresh_from_db()
    assert shop.account.quota_used == quota_before
    assert Generation.objects.count() == used + 1
    # Its own copy of the result: each keeps its own retention.
    assert second.result_image.name != first.result_image.name
    assert second.result_image.read() == first.result_image.read()
    status = proxy.get(f"generation/{job}").json()
    assert (status["status"], status["reused"]) == ("COMPLETED", True)
    assert status["resultImageUrl"]
    assert proxy.get(f"generation/{first.id}").json()["reused"] is False


def test_a_reused_try_on_takes_no_weekly_limit_slot(proxy, settings, shop, uploaded_image, first):
    shop.account.shopper_weekly_limit = 1
    shop.account.save()

    reused = try_on(proxy, uploaded_image)
    refused = proxy.post_json(
        "fitting-room",
        {
            "userImageId": uploaded_image,
            "productId": TSHIRT,
            "variantId": RED,
            "visitorId": "visitor-0001",
        },
    )

    assert Generation.objects.get(id=reused).reused
    assert refused.json()["code"] == "RATE_LIMIT_EXCEEDED"  # the first try-on used the slot


@pytest.mark.parametrize(
    "change",
    ["another variant", "reuse turned off", "the result expired", "the first failed"],
)
def test_it_renders_anew_when_anything_differs(proxy, shop, uploaded_image, first, change):
    variant = NAVY
    if change == "another variant":
        variant = RED
    elif change == "reuse turned off":
        shop.account.result_reuse_enabled = False
        shop.account.save()
    elif change == "the result expired":
        Generation.objects.filter(id=first.id).update(expires_at=timezone.now())
    else:
        Generation.objects.filter(id=first.id).update(status=Generation.Status.FAILED)

    second = Generation.objects.get(id=try_on(proxy, uploaded_image, variant=variant))

    assert (second.status, second.reused) == (Generation.Status.PENDING, False)


def test_another_shops_identical_try_on_is_not_reused(client, other_shop, person_jpeg, first):
    other = SignedProxyClient(client, shop=other_shop.domain)
    image = other.upload(person_jpeg, visitorId="visitor-0001").json()["fileId"]

    second = Generation.objects.get(id=try_on(other, image))

    assert not second.reused and second.status == Generation.Status.PENDING
