"""The public API as a client written from Genlook's current docs sends it: product images as
`{url}` / `{fileKey}` objects with a role, multipart `data`, product answers, the paginated
list, and `POST /v1/try-on/sync`."""

import json
import threading
import time

import pytest
from django.db import connection

from fittingroom.generations.models import Generation
from fittingroom.products.models import Product
from tests.conftest import io_file, render_job
from tests.fittingroom.api.conftest import ApiClient, assert_error, make_api_account

pytestmark = pytest.mark.django_db
GARMENTS = "fittingroom/demo/garments"


def garment_png(name: str = "tshirt-navy.png") -> bytes:
    with open(f"{GARMENTS}/{name}", "rb") as handle:
        return handle.read()


def person(image_id: str) -> dict:
    return {"image": {"source": {"id": image_id}}}


def test_an_inline_product_with_image_objects_and_roles_completes(
    api_client, person_image_id, garment_cdn
):
    product = {
        "externalId": "tee-navy",
        "title": "Classic Crew T-shirt",
        "description": "Soft cotton.",
        "images": [
            {"url": f"{garment_cdn}/tshirt-navy.png"},
            {"url": f"{garment_cdn}/tshirt-red.png", "role": "top-back"},
        ],
        "metadata": {"sku": "T-42"},
    }

    created = api_client.try_on({"products": [product], "person": person(person_image_id)})

    assert created.status_code == 201, created.content
    generation = render_job(created.json()["generationId"])
    assert generation.status == Generation.Status.COMPLETED, generation.error_message
    stored = api_client.get("/v1/products/tee-navy").json()
    assert stored["images"] == [
        {"sourceUrl": f"{garment_cdn}/tshirt-navy.png", "role": None, "order": 0},
        {"sourceUrl": f"{garment_cdn}/tshirt-red.png", "role": "top-back", "order": 1},
    ]
    assert stored["metadata"] == {"sku": "T-42"}
    assert stored["validForDays"] == 15
    assert set(stored) >= {"expiresAt", "lastUsedAt", "createdAt", "updatedAt"}
    assert stored["lastUsedAt"] is not None


def test_product_images_as_files_in_multipart_complete(api_client, person_jpeg):
    body = {
        "products": [{"title": "Navy tee", "images": [{"fileKey": "front", "role": "front"}]}],
        "person": {"image": {"source": {"fileKey": "photo"}}},
    }

    created = api_client.try_on_multipart(body, photo=person_jpeg, front=garment_png())

    assert created.status_code == 201, created.content
    generation = render_job(created.json()["generationId"])
    assert generation.status == Generation.Status.COMPLETED, generation.error_message
    product = Product.objects.get(external_id=created.json()["productExternalId"])
    assert product.images[0].startswith("file:garments/")
    assert product.image_roles == ["front"]


def test_a_file_key_missing_from_the_multipart_body_is_named(api_client, person_jpeg):
    body = {
        "products": [{"title": "Navy tee", "images": [{"fileKey": "front"}]}],
        "person": {"image": {"source": {"fileKey": "photo"}}},
    }

    response = api_client.try_on_multipart(body, photo=person_jpeg)

    assert_error(response, 400, "MULTIPART_FILE_NOT_FOUND", "products[0].images[0].fileKey")
    assert not Generation.objects.exists()


@pytest.mark.parametrize(
    ("images", "path"),
    [
        ([{}], "products[0].images[0]"),
        ([{"url": "https://a.example/x.jpg", "fileKey": "f"}], "products[0].images[0]"),
        ([{"url": "ftp://a.example/x.jpg"}], "products[0].images[0].url"),
        ([{"url": "https://a.example/x.jpg", "role": 7}], "products[0].images[0].role"),
        ([42], "products[0].images[0]"),
    ],
)
def test_a_bad_image_object_fails_validation_at_its_path(api_client, person_image_id, images, path):
    body = {"products": [{"title": "Tee", "images": images}], "person": person(person_image_id)}

    assert_error(api_client.try_on(body), 400, "VALIDATION_FAILED", path)


def test_plain_url_strings_and_the_deprecated_shape_still_work(
    api_client, person_image_id, garment_cdn
):
    url = f"{garment_cdn}/tshirt-red.png"
    deprecated = {
        "product": {"externalId": "tee-red", "title": "Red tee", "imageUrls": [url]},
        "customer": {"source": {"id": person_image_id}},
    }

    created = api_client.try_on(deprecated)

    assert created.status_code == 201, created.content
    assert created["Deprecation"] == "true"
    assert render_job(created.json()["generationId"]).status == Generation.Status.COMPLETED
    strings = {"products": [{"externalId": "tee-red"}], "person": person(person_image_id)}
    api_client.account.result_reuse_enabled = False
    api_client.account.save()
    assert api_client.try_on(strings).status_code == 201  # by reference now


def test_post_products_takes_image_objects_and_files_in_multipart(api_client):
    data = {"externalId": "tee-1", "title": "Tee", "images": [{"fileKey": "f", "role": "front"}]}
    response = api_client.client.post(
        "/v1/products", {"data": json.dumps(data), "f": io_file(garment_png(), "f.png")}
    )

    assert response.status_code == 201, response.content
    [image] = response.json()["images"]
    assert (image["role"], image["order"]) == ("front", 0)
    served = api_client.client.get(image["sourceUrl"].split("localhost:8000")[-1])
    assert served.status_code == 200 and served["Content-Type"] == "image/png"


def test_the_product_list_answers_items_next_cursor_has_more_and_count(api_client):
    for index in range(3):
        api_client.post_json(
            "/v1/products",
            {"externalId": f"p{index}", "images": [{"url": "https://cdn.shopify.com/a.png"}]},
        )

    first = api_client.get("/v1/products", {"limit": 2}).json()
    second = api_client.get("/v1/products", {"limit": 2, "cursor": first["nextCursor"]}).json()

    assert [item["externalId"] for item in first["items"]] == ["p2", "p1"]
    assert (first["hasMore"], first["count"]) == (True, 2)
    assert [item["externalId"] for item in second["items"]] == ["p0"]
    assert (second["hasMore"], second["count"], second["nextCursor"]) == (False, 1, None)
    assert first["data"] == first["items"]  # the deprecated name, kept


@pytest.mark.django_db(transaction=True)
def test_try_on_sync_answers_the_finished_generation_in_the_same_request(person_jpeg, settings):
    client = ApiClient(make_api_account("sync-customer"))
    image_id = _upload(client, person_jpeg)
    body = {
        "products": [{"externalId": "tee", "images": ["https://cdn.shopify.com/tee.png"]}],
        "person": person(image_id),
    }
    worker = _render_when_created(delay=0.3)

    started = time.monotonic()
    response = client.post_json("/v1/try-on/sync", body)
    elapsed = time.monotonic() - started
    worker.join()

    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["status"] in ("COMPLETED", "FAILED")
    assert answer["generationId"].startswith("gen_") and answer["productExternalId"] == "tee"
    assert elapsed < 10


@pytest.mark.django_db(transaction=True)
def test_try_on_sync_answers_202_with_the_generation_when_the_wait_runs_out(person_jpeg, settings):
    settings.TRYON_SYNC_WAIT_SECONDS = 1
    client = ApiClient(make_api_account("slow-customer"))
    body = {
        "products": [{"externalId": "tee", "images": ["https://cdn.shopify.com/tee.png"]}],
        "person": person(_upload(client, person_jpeg)),
    }

    response = client.post_json("/v1/try-on/sync", body)

    assert response.status_code == 202, response.content
    assert response.json()["status"] == "PENDING"
    assert response["Location"] == f"/v1/generations/{response.json()['generationId']}"


@pytest.mark.django_db(transaction=True)
def test_try_on_sync_refuses_like_try_on(person_jpeg):
    client = ApiClient(make_api_account("broke-customer", credits=0))
    body = {"products": [{"externalId": "nope"}], "person": person("file_x")}

    assert client.post_json("/v1/try-on/sync", body).json()["code"] == "INSUFFICIENT_CREDITS"


def _upload(client: ApiClient, content: bytes) -> str:
    response = client.client.post("/v1/images/upload", {"file": io_file(content, "p.jpg")})
    assert response.status_code == 201, response.content
    return response.json()["imageId"]


def _render_when_created(delay: float) -> threading.Thread:
    """A stand-in worker: renders the first PENDING generation it sees."""

    def run() -> None:
        try:
            for _ in range(100):
                job = Generation.objects.filter(status="PENDING").values_list("id", flat=True)
                if job:
                    time.sleep(delay)
                    render_job(job[0])
                    return
                time.sleep(0.05)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_garment_file_goes_with_the_last_product_that_names_it(api_client):
    from django.core.files.storage import default_storage

    def post(external_id: str):
        data = {"externalId": external_id, "title": "Tee", "images": [{"fileKey": "f"}]}
        return api_client.client.post(
            "/v1/products", {"data": json.dumps(data), "f": io_file(garment_png(), "f.png")}
        )

    assert post("a").status_code == 201 and post("b").status_code == 201
    [ref] = {product.images[0] for product in Product.objects.all()}  # stored once
    name = ref.removeprefix("file:")

    assert api_client.delete("/v1/products/a").status_code == 204
    assert default_storage.exists(name)  # "b" still shows it
    assert api_client.delete("/v1/products/b").status_code == 204
    assert not default_storage.exists(name)


def test_an_api_try_on_with_a_refused_photo_is_400_and_leaves_nothing(api_client):
    import numpy as np
    from PIL import Image

    from fittingroom.images.models import PersonImage
    from tests.fittingroom.images.photo_corpus import person_photo

    pixels = np.asarray(person_photo((900, 1125), person_height=0.6)).astype(np.float32) * 0.14
    dark = io_file(b"", "d.jpg")
    Image.fromarray(pixels.astype(np.uint8)).save(dark, format="JPEG", quality=90)
    body = {
        "products": [{"title": "Tee", "images": ["https://cdn.shopify.com/tee.png"]}],
        "person": {"image": {"source": {"fileKey": "photo"}}},
    }

    response = api_client.try_on_multipart(body, photo=dark.getvalue())

    error = assert_error(response, 400, "PHOTO_REJECTED", "person.image.source.fileKey")
    assert [detail["code"] for detail in error["details"]] == ["PHOTO_TOO_DARK"]
    assert not PersonImage.objects.exists() and not Product.objects.exists()
    api_client.account.refresh_from_db()
    assert api_client.account.credit_balance == 10
