"""POST /v1/try-on, as a client written against tryon-api-create-try-on.txt calls it."""

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from threading import Barrier

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.utils import timezone

from fittingroom.accounts.api_keys import api_key_create
from fittingroom.accounts.models import CreditLedgerEntry
from fittingroom.api.shapes import EXTERNAL_USER_ID_MAX_LENGTH
from fittingroom.generations.models import Generation
from fittingroom.images.models import PersonImage
from fittingroom.products.models import Product
from fittingroom.products.services import product_upsert
from tests.conftest import image_bytes, io_file, render_job
from tests.fittingroom.api.conftest import (
    ApiClient,
    assert_error,
    make_api_account,
    public_host,
    redirect,
    respond,
    store_person_image,
    try_on_body,
)

pytestmark = pytest.mark.django_db

SHIRT = {
    "externalId": "sku-1",
    "title": "Linen Shirt",
    "description": "A breezy shirt, great with jeans.",
    "images": ["https://cdn.example.com/shirt-front.png", "https://cdn.example.com/back.png"],
}


def url_body(url: str, **extra: object) -> dict:
    return {
        "products": [SHIRT],
        "person": {"image": {"source": {"url": url}}},
        **extra,
    }


# --- Products: reference, inline, one-shot ---------------------------------------------------


def test_an_inline_product_is_created_and_the_try_on_is_accepted(api_client, person_image_id):
    response = api_client.try_on(try_on_body(person_image_id, **SHIRT))

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"generationId", "status", "productExternalId"}
    assert body["status"] == "PENDING"
    assert body["productExternalId"] == "sku-1"
    assert response["Location"] == f"/v1/generations/{body['generationId']}"
    assert "Deprecation" not in response
    product = Product.objects.get(account=api_client.account, external_id="sku-1")
    assert (product.kind, product.category) == (Product.Kind.INLINE, "tops")
    assert product.images == SHIRT["images"]
    assert product.last_used_at is not None
    generation = Generation.objects.get(id=body["generationId"])
    assert generation.catalog_source == "inline"
    assert generation.garment_image_ref == SHIRT["images"][0]
    assert (generation.garment_title, generation.shopper_key) == ("Linen Shirt", "api")
    assert (generation.watermark, generation.keep_for_days) == (True, 7)
    api_client.account.refresh_from_db()
    assert api_client.account.credit_balance == 9


def test_a_reference_to_a_stored_product_is_accepted_and_restarts_its_timer(
    api_client, person_image_id
):
    api_client.try_on(try_on_body(person_image_id, **SHIRT))
    Product.objects.update(expires_at=timezone.now() + timedelta(days=1))

    response = api_client.try_on(try_on_body(person_image_id, externalId="sku-1"))

    assert response.status_code == 201, response.content
    assert response.json()["productExternalId"] == "sku-1"
    product = Product.objects.get()
    assert product.expires_at > timezone.now() + timedelta(days=14, hours=23)
    assert Generation.objects.filter(product_id="sku-1").count() == 2


def test_an_inline_call_for_an_existing_external_id_updates_the_product(
    api_client, person_image_id
):
    api_client.try_on(try_on_body(person_image_id, **SHIRT))
    dress = {**SHIRT, "title": "Silk Dress", "images": ["https://cdn.example.com/dress.png"]}

    response = api_client.try_on(try_on_body(person_image_id, **dress))

    assert response.status_code == 201, response.content
    product = Product.objects.get()
    assert (product.title, product.category) == ("Silk Dress", "one-pieces")
    generation = Generation.objects.get(id=response.json()["generationId"])
    assert generation.garment_image_ref == "https://cdn.example.com/dress.png"


def test_a_one_shot_product_gets_a_server_generated_id_that_can_be_referenced_later(
    api_client, person_image_id
):
    one_shot = {"title": "Denim Skirt", "images": ["https://cdn.example.com/skirt.png"]}

    first = api_client.try_on(try_on_body(person_image_id, **one_shot))

    assert first.status_code == 201, first.content
    external_id = first.json()["productExternalId"]
    assert external_id.startswith("_anon_") and len(external_id) > 20
    product = Product.objects.get(external_id=external_id)
    assert (product.kind, product.category) == (Product.Kind.ONE_SHOT, "bottoms")
    assert product.expires_at < timezone.now() + timedelta(days=7, minutes=1)
    again = api_client.try_on(try_on_body(person_image_id, externalId=external_id))
    assert again.status_code == 201, again.content
    assert again.json()["productExternalId"] == external_id
    other = api_client.try_on(try_on_body(person_image_id, **one_shot))
    assert other.json()["productExternalId"] != external_id


@pytest.mark.parametrize(
    "item",
    [{}, {"title": "No pictures"}, {"title": "Empty", "images": []}],
    ids=["empty", "title-only", "empty-images"],
)
def test_a_one_shot_product_without_images_is_refused(api_client, person_image_id, item):
    response = api_client.try_on(try_on_body(person_image_id, **item) | {"products": [item]})

    assert_error(response, 400, "PRODUCT_IMAGES_REQUIRED", "products[0].images")
    assert not Generation.objects.exists()


def test_an_unknown_reference_is_product_not_found(api_client, person_image_id):
    response = api_client.try_on(try_on_body(person_image_id, externalId="never-sent"))

    body = assert_error(response, 404, "PRODUCT_NOT_FOUND", "products[0].externalId")
    assert "inline" in body["message"]
    api_client.account.refresh_from_db()
    assert api_client.account.credit_balance == 10


def test_an_expired_product_is_not_found_until_the_client_retries_inline(
    api_client, person_image_id
):
    api_client.try_on(try_on_body(person_image_id, **SHIRT))
    Product.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    reference = api_client.try_on(try_on_body(person_image_id, externalId="sku-1"))
    retry = api_client.try_on(try_on_body(person_image_id, **SHIRT))

    assert_error(reference, 404, "PRODUCT_NOT_FOUND")
    assert retry.status_code == 201, retry.content
    assert Product.objects.get().expires_at > timezone.now() + timedelta(days=14)
    assert api_client.try_on(try_on_body(person_image_id, externalId="sku-1")).status_code == 201


def test_another_accounts_product_is_not_found(api_client, person_image_id, person_jpeg):
    other = ApiClient(make_api_account("other-customer"))
    other_image = store_person_image(other.account, person_jpeg)
    assert other.try_on(try_on_body(other_image.id, **SHIRT)).status_code == 201

    response = api_client.try_on(try_on_body(person_image_id, externalId="sku-1"))

    assert_error(response, 404, "PRODUCT_NOT_FOUND")


def test_a_client_chosen_anon_external_id_is_reserved(api_client, person_image_id):
    item = SHIRT | {"externalId": "_anon_x"}

    response = api_client.try_on(try_on_body(person_image_id, **item))

    assert_error(response, 409, "RESERVED_EXTERNAL_ID", "products[0].externalId")
    assert not Product.objects.exists()


def test_a_product_with_a_numeric_external_id_is_accepted(api_client, person_image_id):
    response = api_client.try_on(try_on_body(person_image_id, **(SHIRT | {"externalId": 12345})))

    assert response.status_code == 201, response.content
    assert response.json()["productExternalId"] == "12345"


# --- The person image ------------------------------------------------------------------------


def test_a_missing_person_is_customer_image_required(api_client):
    response = api_client.try_on({"products": [SHIRT]})

    assert_error(response, 400, "CUSTOMER_IMAGE_REQUIRED", "person")


@pytest.mark.parametrize(
    "source",
    [{}, {"id": "file_x", "url": "https://cdn.example.com/me.jpg"}, "file_x"],
    ids=["none", "two", "not-an-object"],
)
def test_zero_or_two_image_sources_fail_validation(api_client, source):
    body = {"products": [SHIRT], "person": {"image": {"source": source}}}

    assert_error(api_client.try_on(body), 400, "VALIDATION_FAILED", "person.image.source")


def test_another_accounts_person_image_is_not_found(api_client, person_jpeg):
    other_image = store_person_image(make_api_account("other-customer"), person_jpeg)

    response = api_client.try_on(try_on_body(other_image.id, **SHIRT))

    assert_error(response, 404, "CUSTOMER_IMAGE_NOT_FOUND", "person.image.source.id")
    assert not Product.objects.exists()


def test_a_person_image_url_is_downloaded_normalised_and_kept_for_the_end_user(
    api_client, image_server, person_jpeg, settings
):
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = True
    image_server.routes["/me.jpg"] = respond(200, person_jpeg, {"Content-Type": "image/jpeg"})

    response = api_client.try_on(url_body(image_server.url("/me.jpg"), externalUserId="u-42"))

    assert response.status_code == 201, response.content
    generation = Generation.objects.select_related("person_image").get()
    assert generation.shopper_key == "user:u-42"
    assert generation.person_image.shopper_key == "user:u-42"
    assert generation.person_image.width <= settings.UPLOAD_MAX_SIDE
    assert image_server.requests == ["/me.jpg"]


def test_a_photo_sent_with_the_try_on_is_kept_as_long_as_its_output(
    api_client, image_server, person_jpeg, settings
):
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = True
    image_server.routes["/me.jpg"] = respond(200, person_jpeg, {"Content-Type": "image/jpeg"})
    by_url = url_body(image_server.url("/me.jpg")) | {"output": {"keepForDays": 1}}
    by_file = {
        "products": [SHIRT],
        "person": {"image": {"source": {"fileKey": "selfie"}}},
        "output": {"keepForDays": 3},
    }

    assert api_client.try_on(by_url).status_code == 201
    assert api_client.try_on_multipart(by_file, selfie=person_jpeg).status_code == 201

    kept = {
        generation.keep_for_days: generation.person_image.expires_at - generation.created_at
        for generation in Generation.objects.select_related("person_image")
    }
    assert kept.keys() == {1, 3}
    for days, lifetime in kept.items():
        assert abs(lifetime.total_seconds() - days * 86400) < 60


def test_an_external_user_id_must_fit_the_shopper_key(api_client, person_image_id):
    assert EXTERNAL_USER_ID_MAX_LENGTH == 255  # what the API documents
    longest = "u" * EXTERNAL_USER_ID_MAX_LENGTH
    body = try_on_body(person_image_id, **SHIRT) | {"externalUserId": longest}

    response = api_client.try_on(body)
    too_long = api_client.try_on(body | {"externalUserId": longest + "u"})
    blank = api_client.try_on(body | {"externalUserId": "  "})

    assert response.status_code == 201, response.content
    assert Generation.objects.get().shopper_key == f"user:{longest}"
    assert_error(too_long, 400, "VALIDATION_FAILED", "externalUserId")
    assert_error(blank, 400, "VALIDATION_FAILED", "externalUserId")


def test_multipart_sends_the_photo_under_its_file_key(api_client, person_jpeg):
    body = {"products": [SHIRT], "person": {"image": {"source": {"fileKey": "selfie"}}}}

    response = api_client.try_on_multipart(body, selfie=person_jpeg)

    assert response.status_code == 201, response.content
    assert Generation.objects.get().person_image.sha256
    assert PersonImage.objects.count() == 1


def test_multipart_json_sent_as_a_file_part_is_read_too(api_client, person_jpeg):
    # What a browser sends for FormData.append("data", new Blob([json])).
    body = {"products": [SHIRT], "person": {"image": {"source": {"fileKey": "selfie"}}}}
    parts = {
        "data": io_file(json.dumps(body).encode(), "blob"),
        "selfie": io_file(person_jpeg, "selfie.jpg"),
    }

    response = api_client.client.post("/v1/try-on", parts)

    assert response.status_code == 201, response.content


def test_a_file_key_missing_from_the_multipart_payload_is_refused(api_client, person_jpeg):
    body = {"products": [SHIRT], "person": {"image": {"source": {"fileKey": "selfie"}}}}

    response = api_client.try_on_multipart(body, other=person_jpeg)
    as_json = api_client.try_on(body)

    assert_error(response, 400, "MULTIPART_FILE_NOT_FOUND", "person.image.source.fileKey")
    assert_error(as_json, 400, "MULTIPART_FILE_NOT_FOUND")
    assert not PersonImage.objects.exists()


def test_multipart_without_a_json_data_field_fails_validation(api_client, person_jpeg):
    response = api_client.client.post("/v1/try-on", {"data": "{not json"})

    assert_error(response, 400, "VALIDATION_FAILED", "data")


def test_a_file_that_is_not_an_image_is_invalid(api_client):
    body = {"products": [SHIRT], "person": {"image": {"source": {"fileKey": "selfie"}}}}

    response = api_client.try_on_multipart(body, selfie=b"%PDF-1.4 not a photo")

    assert_error(response, 400, "INVALID_IMAGE", "person.image.source.fileKey")
    assert not PersonImage.objects.exists()


# --- Person image URLs that must not be fetched, or fail -------------------------------------


@pytest.fixture
def strict_fetcher(settings) -> None:
    """Only public addresses, whatever the environment says: what production runs with."""
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = False


def assert_fetch_failed(response, api_client) -> None:
    assert_error(response, 400, "CUSTOMER_IMAGE_FETCH_FAILED", "person.image.source.url")
    assert not PersonImage.objects.exists()
    assert not Generation.objects.exists()
    api_client.account.refresh_from_db()
    assert api_client.account.credit_balance == 10


def test_a_loopback_url_is_refused_without_a_connection(
    strict_fetcher, api_client, image_server, network
):
    image_server.routes["/x.png"] = respond(200, image_bytes("PNG"))

    response = api_client.try_on(url_body(image_server.url("/x.png")))

    assert_fetch_failed(response, api_client)
    assert image_server.requests == []
    assert network.connections == []


def test_the_cloud_metadata_address_is_refused_without_a_connection(
    strict_fetcher, api_client, network
):
    response = api_client.try_on(url_body("http://169.254.169.254/latest/meta-data"))

    assert_fetch_failed(response, api_client)
    assert network.connections == []


def test_a_redirect_from_a_public_host_to_loopback_is_not_followed(
    strict_fetcher, api_client, image_server, other_image_server, network
):
    base = public_host(network, "photos.example.com", image_server)
    other_image_server.routes["/x.png"] = respond(200, image_bytes("PNG"))
    image_server.routes["/me.jpg"] = redirect(other_image_server.url("/x.png"))

    response = api_client.try_on(url_body(f"{base}/me.jpg"))

    assert_fetch_failed(response, api_client)
    assert image_server.requests == ["/me.jpg"]
    assert other_image_server.requests == []
    assert network.connections == [("93.184.215.14", image_server.port)]


def test_a_host_that_does_not_resolve_fails(strict_fetcher, api_client, network):
    network.names["photos.invalid"] = None

    response = api_client.try_on(url_body("https://photos.invalid/me.jpg"))

    assert_fetch_failed(response, api_client)
    assert network.connections == []


@pytest.mark.parametrize("status", [404, 500, 403])
def test_an_answer_other_than_2xx_fails(api_client, image_server, settings, status):
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = True
    image_server.routes["/me.jpg"] = respond(status, b"<h1>internal detail</h1>")

    response = api_client.try_on(url_body(image_server.url("/me.jpg")))

    assert_fetch_failed(response, api_client)
    assert b"internal detail" not in response.content


def test_an_image_over_the_upload_cap_fails(api_client, image_server, settings, person_jpeg):
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = True
    settings.UPLOAD_MAX_BYTES = len(person_jpeg) - 1
    image_server.routes["/me.jpg"] = respond(200, person_jpeg)

    assert_fetch_failed(api_client.try_on(url_body(image_server.url("/me.jpg"))), api_client)


def test_a_url_that_is_not_an_image_fails(api_client, image_server, settings):
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = True
    html = respond(200, b"<html>hi</html>", {"Content-Type": "image/jpeg"})
    image_server.routes["/me.jpg"] = html

    assert_fetch_failed(api_client.try_on(url_body(image_server.url("/me.jpg"))), api_client)


def test_a_non_http_url_fails(strict_fetcher, api_client, network):
    assert_fetch_failed(api_client.try_on(url_body("file:///etc/passwd")), api_client)
    assert network.connections == []


# --- Output controls, validation, the deprecated shape ---------------------------------------


def test_output_controls_are_kept_on_the_generation(api_client, person_image_id):
    body = try_on_body(person_image_id, **SHIRT) | {
        "output": {"watermark": False, "keepForDays": 1}
    }

    response = api_client.try_on(body)

    assert response.status_code == 201, response.content
    generation = Generation.objects.get()
    assert (generation.watermark, generation.keep_for_days) == (False, 1)
    assert generation.expires_at < timezone.now() + timedelta(days=1)


def test_validation_errors_name_every_offending_path(api_client, person_image_id):
    item = SHIRT | {"images": ["https://cdn.example.com/a.png", "ftp://cdn.example.com/b.png"]}
    body = try_on_body(person_image_id, **item) | {"output": {"watermark": "no", "keepForDays": 5}}

    response = api_client.try_on(body)

    details = assert_error(response, 400, "VALIDATION_FAILED")["details"]
    assert {detail["path"] for detail in details} == {
        "products[0].images[1]",
        "output.watermark",
        "output.keepForDays",
    }
    assert not Product.objects.exists()


def test_text_the_database_cannot_hold_fails_validation(api_client, person_image_id):
    body = json.dumps(try_on_body(person_image_id, **SHIRT))
    body = body.replace("Linen Shirt", "Linen \\ud800").replace("back.png", "b\\u0000.png")

    response = api_client.client.post("/v1/try-on", body, content_type="application/json")

    assert_error(response, 400, "VALIDATION_FAILED", "products[0].title", "products[0].images[1]")
    assert not Generation.objects.exists()


@pytest.mark.parametrize("products", [[], [SHIRT, SHIRT], SHIRT, None])
def test_products_must_be_an_array_of_exactly_one_item(api_client, person_image_id, products):
    body = try_on_body(person_image_id) | {"products": products}

    assert_error(api_client.try_on(body), 400, "VALIDATION_FAILED", "products")


def test_more_than_five_images_fail_validation(api_client, person_image_id):
    item = SHIRT | {"images": [f"https://cdn.example.com/{n}.png" for n in range(6)]}

    response = api_client.try_on(try_on_body(person_image_id, **item))

    assert_error(response, 400, "VALIDATION_FAILED", "products[0].images")


def test_a_body_that_is_not_an_object_fails_validation(api_client):
    assert_error(api_client.try_on([1, 2]), 400, "VALIDATION_FAILED")


def test_the_deprecated_shape_is_accepted_with_a_deprecation_header(api_client, person_image_id):
    body = {
        "product": SHIRT,
        "customer": {"source": {"id": person_image_id}},
        "customerId": "u-7",
        "useWatermark": False,
        "retentionDays": 3,
    }

    response = api_client.try_on(body)

    assert response.status_code == 201, response.content
    assert response["Deprecation"] == "true"
    assert response.json()["productExternalId"] == "sku-1"
    generation = Generation.objects.get()
    assert (generation.shopper_key, generation.watermark, generation.keep_for_days) == (
        "user:u-7",
        False,
        3,
    )


def test_the_deprecated_shape_reports_problems_at_its_own_paths(api_client):
    body = {"product": {"externalId": "sku-1"}, "customer": {"source": {}}, "retentionDays": 2}

    response = api_client.try_on(body)

    assert_error(response, 400, "VALIDATION_FAILED", "customer.source", "retentionDays")
    assert_error(
        api_client.try_on({"product": {"externalId": "sku-1"}}),
        400,
        "CUSTOMER_IMAGE_REQUIRED",
        "customer",
    )


def test_mixing_the_two_shapes_fails_validation(api_client, person_image_id):
    body = try_on_body(person_image_id, **SHIRT) | {"useWatermark": False}

    response = api_client.try_on(body)

    assert_error(response, 400, "VALIDATION_FAILED", "useWatermark")
    assert not Generation.objects.exists()


# --- Credits and authentication --------------------------------------------------------------


def test_an_account_without_credits_is_refused_and_nothing_is_stored(
    db, image_server, person_jpeg, settings
):
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = True
    image_server.routes["/me.jpg"] = respond(200, person_jpeg)
    broke = ApiClient(make_api_account("broke-customer", credits=0))

    response = broke.try_on(url_body(image_server.url("/me.jpg")))

    assert_error(response, 402, "INSUFFICIENT_CREDITS")
    assert not Product.objects.exists()
    assert not PersonImage.objects.exists()
    assert image_server.requests == []  # refused before any download


def test_a_call_without_a_valid_api_key_is_unauthorized(client, db):
    response = client.post("/v1/try-on", {}, content_type="application/json")
    wrong = client.post(
        "/v1/try-on", {}, content_type="application/json", headers={"x-api-key": "fr_live_nope"}
    )

    assert_error(response, 401, "UNAUTHORIZED")
    assert_error(wrong, 401, "UNAUTHORIZED")


# --- The whole way -----------------------------------------------------------------------------


def test_an_inline_try_on_renders_to_completed_and_the_product_is_then_referenced(
    api_client, person_image_id, garment_cdn
):
    # Rendered twice, not answered from the first result (test_reuse.py covers that).
    api_client.account.result_reuse_enabled = False
    api_client.account.save(update_fields=["result_reuse_enabled"])
    item = {
        "externalId": "tee-navy",
        "title": "Classic Crew T-shirt",
        "description": "Soft combed cotton.",
        "images": [f"{garment_cdn}/tshirt-navy.png"],
    }

    created = api_client.try_on(try_on_body(person_image_id, **item))
    generation = render_job(created.json()["generationId"])
    reference = api_client.try_on(try_on_body(person_image_id, externalId="tee-navy"))

    assert generation.status == Generation.Status.COMPLETED, generation.error_message
    assert generation.result_image
    status = api_client.get(created["Location"])
    assert status.status_code == 200, status.content
    assert status.json()["status"] == "COMPLETED"
    assert reference.status_code == 201, reference.content
    assert render_job(reference.json()["generationId"]).status == Generation.Status.COMPLETED
    ledger = CreditLedgerEntry.objects.filter(account=api_client.account)
    assert ledger.filter(reason=CreditLedgerEntry.Reason.GENERATION).count() == 2


def test_a_garment_image_that_cannot_be_fetched_fails_the_generation_and_refunds_it(
    strict_fetcher, api_client, person_image_id, image_server
):
    item = SHIRT | {"images": [image_server.url("/shirt.png")]}  # loopback, not allowed

    created = api_client.try_on(try_on_body(person_image_id, **item))
    generation = render_job(created.json()["generationId"])

    assert generation.status == Generation.Status.FAILED
    assert generation.error_code == "PRODUCT_IMAGE_FETCH_FAILED"
    assert image_server.requests == []
    api_client.account.refresh_from_db()
    assert api_client.account.credit_balance == 10


# --- Concurrency -------------------------------------------------------------------------------


def race(count: int, call, *, at_once: int | None = None) -> list:
    """Run `call(index)` for `count` indexes in threads, each on its own connection, in waves
    of `at_once` (all at once by default) released together by a barrier."""
    at_once = at_once or count
    results: list = []
    for start in range(0, count, at_once):
        wave = range(start, min(start + at_once, count))
        barrier = Barrier(len(wave), timeout=60)

        def one(index: int, barrier: Barrier = barrier):
            try:
                barrier.wait()
                return call(index)
            finally:
                connection.close()

        with ThreadPoolExecutor(max_workers=len(wave)) as pool:
            results += list(pool.map(one, wave))
    return results


@pytest.mark.django_db(transaction=True)
def test_two_hundred_parallel_try_ons_on_a_hundred_credits_make_exactly_a_hundred(
    person_jpeg, settings
):
    settings.API_RATE_LIMIT_PER_MINUTE = 1000  # the per-account request budget is not the subject
    account = make_api_account("racing-customer", credits=100)
    image = store_person_image(account, person_jpeg)
    product_upsert(
        account=account, external_id="sku-1", title="Tee", description="", images=SHIRT["images"]
    )
    _, raw_key = api_key_create(account=account)

    def try_on(index: int) -> int:
        # Half reference the stored product, half describe it inline again.
        item = {"externalId": "sku-1"} if index % 2 else SHIRT
        response = Client(headers={"x-api-key": raw_key}).post(
            "/v1/try-on", try_on_body(image.id, **item), content_type="application/json"
        )
        assert response.status_code == 201 or response.json()["code"] == "INSUFFICIENT_CREDITS"
        return response.status_code

    # In waves of 40: PostgreSQL's max_connections (100 by default, and shared) cannot hold 200
    # at once. The third wave is 40 calls for the last 20 credits, so those are still raced for.
    codes = race(200, try_on, at_once=40)

    assert sorted(codes) == [201] * 100 + [402] * 100
    account.refresh_from_db()
    assert account.credit_balance == 0
    entries = CreditLedgerEntry.objects.filter(account=account)
    assert entries.filter(reason=CreditLedgerEntry.Reason.GENERATION).count() == 100
    assert sum(entries.values_list("delta", flat=True)) == 0
    assert Generation.objects.filter(account=account, credit_charged=True).count() == 100
    assert Product.objects.filter(account=account).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_call_refused_after_its_download_deletes_the_photo_it_stored(
    person_jpeg, image_server, settings
):
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = True
    account = make_api_account("last-credit", credits=1)
    _, raw_key = api_key_create(account=account)
    both_downloading = Barrier(2, timeout=10)

    def photo_after_both_asked(handler) -> None:
        # Both calls have passed the credit pre-check: only the charge can refuse one now.
        both_downloading.wait()
        respond(200, person_jpeg)(handler)

    image_server.routes["/me.jpg"] = photo_after_both_asked
    body = url_body(image_server.url("/me.jpg"))

    codes = race(
        2,
        lambda index: (
            Client(headers={"x-api-key": raw_key})
            .post("/v1/try-on", body, content_type="application/json")
            .status_code
        ),
    )

    assert sorted(codes) == [201, 402]
    assert PersonImage.objects.count() == 1
    stored = [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]
    assert len(stored) == 1


def test_a_repeated_api_try_on_is_reused_and_takes_one_credit(api_client, person_image_id):
    body = try_on_body(person_image_id)
    body["products"][0] |= {"images": ["https://cdn.shopify.com/s/files/tee.jpg"]}
    first = api_client.try_on(body).json()["generationId"]
    Generation.objects.filter(id=first).update(status=Generation.Status.COMPLETED)
    Generation.objects.get(id=first).result_image.save("r.jpg", ContentFile(b"result"))

    second = api_client.try_on(try_on_body(person_image_id))

    assert second.status_code == 201, second.content
    assert second.json()["status"] == "COMPLETED"
    status = api_client.get(f"/v1/generations/{second.json()['generationId']}").json()
    assert status["reused"] is True
    api_client.account.refresh_from_db()
    assert api_client.account.credit_balance == 9
