"""/v1 images, generations, customers and credits, as an API client calls them."""

import base64
import json
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from fittingroom.generations.models import Generation
from fittingroom.images.models import PersonImage
from tests.conftest import image_bytes, io_file
from tests.fittingroom.api.conftest import ApiClient, make_api_account, store_person_image

pytestmark = pytest.mark.django_db

UPLOAD = "/v1/images/upload"


def assert_error(response, status: int, code: str, path: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert (body["code"], body["status"]) == (code, status)
    if path is not None:
        assert path in [detail["path"] for detail in body["details"]], body["details"]
    return body


def upload(api_client: ApiClient, content: bytes | None, **fields: str):
    files = {"file": io_file(content, "photo.jpg")} if content is not None else {}
    return api_client.client.post(UPLOAD, {**files, **fields})


def make_generation(account, *, minutes_ago: float = 0, **fields) -> Generation:
    values = {
        "account": account,
        "shopper_key": "api",
        "client_ip": "203.0.113.9",
        "catalog_source": "inline",
        "product_id": "sku-1",
        "garment_image_ref": "https://cdn.example.com/shirt.png",
        "engine": "local",
        "created_at": timezone.now() - timedelta(minutes=minutes_ago),
        "deadline_at": timezone.now() + timedelta(minutes=3),
    }
    return Generation.objects.create(**(values | fields))


# --- Upload ----------------------------------------------------------------------------------


def test_an_upload_answers_with_the_image_id_and_a_url_that_serves_it(api_client, person_jpeg):
    response = upload(api_client, person_jpeg, externalUserId="user-42", keepForDays="3")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {
        *("imageId", "imageUrl", "message", "imageWidth", "imageHeight", "faces", "quality")
    }
    image = PersonImage.objects.get(id=body["imageId"])
    assert image.account == api_client.account
    assert image.shopper_key == "user:user-42"
    assert abs(image.expires_at - (image.created_at + timedelta(days=3))) < timedelta(seconds=1)
    served = api_client.client.get(body["imageUrl"].split("localhost:8000")[-1])
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"


def test_an_upload_without_a_user_is_kept_seven_days_under_the_api_shopper(api_client):
    response = upload(api_client, image_bytes("PNG"))

    assert response.status_code == 201, response.content
    image = PersonImage.objects.get(id=response.json()["imageId"])
    assert image.shopper_key == "api"
    assert abs(image.expires_at - (image.created_at + timedelta(days=7))) < timedelta(seconds=1)


def test_an_upload_without_a_file_is_refused(api_client):
    assert_error(upload(api_client, None, externalUserId="u1"), 400, "FILE_REQUIRED")


def test_an_upload_that_is_not_an_image_is_refused(api_client):
    assert_error(upload(api_client, b"%PDF-1.7 not a photo"), 400, "INVALID_IMAGE")
    assert not PersonImage.objects.exists()


def test_an_oversized_upload_is_refused_from_its_declared_size(api_client, settings):
    settings.UPLOAD_MAX_BYTES = 2048

    response = upload(api_client, b"\xff" * 200_000)

    assert_error(response, 413, "FILE_TOO_LARGE")


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"keepForDays": "5"}, "keepForDays"),
        ({"externalUserId": "x" * 300}, "externalUserId"),
        ({"externalUserId": "   "}, "externalUserId"),
    ],
)
def test_upload_options_are_validated(api_client, person_jpeg, fields, path):
    assert_error(upload(api_client, person_jpeg, **fields), 400, "VALIDATION_FAILED", path)


def test_an_external_user_id_may_be_255_characters(api_client, person_jpeg):
    longest = "u" * 255

    accepted = upload(api_client, person_jpeg, externalUserId=longest)
    too_long = upload(api_client, person_jpeg, externalUserId=longest + "u")

    assert accepted.status_code == 201, accepted.content
    assert PersonImage.objects.get().shopper_key == f"user:{longest}"
    assert_error(too_long, 400, "VALIDATION_FAILED", "externalUserId")


def test_an_upload_must_be_multipart(api_client):
    response = api_client.post_json(UPLOAD, {"file": "aGVsbG8="})

    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


# --- One generation --------------------------------------------------------------------------


def test_a_generation_of_the_account_is_described(api_client):
    generation = make_generation(
        api_client.account, shopper_key="user:user-42", status=Generation.Status.FAILED
    )
    Generation.objects.filter(id=generation.id).update(
        error_code="ENGINE_FAILED", error_message="The engine failed."
    )

    response = api_client.get(f"/v1/generations/{generation.id}")

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "generationId": generation.id,
        "status": "FAILED",
        "resultImageUrl": None,
        "errorCode": "ENGINE_FAILED",
        "errorMessage": "The engine failed.",
        "productExternalId": "sku-1",
        "externalUserId": "user-42",
        "reused": False,
        "createdAt": body["createdAt"],
        "updatedAt": body["updatedAt"],
    }
    assert response["Cache-Control"] == "no-store"


def test_a_completed_generation_links_its_result(api_client):
    generation = make_generation(api_client.account, status=Generation.Status.COMPLETED)
    generation.result_image.save("result.jpg", ContentFile(image_bytes()))

    body = api_client.get(f"/v1/generations/{generation.id}").json()

    assert body["resultImageUrl"].startswith("http")
    assert body["externalUserId"] is None
    assert (
        api_client.client.get(body["resultImageUrl"].split("localhost:8000")[-1]).status_code == 200
    )


def test_another_accounts_generation_is_forbidden(api_client):
    theirs = make_generation(make_api_account("someone-else"))

    assert_error(api_client.get(f"/v1/generations/{theirs.id}"), 403, "FORBIDDEN")


def test_an_unknown_generation_is_not_found(api_client):
    assert_error(api_client.get("/v1/generations/gen_nope"), 404, "GENERATION_NOT_FOUND")
    assert_error(api_client.get("/v1/generations/gen%00nul"), 404, "GENERATION_NOT_FOUND")


# --- The list --------------------------------------------------------------------------------


def test_the_list_pages_through_every_generation_newest_first(api_client):
    same_instant = timezone.now() - timedelta(minutes=30)
    made = [make_generation(api_client.account, minutes_ago=m) for m in (50, 40, 20, 10, 0)]
    made += [make_generation(api_client.account, created_at=same_instant) for _ in range(3)]
    make_generation(make_api_account("someone-else"))
    expected = [g.id for g in sorted(made, key=lambda g: (g.created_at, g.id), reverse=True)]

    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = api_client.get("/v1/generations", params).json()
        seen += [item["generationId"] for item in body["data"]]
        pages += 1
        cursor = body["nextCursor"]
        if cursor is None:
            break

    assert seen == expected
    assert pages == 3


def test_the_list_filters_by_status(api_client):
    done = make_generation(api_client.account, status=Generation.Status.COMPLETED)
    make_generation(api_client.account, status=Generation.Status.PENDING)

    body = api_client.get("/v1/generations", {"status": "COMPLETED"}).json()

    assert [item["generationId"] for item in body["data"]] == [done.id]
    assert body["nextCursor"] is None


def test_the_list_holds_fifty_by_default(api_client):
    for _ in range(51):
        make_generation(api_client.account)

    body = api_client.get("/v1/generations").json()

    assert len(body["data"]) == 50
    assert body["nextCursor"]


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"status": "DONE"}, "status"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_list_parameters_are_validated(api_client, params, path):
    response = api_client.get("/v1/generations", params)

    assert_error(response, 400, "VALIDATION_FAILED", path)


def test_a_cursor_naming_no_generation_the_api_could_return_is_refused(api_client):
    forged = base64.urlsafe_b64encode(json.dumps([timezone.now().isoformat(), "\x00"]).encode())

    response = api_client.get("/v1/generations", {"cursor": forged.decode()})

    assert_error(response, 400, "VALIDATION_FAILED", "cursor")


def test_the_limit_may_be_one_to_two_hundred(api_client):
    for limit in (1, 200):
        assert api_client.get("/v1/generations", {"limit": limit}).status_code == 200


# --- Customers and credits -------------------------------------------------------------------


def test_deleting_a_customer_removes_their_images_and_results_only(api_client, person_jpeg):
    account = api_client.account
    theirs = store_person_image(account, person_jpeg, shopper_key="user:user-42")
    other = store_person_image(account, person_jpeg, shopper_key="user:user-7")
    generation = make_generation(account, shopper_key="user:user-42", person_image=theirs)
    stored_name = theirs.image.name

    first = api_client.delete("/v1/customers/user-42")
    second = api_client.delete("/v1/customers/user-42")

    assert (first.status_code, second.status_code) == (204, 204)
    assert not PersonImage.objects.filter(id=theirs.id).exists()
    assert not theirs.image.storage.exists(stored_name)
    assert PersonImage.objects.filter(id=other.id).exists()
    generation.refresh_from_db()
    assert generation.shopper_key != "user:user-42"
    assert generation.person_image is None


def test_deleting_a_customer_of_another_account_touches_nothing(api_client, person_jpeg):
    elsewhere = store_person_image(
        make_api_account("someone-else"), person_jpeg, shopper_key="user:user-42"
    )

    assert api_client.delete("/v1/customers/user-42").status_code == 204
    assert PersonImage.objects.filter(id=elsewhere.id).exists()


@pytest.mark.parametrize("external_user_id", ["u" * 255, "team/42"], ids=["longest", "slash"])
def test_any_external_user_id_the_api_takes_can_be_deleted(
    api_client, person_jpeg, external_user_id
):
    image = store_person_image(
        api_client.account, person_jpeg, shopper_key=f"user:{external_user_id}"
    )

    response = api_client.delete(f"/v1/customers/{external_user_id}")

    assert response.status_code == 204, response.content
    assert not PersonImage.objects.filter(id=image.id).exists()


def test_a_customer_id_longer_than_255_characters_is_refused(api_client):
    response = api_client.delete(f"/v1/customers/{'u' * 256}")

    assert_error(response, 400, "VALIDATION_FAILED", "externalUserId")


def test_the_credit_balance_is_the_accounts(api_client):
    assert api_client.get("/v1/account/credits").json() == {"creditBalance": 10}
