"""The vertex engine, against a loopback emulator of Google's token and predict endpoints.

Real HTTP, real RS256 assertions, real images; nothing of ours is replaced.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import socket
import threading
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from PIL import Image

from fittingroom.engines import ENGINES, TryOnEngine, get_engine
from fittingroom.engines.base import (
    ContentRejected,
    EngineError,
    EngineMisconfigured,
    EngineUnavailable,
    PersonImageInvalid,
    ProductImageFetchFailed,
)
from fittingroom.engines.vertex import VertexEngine
from tests.emulators.vertex import (
    PROJECT,
    SCOPE,
    VertexEmulator,
    throwaway_private_key,
    write_service_account_key,
)

DEMO = Path(__file__).resolve().parents[3] / "fittingroom" / "demo"


@pytest.fixture(scope="module")
def person() -> Image.Image:
    return Image.open(DEMO / "person.jpg").convert("RGB")


@pytest.fixture(scope="module")
def garment() -> Image.Image:
    # Half size: the tests are about the protocol, and PNG coding is most of a render's time.
    packshot = Image.open(DEMO / "garments" / "jacket-denim.png").convert("RGBA")
    return packshot.resize((packshot.width // 2, packshot.height // 2))


def render(person: Image.Image, garment: Image.Image) -> Image.Image:
    return VertexEngine().render(person=person, garment=garment, category="tops")


def decoded(encoded: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(encoded)))


def test_it_is_registered_as_the_vertex_engine():
    assert ENGINES["vertex"] is VertexEngine
    assert isinstance(get_engine("vertex"), TryOnEngine)


def test_it_sends_the_documented_request_and_returns_an_image_of_the_persons_size(
    vertex_api: VertexEmulator, person, garment, settings
):
    result = render(person, garment)

    assert vertex_api.last_predict_path == {
        "prefix": None,
        "project": PROJECT,
        "location": "us-central1",
        "model": settings.VERTEX_MODEL,
    }
    body = vertex_api.last_predict_body
    assert set(body) == {"instances", "parameters"}
    (instance,) = body["instances"]
    assert set(instance) == {"personImage", "productImages"}
    sent_person = decoded(instance["personImage"]["image"]["bytesBase64Encoded"])
    (product,) = instance["productImages"]
    sent_garment = decoded(product["image"]["bytesBase64Encoded"])
    assert (sent_person.format, sent_person.size) == ("JPEG", person.size)
    assert (sent_garment.format, sent_garment.mode) == ("PNG", "RGB")  # flattened onto white
    assert body["parameters"] == {
        "sampleCount": 1,
        "personGeneration": "allow_adult",
        "outputOptions": {"mimeType": "image/png"},
    }
    assert result.mode == "RGB" and result.size == person.size
    # The emulator paints the torso in the garment's average colour: the answer was used.
    assert result.getpixel((person.width // 2, int(person.height * 0.65))) != person.getpixel(
        (person.width // 2, int(person.height * 0.65))
    )


def test_a_large_photo_is_sent_at_the_preferred_size_and_the_result_is_scaled_back(
    vertex_api: VertexEmulator, person, garment
):
    large = person.resize((1100, 1400))

    result = render(large, garment)

    sent = decoded(
        vertex_api.last_predict_body["instances"][0]["personImage"]["image"]["bytesBase64Encoded"]
    )
    assert max(sent.size) == VertexEngine.preferred_size
    assert result.size == (1100, 1400)


def test_it_authenticates_with_a_signed_assertion_and_reuses_the_token(
    vertex_api: VertexEmulator, person, garment
):
    for _ in range(3):
        render(person, garment)

    assert vertex_api.token_calls == 1
    assert vertex_api.predict_calls == 3
    assert len(set(vertex_api.tokens_used)) == 1
    assert vertex_api.last_token_form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    header, claims = vertex_api.last_assertion_header, vertex_api.last_assertion_claims
    assert header["alg"] == "RS256" and header["kid"] == vertex_api.key_id
    assert claims["iss"] == vertex_api.client_email
    assert claims["scope"] == SCOPE
    assert claims["aud"] == vertex_api.token_uri
    assert claims["exp"] - claims["iat"] == 3600


def test_concurrent_renders_share_one_token_request(vertex_api: VertexEmulator, person, garment):
    errors: list[BaseException] = []

    def work() -> None:
        try:
            render(person, garment)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert vertex_api.token_calls == 1 and vertex_api.predict_calls == 4


def test_an_expired_token_is_renewed(vertex_api: VertexEmulator, person, garment):
    vertex_api.token_lifetime = 1
    render(person, garment)
    time.sleep(1.05)  # the emulator now refuses the first token

    render(person, garment)

    assert vertex_api.token_calls == 2
    first, second = vertex_api.tokens_used
    assert first != second


def test_a_token_in_its_last_five_minutes_is_renewed(vertex_api: VertexEmulator, person, garment):
    vertex_api.token_lifetime = 299

    render(person, garment)
    render(person, garment)

    assert vertex_api.token_calls == 2


def test_a_revoked_token_fails_one_render_and_is_replaced_for_the_next(
    vertex_api: VertexEmulator, person, garment
):
    render(person, garment)
    vertex_api.revoke_tokens()

    with pytest.raises(EngineError) as raised:
        render(person, garment)
    assert type(raised.value) is EngineMisconfigured
    render(person, garment)

    assert vertex_api.token_calls == 2


@pytest.mark.parametrize("reason", ["Support codes: 39322892", None], ids=["reason", "dropped"])
def test_a_filtered_result_is_content_rejected(vertex_api, person, garment, reason):
    vertex_api.rai_filter_next(1, reason=reason)

    with pytest.raises(ContentRejected) as raised:
        render(person, garment)

    assert raised.value.code == "CONTENT_REJECTED"


@pytest.mark.parametrize(("header", "expected"), [("7", 7.0), (None, None)])
def test_throttling_is_engine_unavailable_with_retry_after(
    vertex_api, person, garment, header, expected
):
    vertex_api.error_next(
        1, 429, "RESOURCE_EXHAUSTED", "Quota exceeded for aiplatform.googleapis.com", header
    )

    with pytest.raises(EngineUnavailable) as raised:
        render(person, garment)

    assert raised.value.retry_after == expected


@pytest.mark.parametrize("status", [500, 503])
def test_a_server_error_is_engine_unavailable(vertex_api, person, garment, status):
    vertex_api.error_next(1, status, "UNAVAILABLE", "The service is currently unavailable.")

    with pytest.raises(EngineUnavailable) as raised:
        render(person, garment)

    assert raised.value.code == "ENGINE_UNAVAILABLE"


def test_a_slow_answer_beyond_the_timeout_is_engine_unavailable(
    vertex_api, person, garment, settings
):
    render(person, garment)  # the token is cached; only the predict is slow
    settings.VERTEX_TIMEOUT = 0.3  # after the warm-up, which a busy machine may take longer for
    vertex_api.slow_next(1, 5.0)
    started = time.monotonic()

    with pytest.raises(EngineUnavailable):
        render(person, garment)

    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(
    "kind", ["not-json", "no-image", "bad-base64", "not-an-image", "oversized"]
)
def test_an_unusable_answer_is_an_engine_error(vertex_api, person, garment, kind):
    vertex_api.malformed_next(1, kind=kind)

    with pytest.raises(EngineError) as raised:
        render(person, garment)

    assert type(raised.value) is EngineError
    assert raised.value.code == "ENGINE_ERROR"


@pytest.mark.parametrize(("status", "google_status"), [(403, "PERMISSION_DENIED"), (404, "")])
def test_a_refused_call_is_an_engine_error_not_unavailable(
    vertex_api, person, garment, status, google_status
):
    vertex_api.error_next(1, status, google_status or "NOT_FOUND", "Permission denied.")

    with pytest.raises(EngineError) as raised:
        render(person, garment)

    # Refused access fails fast (no retry) and counts as an outage of the engine.
    expected = EngineMisconfigured if status in (401, 403) else EngineError
    assert type(raised.value) is expected
    assert not isinstance(raised.value, EngineUnavailable)


def test_the_global_location_uses_googles_global_host(settings):
    from fittingroom.engines.vertex import _predict_url

    settings.VERTEX_API_URL = ""
    settings.VERTEX_PROJECT = "shop-project"
    settings.VERTEX_LOCATION = "global"
    assert _predict_url() == (
        "https://aiplatform.googleapis.com/v1/projects/shop-project/locations/global"
        "/publishers/google/models/virtual-try-on-001:predict"
    )
    settings.VERTEX_LOCATION = "europe-west4"
    assert _predict_url().startswith("https://europe-west4-aiplatform.googleapis.com/v1/")


def test_the_default_quota_is_googles_fifty_a_minute():
    from fittingroom.engines.vertex import VertexEngine

    assert VertexEngine.limits().submits_per_minute == 50


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Person image is invalid: no person could be detected.", PersonImageInvalid),
        ("Product image could not be processed.", ProductImageFetchFailed),
        (
            "The input image contains content that has been blocked. Support codes: 17301594",
            ContentRejected,
        ),
        ("Request contains an invalid argument.", EngineError),
    ],
    ids=["person", "product", "safety", "other"],
)
def test_an_invalid_argument_is_mapped_by_what_it_names(
    vertex_api, person, garment, message, expected
):
    vertex_api.error_next(1, 400, "INVALID_ARGUMENT", message)

    with pytest.raises(EngineError) as raised:
        render(person, garment)

    assert type(raised.value) is expected


def test_the_location_placeholder_in_the_api_url_is_filled_in(
    vertex_api: VertexEmulator, person, garment, settings
):
    settings.VERTEX_API_URL = vertex_api.base_url + "/{location}/"

    render(person, garment)

    assert vertex_api.last_predict_path["prefix"] == "us-central1"


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("VERTEX_PROJECT", ""),
        ("VERTEX_CREDENTIALS_FILE", ""),
        ("VERTEX_CREDENTIALS_FILE", "/nonexistent/key.json"),
        ("VERTEX_CREDENTIALS_FILE", "NOT-JSON"),
        ("VERTEX_CREDENTIALS_FILE", "NO-PRIVATE-KEY"),
    ],
)
def test_missing_configuration_is_an_engine_error(
    vertex_api, person, garment, settings, tmp_path, setting, value
):
    if value == "NOT-JSON":
        value = str(tmp_path / "broken.json")
        Path(value).write_text("{not json", encoding="utf-8")
    if value == "NO-PRIVATE-KEY":
        value = str(tmp_path / "incomplete.json")
        Path(value).write_text(json.dumps({"client_email": "x@y"}), encoding="utf-8")
    setattr(settings, setting, value)

    with pytest.raises(EngineError) as raised:
        render(person, garment)

    assert type(raised.value) is EngineError
    assert "Vertex AI" in raised.value.message
    assert vertex_api.token_calls == vertex_api.predict_calls == 0


def test_credentials_the_token_endpoint_refuses_are_an_engine_error(
    vertex_api, person, garment, settings, tmp_path
):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = tmp_path / "other-key.json"
    write_service_account_key(key_file, stranger, token_uri=vertex_api.token_uri)
    settings.VERTEX_CREDENTIALS_FILE = str(key_file)

    with pytest.raises(EngineError) as raised:
        render(person, garment)

    assert type(raised.value) is EngineError
    assert vertex_api.token_calls == 1 and vertex_api.predict_calls == 0


@pytest.mark.parametrize(
    ("status", "expected"), [(503, EngineUnavailable), (429, EngineUnavailable), (401, EngineError)]
)
def test_a_failing_token_endpoint_is_mapped_by_status(
    vertex_api, person, garment, status, expected
):
    vertex_api.token_error_next(1, status)

    with pytest.raises(EngineError) as raised:
        render(person, garment)

    assert type(raised.value) is expected
    assert vertex_api.predict_calls == 0


def test_an_unreachable_token_endpoint_is_engine_unavailable(
    vertex_api, person, garment, settings, tmp_path
):
    with socket.socket() as probe:  # a port nothing listens on once it is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    key_file = tmp_path / "unreachable.json"
    write_service_account_key(
        key_file, throwaway_private_key(), token_uri=f"http://127.0.0.1:{port}/t"
    )
    settings.VERTEX_CREDENTIALS_FILE = str(key_file)

    with pytest.raises(EngineUnavailable):
        render(person, garment)


def test_it_never_logs_tokens_or_image_data(vertex_api, person, garment, caplog):
    caplog.set_level(logging.DEBUG)
    render(person, garment)
    vertex_api.error_next(1, 429, "RESOURCE_EXHAUSTED", "Quota exceeded.")
    vertex_api.rai_filter_next(1)
    for _ in range(2):
        with pytest.raises(EngineError):
            render(person, garment)

    token = vertex_api.tokens_used[0]
    sent_person = vertex_api.last_predict_body["instances"][0]["personImage"]["image"]
    assert token not in caplog.text
    assert sent_person["bytesBase64Encoded"][:40] not in caplog.text
    assert "PRIVATE KEY" not in caplog.text
