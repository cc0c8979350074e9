"""A shopper's data, exported and erased; an account's data, erased."""

import json

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from fittingroom.accounts.models import Account
from fittingroom.generations.models import Generation
from fittingroom.generations.services import generation_render
from fittingroom.generations.services.shoppers import (
    REDACTED_IP,
    account_data_delete,
    shopper_data_delete,
    shopper_data_export,
)
from fittingroom.images.models import PersonImage
from tests.conftest import SignedProxyClient, image_bytes

pytestmark = pytest.mark.django_db
TSHIRT = "gid://shopify/Product/1001"


@pytest.fixture(autouse=True)
def _every_try_on_rendered(shop):
    """The same photo for several shoppers: each try-on rendered, none answered by reuse."""
    shop.account.result_reuse_enabled = False
    shop.account.save(update_fields=["result_reuse_enabled"])


def try_on(proxy: SignedProxyClient, person_jpeg: bytes, customer_id: str, *, render=True):
    shopper = proxy.as_(customer_id=customer_id)
    image_id = shopper.upload(person_jpeg).json()["fileId"]
    body = {"userImageId": image_id, "productId": TSHIRT}
    job = shopper.post_json("fitting-room", body).json()["jobId"]
    if render:
        generation_render(generation_id=job)
    return Generation.objects.select_related("person_image").get(id=job)


def files_of(generation: Generation) -> list[str]:
    return [generation.result_image.name, generation.person_image.image.name]


def test_the_export_lists_the_shoppers_photos_and_try_ons_and_nobody_elses(
    proxy, shop, person_jpeg
):
    first = try_on(proxy, person_jpeg, "123")
    second = try_on(proxy, person_jpeg, "123", render=False)
    try_on(proxy, person_jpeg, "456")

    export = shopper_data_export(account=shop.account, shopper_key="customer:123")

    assert export["shopper_key"] == "customer:123"
    assert [image["id"] for image in export["person_images"]] == [
        first.person_image_id,
        second.person_image_id,
    ]
    image = export["person_images"][0]
    assert set(image) == {"id", "created_at", "expires_at", "width", "height", "sha256"}
    assert (image["width"], image["height"]) == (
        first.person_image.width,
        first.person_image.height,
    )
    assert image["created_at"] == first.person_image.created_at.isoformat()
    assert export["generations"] == [
        {
            "id": first.id,
            "status": "COMPLETED",
            "product_id": TSHIRT,
            "variant_id": first.variant_id,
            "created_at": first.created_at.isoformat(),
            "error_code": "",
        },
        {
            "id": second.id,
            "status": "PENDING",
            "product_id": TSHIRT,
            "variant_id": second.variant_id,
            "created_at": second.created_at.isoformat(),
            "error_code": "",
        },
    ]
    text = json.dumps(export)  # storable as it is
    assert first.result_image.name not in text
    assert first.person_image.image.name not in text


def test_the_export_of_a_shopper_we_never_saw_is_empty(shop):
    export = shopper_data_export(account=shop.account, shopper_key="customer:999")

    assert export == {"shopper_key": "customer:999", "person_images": [], "generations": []}


def test_deleting_a_shopper_removes_their_files_and_anonymises_their_try_ons(
    proxy, shop, person_jpeg
):
    theirs = try_on(proxy, person_jpeg, "123")
    others = try_on(proxy, person_jpeg, "456")
    their_files, other_files = files_of(theirs), files_of(others)

    counts = shopper_data_delete(account=shop.account, shopper_key="customer:123")

    assert counts == {"person_images": 1, "results": 1, "generations": 1}
    assert not any(default_storage.exists(name) for name in their_files)
    assert all(default_storage.exists(name) for name in other_files)
    theirs.refresh_from_db()
    assert (theirs.shopper_key, theirs.client_ip) == ("redacted", REDACTED_IP)
    assert (theirs.result_image.name, theirs.person_image_id) == ("", None)
    assert theirs.status == Generation.Status.COMPLETED
    assert PersonImage.objects.filter(id=others.person_image_id).exists()
    shop.account.refresh_from_db()
    assert shop.account.quota_used == 2  # the rows still count as usage


def test_deleting_a_shopper_twice_finds_nothing_the_second_time(proxy, shop, person_jpeg):
    try_on(proxy, person_jpeg, "123")
    shopper_data_delete(account=shop.account, shopper_key="customer:123")

    again = shopper_data_delete(account=shop.account, shopper_key="customer:123")

    assert again == {"person_images": 0, "results": 0, "generations": 0}
    assert Generation.objects.filter(shopper_key="redacted").count() == 1


def test_a_try_on_still_pending_is_failed_refunded_and_never_rendered(proxy, shop, person_jpeg):
    pending = try_on(proxy, person_jpeg, "123", render=False)

    shopper_data_delete(account=shop.account, shopper_key="customer:123")
    generation_render(generation_id=pending.id)  # the queued task runs afterwards

    pending.refresh_from_db()
    assert pending.status == Generation.Status.FAILED
    assert pending.error_code == "SHOPPER_DATA_DELETED"
    assert pending.result_image.name == ""
    shop.account.refresh_from_db()
    assert shop.account.quota_used == 0


def test_deleting_an_account_removes_every_file_and_row_it_owns(
    client, shop, other_shop, person_jpeg
):
    ours = try_on(SignedProxyClient(client, shop=shop.domain), person_jpeg, "123")
    theirs = try_on(SignedProxyClient(client, shop=other_shop.domain), person_jpeg, "123")
    shop.account.watermark_logo.save("logo.png", ContentFile(image_bytes("PNG")), save=True)
    our_files = [*files_of(ours), shop.account.watermark_logo.name]
    assert all(default_storage.exists(name) for name in our_files)

    account_data_delete(account=shop.account)

    assert not any(default_storage.exists(name) for name in our_files)
    assert not Account.objects.filter(id=shop.account_id).exists()
    assert not Generation.objects.filter(account_id=shop.account_id).exists()
    assert not PersonImage.objects.filter(account_id=shop.account_id).exists()
    assert all(default_storage.exists(name) for name in files_of(theirs))
    assert Account.objects.filter(id=other_shop.account_id).exists()


def test_deleting_an_account_already_gone_does_nothing(shop):
    account = shop.account
    account_data_delete(account=account)

    account_data_delete(account=account)

    assert not Account.objects.exists()
