"""`Idempotency-Key` on the public API's POSTs: a retry gets the first answer, never a second
upload or generation."""

import pytest
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from fittingroom.accounts.api_keys import api_key_create
from fittingroom.accounts.models import CreditLedgerEntry
from fittingroom.api.idempotency import IN_FLIGHT, idempotency_cache_key, idempotent
from fittingroom.generations.models import Generation
from fittingroom.images.models import PersonImage
from tests.conftest import image_bytes, io_file
from tests.fittingroom.api.conftest import ApiClient, make_api_account, try_on_body

pytestmark = pytest.mark.django_db

UPLOAD = "/v1/images/upload"
SHIRT = {
    "externalId": "sku-1",
    "title": "Linen Shirt",
    "images": ["https://cdn.example.com/shirt-front.png"],
}


def upload(api_client: ApiClient, content: bytes, key: str | None, **fields: str):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return api_client.client.post(
        UPLOAD, {"file": io_file(content, "photo.jpg"), **fields}, headers=headers
    )


def try_on(api_client: ApiClient, body: dict, key: str):
    return api_client.client.post(
        "/v1/try-on", body, content_type="application/json", headers={"Idempotency-Key": key}
    )


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert (response.json()["code"], response.json()["status"]) == (code, status)


def test_a_repeated_upload_gets_the_first_answer_and_stores_one_image(api_client, person_jpeg):
    first = upload(api_client, person_jpeg, "upload-1", externalUserId="u1")
    again = upload(api_client, person_jpeg, "upload-1", externalUserId="u1")

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert again["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert PersonImage.objects.count() == 1


def test_a_repeated_try_on_creates_one_generation_and_takes_one_credit(api_client, person_jpeg):
    image = upload(api_client, person_jpeg, None).json()["imageId"]
    body = try_on_body(image, **SHIRT)

    first = try_on(api_client, body, "try-1")
    again = try_on(api_client, body, "try-1")

    assert first.status_code == 201, first.content
    assert (again.status_code, again.content) == (201, first.content)
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert Generation.objects.count() == 1
    charged = CreditLedgerEntry.objects.filter(reason=CreditLedgerEntry.Reason.GENERATION)
    assert charged.count() == 1


def test_without_the_header_every_request_does_the_work(api_client, person_jpeg):
    upload(api_client, person_jpeg, None)
    upload(api_client, person_jpeg, None)

    assert PersonImage.objects.count() == 2


def test_a_key_still_in_flight_is_refused_with_409(api_client, person_jpeg):
    marker = idempotency_cache_key(account_id=api_client.account.id, key="busy")
    cache.set(marker, IN_FLIGHT, timeout=60)

    assert_error(upload(api_client, person_jpeg, "busy"), 409, "IDEMPOTENCY_KEY_IN_USE")
    assert not PersonImage.objects.exists()


def test_a_key_reused_with_another_body_is_refused_with_422(api_client, person_jpeg):
    upload(api_client, person_jpeg, "upload-1", externalUserId="u1")

    other_user = upload(api_client, person_jpeg, "upload-1", externalUserId="u2")
    other_photo = upload(api_client, image_bytes("PNG"), "upload-1", externalUserId="u1")

    assert_error(other_user, 422, "IDEMPOTENCY_KEY_REUSED")
    assert_error(other_photo, 422, "IDEMPOTENCY_KEY_REUSED")
    assert PersonImage.objects.count() == 1


def test_an_error_answer_is_replayed_too(api_client):
    first = upload(api_client, b"not an image", "bad-1")
    again = upload(api_client, b"not an image", "bad-1")

    assert_error(first, 400, "INVALID_IMAGE")
    assert (again.status_code, again.content) == (400, first.content)
    assert again["Idempotent-Replayed"] == "true"


def test_keys_belong_to_an_account(api_client, person_jpeg):
    other = ApiClient(make_api_account("someone-else"))

    upload(api_client, person_jpeg, "shared-key")
    theirs = upload(other, image_bytes("PNG"), "shared-key")

    assert theirs.status_code == 201
    assert not theirs.has_header("Idempotent-Replayed")
    assert PersonImage.objects.count() == 2


def test_an_overlong_key_is_refused(api_client, person_jpeg):
    assert_error(upload(api_client, person_jpeg, "k" * 256), 400, "VALIDATION_FAILED")


def test_a_bad_api_key_is_answered_by_the_view(client, person_jpeg):
    response = client.post(
        UPLOAD,
        {"file": io_file(person_jpeg, "photo.jpg")},
        headers={"x-api-key": "fr_live_wrong", "Idempotency-Key": "k1"},
    )

    assert_error(response, 401, "UNAUTHORIZED")


# --- Server errors release the key -----------------------------------------------------------


class FlakyView:
    """A view that fails with the given outcomes in turn, then succeeds."""

    def __init__(self, *outcomes: int | Exception) -> None:
        self.outcomes, self.calls = list(outcomes), 0

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self.calls += 1
        outcome = self.outcomes.pop(0) if self.outcomes else 201
        if isinstance(outcome, Exception):
            raise outcome
        return HttpResponse(f"answer {self.calls}", status=outcome)


@pytest.fixture
def post(api_account):
    _, raw_key = api_key_create(account=api_account)
    factory = RequestFactory()

    def post(view, key: str = "k1") -> HttpResponse:
        request = factory.post(
            "/v1/anything",
            b'{"a": 1}',
            content_type="application/json",
            headers={"x-api-key": raw_key, "Idempotency-Key": key},
        )
        return idempotent(view)(request)

    return post


def test_a_server_error_is_not_kept_so_the_retry_runs(post):
    view = FlakyView(503)

    first, retry, replay = post(view), post(view), post(view)

    assert (first.status_code, retry.status_code) == (503, 201)
    assert view.calls == 2
    assert (replay.status_code, replay.content) == (201, b"answer 2")
    assert replay["Idempotent-Replayed"] == "true"


def test_a_crash_releases_the_key(post):
    view = FlakyView(RuntimeError("boom"))

    with pytest.raises(RuntimeError):
        post(view)

    assert post(view).status_code == 201
    assert view.calls == 2


def test_a_rate_limited_answer_is_not_kept(post):
    view = FlakyView(429)

    assert [post(view).status_code, post(view).status_code] == [429, 201]
