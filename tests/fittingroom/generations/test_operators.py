"""The operators' actions: retry a failed generation, refund one, erase a shopper."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fittingroom.accounts.models import Account, CreditLedgerEntry
from fittingroom.accounts.services import account_credit_grant
from fittingroom.catalog import catalog_source_for
from fittingroom.generations.models import Generation
from fittingroom.generations.services import generation_create, generation_fail, generation_render
from fittingroom.generations.services.operators import (
    generation_retry,
    generation_shoppers,
    generations_refund,
    generations_retry,
    shoppers_data_delete,
    shoppers_data_summary,
)
from fittingroom.images.models import PersonImage
from fittingroom.images.services import person_image_upload
from fittingroom.limits.shoppers import Shopper
from shopify_integration.models import CustomerDataRequest, Shop
from tests.conftest import SignedProxyClient

pytestmark = pytest.mark.django_db
TSHIRT = "gid://shopify/Product/1001"


def try_on(proxy: SignedProxyClient, person_jpeg: bytes, customer_id: str = "123") -> Generation:
    shopper = proxy.as_(customer_id=customer_id)
    image_id = shopper.upload(person_jpeg).json()["fileId"]
    response = shopper.post_json("fitting-room", {"userImageId": image_id, "productId": TSHIRT})
    assert response.status_code == 200, response.content
    return Generation.objects.get(id=response.json()["jobId"])


def failed_try_on(proxy, person_jpeg, customer_id: str = "123") -> Generation:
    generation = try_on(proxy, person_jpeg, customer_id)
    assert generation_fail(generation_id=generation.id, code="ENGINE_ERROR", message="boom")
    return Generation.objects.get(id=generation.id)


def quota_used(shop: Shop) -> int:
    return Account.objects.get(id=shop.account_id).quota_used


def api_generation(account: Account, person_jpeg: bytes) -> Generation:
    shopper = Shopper(key="api:user-1", ip="203.0.113.9")
    upload = SimpleUploadedFile("p.jpg", person_jpeg, content_type="image/jpeg")
    image = person_image_upload(account=account, shopper=shopper, upload=upload)
    garment = catalog_source_for(account).garment_for(
        account=account, product_id=TSHIRT, variant_id=None
    )
    return generation_create(
        account=account,
        shopper=shopper,
        person_image=image,
        garment=garment,
        catalog_source=account.catalog_source,
    )


# --- retry ---------------------------------------------------------------------------------


def test_a_retry_is_a_new_generation_that_pays_its_own_quota_once(proxy, shop, person_jpeg):
    failed = failed_try_on(proxy, person_jpeg)
    assert quota_used(shop) == 0  # the failure gave its try-on back

    retry = generation_retry(generation_id=failed.id)

    assert retry.id != failed.id and retry.status == Generation.Status.PENDING
    assert retry.retry_of_id == failed.id
    assert (retry.person_image_id, retry.product_id, retry.variant_id) == (
        failed.person_image_id,
        failed.product_id,
        failed.variant_id,
    )
    assert retry.shopper_key == "customer:123" and retry.quota_period_end is not None
    assert quota_used(shop) == 1
    generation_render(generation_id=retry.id)
    assert Generation.objects.get(id=retry.id).status == Generation.Status.COMPLETED


def test_retrying_twice_creates_one_generation_and_charges_once(proxy, shop, person_jpeg):
    failed = failed_try_on(proxy, person_jpeg)

    outcomes = generations_retry(generation_ids=[failed.id, failed.id])

    assert outcomes == {"RETRIED": 1, "ALREADY_RETRIED": 1}
    assert Generation.objects.filter(retry_of=failed).count() == 1
    assert quota_used(shop) == 1


def test_only_failed_generations_are_retried(proxy, shop, person_jpeg):
    pending = try_on(proxy, person_jpeg)
    completed = try_on(proxy, person_jpeg, "456")
    generation_render(generation_id=completed.id)

    outcomes = generations_retry(generation_ids=[pending.id, completed.id])

    assert outcomes == {"NOT_FAILED": 2}
    assert Generation.objects.count() == 2 and quota_used(shop) == 2


def test_a_retry_obeys_the_quota_and_charges_nothing_when_refused(proxy, shop, person_jpeg):
    failed = failed_try_on(proxy, person_jpeg)
    Account.objects.filter(id=shop.account_id).update(quota_limit=1, quota_used=1)

    assert generations_retry(generation_ids=[failed.id]) == {"QUOTA_EXCEEDED": 1}
    assert Generation.objects.count() == 1 and quota_used(shop) == 1


def test_a_retry_obeys_the_shoppers_weekly_limit(proxy, shop, person_jpeg):
    failed = failed_try_on(proxy, person_jpeg)
    Account.objects.filter(id=shop.account_id).update(shopper_weekly_limit=1)
    try_on(proxy, person_jpeg)  # the shopper's one slot of the week

    assert generations_retry(generation_ids=[failed.id]) == {"RATE_LIMIT_EXCEEDED": 1}


def test_a_retry_is_refused_for_an_uninstalled_or_unbilled_shop(proxy, shop, person_jpeg):
    failed = failed_try_on(proxy, person_jpeg)
    Shop.objects.filter(id=shop.id).update(is_installed=False)
    assert generations_retry(generation_ids=[failed.id]) == {"SHOP_NOT_INSTALLED": 1}

    Shop.objects.filter(id=shop.id).update(
        is_installed=True, billing_status=Shop.Billing.NONE, plan_name=""
    )
    Account.objects.filter(id=shop.account_id).update(
        quota_used=25, quota_period_end=timezone.now() + timedelta(days=3)
    )
    assert generations_retry(generation_ids=[failed.id]) == {"BILLING_NOT_ALLOWED": 1}
    assert not Generation.objects.filter(retry_of=failed).exists()


def test_a_retry_needs_the_photo_still_there(proxy, shop, person_jpeg):
    failed = failed_try_on(proxy, person_jpeg)
    PersonImage.objects.filter(id=failed.person_image_id).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert generations_retry(generation_ids=[failed.id]) == {"USER_IMAGE_NOT_FOUND": 1}
    assert quota_used(shop) == 0


def test_a_retry_of_an_api_generation_takes_one_credit_with_its_ledger_entry(db, person_jpeg):
    account = Account.objects.create(name="api-client", kind=Account.Kind.API)
    account_credit_grant(account=account, amount=1)
    first = api_generation(account, person_jpeg)
    generation_fail(generation_id=first.id, code="ENGINE_ERROR", message="boom")
    assert Account.objects.get(id=account.id).credit_balance == 1

    retry = generation_retry(generation_id=first.id)

    assert retry.credit_charged is True
    assert Account.objects.get(id=account.id).credit_balance == 0
    entry = CreditLedgerEntry.objects.get(generation_id=retry.id)
    assert (entry.delta, entry.reason) == (-1, CreditLedgerEntry.Reason.GENERATION)
    # No credit left: a second failed generation cannot be retried, and nothing is taken.
    second = Generation.objects.get(id=retry.id)
    generation_fail(generation_id=second.id, code="ENGINE_ERROR", message="boom")
    Account.objects.filter(id=account.id).update(credit_balance=0)
    assert generations_retry(generation_ids=[second.id]) == {"INSUFFICIENT_CREDITS": 1}
    assert Account.objects.get(id=account.id).credit_balance == 0


# --- refund --------------------------------------------------------------------------------


def test_a_refund_gives_the_quota_and_weekly_slot_back_exactly_once(proxy, shop, person_jpeg):
    generation = try_on(proxy, person_jpeg)
    generation_render(generation_id=generation.id)
    assert quota_used(shop) == 1

    first = generations_refund(generation_ids=[generation.id])
    second = generations_refund(generation_ids=[generation.id])

    assert first == {"REFUNDED": 1} and second == {"ALREADY_REFUNDED": 1}
    assert quota_used(shop) == 0
    refunded = Generation.objects.get(id=generation.id)
    assert refunded.refunded_at is not None and refunded.counts_toward_limit is False


def test_a_failed_generation_was_refunded_already_and_is_not_refunded_again(
    proxy, shop, person_jpeg
):
    failed = failed_try_on(proxy, person_jpeg)
    try_on(proxy, person_jpeg, "456")  # another shopper's, still charged

    assert generations_refund(generation_ids=[failed.id]) == {"ALREADY_REFUNDED": 1}
    assert quota_used(shop) == 1


def test_unfinished_and_uncharged_generations_are_not_refunded(proxy, shop, person_jpeg):
    pending = try_on(proxy, person_jpeg)
    free = try_on(proxy, person_jpeg, "456")
    generation_render(generation_id=free.id)
    Generation.objects.filter(id=free.id).update(quota_period_end=None)

    outcomes = generations_refund(generation_ids=[pending.id, free.id])

    assert outcomes == {"NOT_FINISHED": 1, "NOT_CHARGED": 1}
    assert quota_used(shop) == 2


def test_a_refund_of_an_api_generation_credits_the_account_once_in_the_ledger(db, person_jpeg):
    account = Account.objects.create(name="api-client", kind=Account.Kind.API)
    account_credit_grant(account=account, amount=2)
    generation = api_generation(account, person_jpeg)
    generation_render(generation_id=generation.id)

    generations_refund(generation_ids=[generation.id])
    generations_refund(generation_ids=[generation.id])

    assert Account.objects.get(id=account.id).credit_balance == 2
    refunds = CreditLedgerEntry.objects.filter(
        generation_id=generation.id, reason=CreditLedgerEntry.Reason.REFUND
    )
    assert [entry.delta for entry in refunds] == [1]


# --- erasure -------------------------------------------------------------------------------


def test_erasing_a_shopper_deletes_their_files_and_no_one_elses(
    proxy, shop, other_shop, person_jpeg
):
    mine = [try_on(proxy, person_jpeg) for _ in range(2)]
    for generation in mine:
        generation_render(generation_id=generation.id)
    neighbour = try_on(proxy, person_jpeg, "456")
    generation_render(generation_id=neighbour.id)
    same_key_other_shop = try_on(proxy.as_(shop=other_shop.domain), person_jpeg)
    CustomerDataRequest.objects.create(shop=shop, customer_id="123", export={"x": 1})
    files = [
        name
        for generation in Generation.objects.filter(id__in=[g.id for g in mine])
        for name in (generation.result_image.name, generation.person_image.image.name)
    ]

    shoppers = generation_shoppers(generation_ids=[mine[0].id])
    assert [(account.id, key) for account, key in shoppers] == [(shop.account_id, "customer:123")]
    summary = shoppers_data_summary(shoppers=shoppers)
    assert (summary[0]["person_images"], summary[0]["generations"]) == (2, 2)

    totals = shoppers_data_delete(shoppers=shoppers)

    assert totals == {"shoppers": 1, "person_images": 2, "results": 2, "generations": 2}
    assert not any(default_storage.exists(name) for name in files)
    erased = Generation.objects.filter(id__in=[g.id for g in mine])
    assert {g.shopper_key for g in erased} == {"redacted"}
    assert all(not g.result_image and g.person_image_id is None for g in erased)
    assert not CustomerDataRequest.objects.filter(shop=shop, customer_id="123").exists()
    # Another shopper of the shop, and the same customer id in another shop, are untouched.
    kept = Generation.objects.get(id=neighbour.id)
    assert kept.shopper_key == "customer:456" and default_storage.exists(kept.result_image.name)
    other = Generation.objects.get(id=same_key_other_shop.id)
    assert other.shopper_key == "customer:123" and other.person_image_id is not None
    # Nothing left to erase the second time.
    assert generation_shoppers(generation_ids=[mine[0].id]) == []
    assert shoppers_data_delete(shoppers=shoppers)["person_images"] == 0


def test_erasing_keeps_the_credit_ledger_amounts(db, person_jpeg):
    account = Account.objects.create(name="api-client", kind=Account.Kind.API)
    account_credit_grant(account=account, amount=1)
    generation = api_generation(account, person_jpeg)

    shoppers_data_delete(shoppers=generation_shoppers(generation_ids=[generation.id]))

    # The unfinished generation was failed and refunded first; both movements stay.
    entries = CreditLedgerEntry.objects.filter(generation_id=generation.id).order_by("id")
    assert [entry.delta for entry in entries] == [-1, 1]
    assert Generation.objects.get(id=generation.id).status == Generation.Status.FAILED
    assert Account.objects.get(id=account.id).credit_balance == 1
