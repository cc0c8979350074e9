"""The fashn engine against the FASHN emulator, over real loopback HTTP: what it sends, how it
reads predictions and webhooks, and how every failure maps to a stable error code."""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured
from PIL import Image

from fittingroom.engines import get_engine
from fittingroom.engines.base import (
    ContentRejected,
    EngineAtCapacity,
    EngineError,
    EngineJobFailed,
    EngineMisconfigured,
    EngineOutOfCredits,
    EngineTimeout,
    EngineUnavailable,
    HostedJobEngine,
    JobStatus,
    PersonImageInvalid,
    ProductImageFetchFailed,
)
from fittingroom.engines.fashn import (
    FashnEngine,
    prediction_outcome,
    webhook_token,
    webhook_token_valid,
)

if TYPE_CHECKING:
    from tests.emulators.fashn import FashnEmulator

DEMO = Path(__file__).resolve().parents[3] / "fittingroom" / "demo"
PERSON = (DEMO / "person.jpg").read_bytes()
GARMENT = (DEMO / "garments" / "tshirt-red.png").read_bytes()


def submit(engine: FashnEngine, *, garment: bytes = GARMENT, person: bytes = PERSON, **kwargs):
    arguments = {"category": "tops", "webhook_url": None} | kwargs
    return engine.submit(person_jpeg=person, garment_png=garment, **arguments)


def finished(engine: FashnEngine, job_id: str, timeout: float = 3.0) -> JobStatus:
    """Poll as the pipeline does until the prediction is no longer pending."""
    deadline = time.monotonic() + timeout
    while (status := engine.poll(job_id=job_id)).state == "pending":
        assert time.monotonic() < deadline, "the prediction never finished"
        time.sleep(0.02)
    return status


def decode_data_uri(value: str, mime: str) -> bytes:
    prefix = f"data:{mime};base64,"
    assert value.startswith(prefix)
    return base64.b64decode(value[len(prefix) :])


class WebhookSink:
    """Our side of FASHN's webhooks: records each POST and answers the queued statuses."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.answers: list[int] = []
        self.arrived = threading.Condition()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with sink.arrived:
                    status = sink.answers.pop(0) if sink.answers else 200
                    sink.received.append((self.path, dict(self.headers), body))
                    sink.arrived.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        serve = {"poll_interval": 0.02}  # keeps shutdown() quick
        threading.Thread(target=self.server.serve_forever, kwargs=serve, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/fashn"

    def wait_for(self, count: int, timeout: float = 3.0) -> list[tuple[str, dict[str, str], bytes]]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)


@pytest.fixture
def webhook_sink() -> Iterator[WebhookSink]:
    sink = WebhookSink()
    try:
        yield sink
    finally:
        sink.server.shutdown()
        sink.server.server_close()


@pytest.fixture
def engine(fashn_api: FashnEmulator) -> FashnEngine:
    fashn_api.latency = 0.05  # these tests wait for predictions to end, not to be pending
    return FashnEngine()


# --- submitting ---------------------------------------------------------------------------
def test_it_sends_the_documented_run_request(engine, fashn_api):
    job_id = submit(engine, category="bottoms")

    assert job_id in fashn_api.predictions
    request = fashn_api.run_requests[-1]
    assert request["headers"]["Authorization"] == f"Bearer {fashn_api.api_key}"
    assert request["query"] == {}
    body = request["body"]
    assert body["model_name"] == "tryon-v1.6"
    inputs = body["inputs"]
    assert decode_data_uri(inputs["model_image"], "image/jpeg") == PERSON
    assert decode_data_uri(inputs["garment_image"], "image/png") == GARMENT
    assert inputs["category"] == "bottoms"
    assert inputs["mode"] == "balanced"
    assert inputs["num_samples"] == 1
    assert inputs["return_base64"] is True
    assert inputs["output_format"] == "jpeg"


def test_it_passes_the_webhook_url_as_a_query_parameter(engine, fashn_api, webhook_sink):
    url = f"{webhook_sink.url}?token=abc&generation=42"
    submit(engine, webhook_url=url)

    assert fashn_api.run_requests[-1]["query"] == {"webhook_url": url}


def test_an_unknown_category_is_left_to_fashn_to_detect(engine, fashn_api):
    submit(engine, category="accessories")

    assert fashn_api.run_requests[-1]["body"]["inputs"]["category"] == "auto"


def test_mode_moderation_and_photo_type_come_from_settings(fashn_api, settings):
    settings.FASHN_MODE = "performance"
    settings.FASHN_MODERATION_LEVEL = "conservative"
    settings.FASHN_GARMENT_PHOTO_TYPE = "flat-lay"
    submit(FashnEngine())

    inputs = fashn_api.run_requests[-1]["body"]["inputs"]
    assert inputs["mode"] == "performance"
    assert inputs["moderation_level"] == "conservative"
    assert inputs["garment_photo_type"] == "flat-lay"


@pytest.mark.parametrize(
    ("name", "value"),
    [("FASHN_MODERATION_LEVEL", "strict"), ("FASHN_GARMENT_PHOTO_TYPE", "mannequin")],
)
def test_it_refuses_options_fashn_does_not_document(fashn_api, settings, name, value):
    setattr(settings, name, value)
    with pytest.raises(ImproperlyConfigured):
        FashnEngine()


def test_its_limits_are_fashns_documented_ones(settings):
    settings.FASHN_MAX_CONCURRENT = 4
    limits = FashnEngine.limits()

    assert limits.max_in_flight == 4
    assert limits.submits_per_minute == 50
    assert limits.polls == (50, 10.0)
    assert limits.webhooks
    settings.FASHN_MAX_CONCURRENT = settings.FASHN_STATUS_REQUESTS_PER_10S = 0
    assert (FashnEngine.limits().max_in_flight, FashnEngine.limits().polls) == (None, None)


def test_it_refuses_to_start_without_a_key_or_with_an_unknown_mode(settings):
    settings.FASHN_API_KEY = ""
    with pytest.raises(ImproperlyConfigured):
        FashnEngine()
    settings.FASHN_API_KEY = "fa-key"
    settings.FASHN_MODE = "fastest"
    with pytest.raises(ImproperlyConfigured):
        FashnEngine()


def test_it_is_registered_as_a_hosted_job_engine(fashn_api):
    engine = get_engine("fashn")

    assert isinstance(engine, FashnEngine)
    assert isinstance(engine, HostedJobEngine)


# --- polling ------------------------------------------------------------------------------
def test_poll_is_pending_then_completed_with_the_try_on_image(engine, fashn_api):
    fashn_api.latency = 0.2
    job_id = submit(engine)

    assert engine.poll(job_id=job_id) == JobStatus("pending")
    status = finished(engine, job_id)

    assert status.state == "completed"
    assert status.result_url is None
    result = Image.open(io.BytesIO(status.result_bytes))
    assert result.format == "JPEG"
    assert result.size == Image.open(io.BytesIO(PERSON)).size
    torso = result.convert("RGB").getpixel((result.width // 2, int(result.height * 0.65)))
    expected = fashn_api.garment_colour(Image.open(io.BytesIO(GARMENT)))
    assert all(abs(a - b) < 12 for a, b in zip(torso, expected, strict=True))
    assert fashn_api.status_calls >= 2


def test_a_url_result_downloads_until_it_expires(fashn_api):
    fashn_api.latency, fashn_api.result_url_ttl = 0.05, 0.2
    engine = FashnEngine(return_base64=False)
    status = finished(engine, submit(engine))

    assert status.result_bytes is None
    download = requests.get(status.result_url, timeout=5)
    assert download.status_code == 200
    assert Image.open(io.BytesIO(download.content)).size == (512, 512)
    time.sleep(0.25)
    assert requests.get(status.result_url, timeout=5).status_code == 403


def test_a_moderated_prediction_is_content_rejected(engine, fashn_api):
    fashn_api.moderate_next(1)
    job_id = submit(engine)

    with pytest.raises(ContentRejected) as caught:
        finished(engine, job_id)
    assert caught.value.code == "CONTENT_REJECTED"


def test_a_garment_that_does_not_load_is_a_product_image_fetch_failure(engine):
    job_id = submit(engine, garment=b"<html>not an image</html>")

    with pytest.raises(ProductImageFetchFailed) as caught:
        finished(engine, job_id)
    assert caught.value.code == "PRODUCT_IMAGE_FETCH_FAILED"


def test_a_person_photo_that_does_not_load_is_person_image_invalid(engine):
    job_id = submit(engine, person=b"\xff\xd8 truncated")

    with pytest.raises(PersonImageInvalid):
        finished(engine, job_id)


@pytest.mark.parametrize(
    ("name", "message", "expected", "code"),
    [
        ("PoseError", "Unable to detect body pose", PersonImageInvalid, "PERSON_IMAGE_INVALID"),
        ("ImageLoadError", "Error loading product image: 404", ProductImageFetchFailed, None),
        ("ImageLoadError", "Error loading model image: bad", PersonImageInvalid, None),
        # Retryable by FASHN's docs: a new prediction may succeed.
        ("PipelineError", "Unexpected failure", EngineJobFailed, "ENGINE_ERROR"),
        ("ThirdPartyError", "Captioning refused", EngineJobFailed, "ENGINE_ERROR"),
        ("3rdPartyProviderError", "Upstream failed", EngineJobFailed, "ENGINE_ERROR"),
        ("InternalServerError", "Oops", EngineJobFailed, "ENGINE_ERROR"),
        ("SomethingNew", "", EngineError, "ENGINE_ERROR"),
        # tryon-v1.5's name for a moderation refusal: not a v1.6 name, so nothing special.
        ("NSFWError", "", EngineError, "ENGINE_ERROR"),
    ],
)
def test_runtime_errors_map_by_name(engine, fashn_api, name, message, expected, code):
    fashn_api.fail_next(1, name, message)
    job_id = submit(engine)

    with pytest.raises(EngineError) as caught:
        finished(engine, job_id)
    assert type(caught.value) is expected
    assert caught.value.code == (code or expected.code)
    assert not isinstance(caught.value, EngineUnavailable)


def test_an_unknown_prediction_is_an_engine_error(engine):
    with pytest.raises(EngineError) as caught:
        engine.poll(job_id="no-such-prediction")
    assert type(caught.value) is EngineError


# --- HTTP failures ------------------------------------------------------------------------
def test_a_429_with_retry_after_is_unavailable_for_that_long(engine, fashn_api):
    fashn_api.http_error_next(1, 429, retry_after="7")

    with pytest.raises(EngineUnavailable) as caught:
        submit(engine)
    assert caught.value.retry_after == 7.0
    assert caught.value.code == "ENGINE_UNAVAILABLE"


def test_being_out_of_credits_fails_fast_and_alerts_the_operator(engine, fashn_api, caplog):
    fashn_api.http_error_next(1, 429, error="OutOfCredits")

    with pytest.raises(EngineOutOfCredits) as caught:
        submit(engine)
    assert not isinstance(caught.value, EngineUnavailable)
    assert caught.value.outage  # counts toward the circuit breaker: the next engine takes over
    assert any("credits" in note for note in caught.value.__notes__)
    alerts = [r for r in caplog.records if r.levelname == "CRITICAL"]
    assert alerts and "out of API credits" in alerts[0].getMessage()


def test_a_concurrency_limit_is_capacity_not_an_outage(engine, fashn_api):
    fashn_api.http_error_next(1, 429, retry_after="2", error="ConcurrencyLimitExceeded")

    with pytest.raises(EngineAtCapacity) as caught:
        submit(engine)
    assert caught.value.retry_after == 2.0
    assert not caught.value.outage


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_is_unavailable(engine, fashn_api, status):
    job_id = submit(engine)
    fashn_api.http_error_next(1, status)

    with pytest.raises(EngineUnavailable):
        engine.poll(job_id=job_id)
    assert finished(engine, job_id).state == "completed"  # the next poll goes through


def test_a_slow_answer_times_out_as_unavailable(fashn_api, settings):
    settings.FASHN_TIMEOUT = 0.2
    fashn_api.slow_next(1, 3.0)
    started = time.monotonic()

    with pytest.raises(EngineUnavailable):
        submit(FashnEngine())
    assert time.monotonic() - started < 1.5


def test_an_unreachable_api_is_unavailable(settings):
    settings.FASHN_API_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    settings.FASHN_API_KEY = "fa-key"

    with pytest.raises(EngineUnavailable):
        submit(FashnEngine())


def test_malformed_json_is_an_engine_error(engine, fashn_api):
    fashn_api.malformed_next(1)

    with pytest.raises(EngineError) as caught:
        submit(engine)
    assert type(caught.value) is EngineError
    assert caught.value.code == "ENGINE_ERROR"


def test_an_oversized_answer_is_an_engine_error(engine, fashn_api):
    job_id = submit(engine)
    fashn_api.oversized_next(1)

    with pytest.raises(EngineError) as caught:
        engine.poll(job_id=job_id)
    assert type(caught.value) is EngineError


def test_a_wrong_key_is_an_engine_error_that_is_not_retried(fashn_api, settings):
    settings.FASHN_API_KEY = "fa-wrong-key"

    with pytest.raises(EngineMisconfigured) as caught:
        submit(FashnEngine())
    assert not isinstance(caught.value, EngineUnavailable)
    assert any("FASHN_API_KEY" in note for note in caught.value.__notes__)
    assert "fa-wrong-key" not in str(caught.value) + "".join(caught.value.__notes__)


def test_a_request_fashn_rejects_as_invalid_is_an_engine_error(fashn_api, settings):
    settings.FASHN_MODEL_NAME = "tryon-v0"

    with pytest.raises(EngineError) as caught:
        submit(FashnEngine())
    assert type(caught.value) is EngineError
    answer = requests.post(
        f"{fashn_api.base_url}/v1/run",
        json={"model_name": "tryon-v0", "inputs": {}},
        headers={"Authorization": f"Bearer {fashn_api.api_key}"},
        timeout=5,
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "BadRequest"


# --- webhooks -----------------------------------------------------------------------------
def test_the_webhook_reports_the_completed_prediction(engine, fashn_api, webhook_sink):
    job_id = submit(engine, webhook_url=webhook_sink.url)

    path, _, body = webhook_sink.wait_for(1)[0]
    reported_id, outcome = prediction_outcome(json.loads(body))

    assert path == "/webhooks/fashn"
    assert reported_id == job_id
    assert outcome.state == "completed"
    assert Image.open(io.BytesIO(outcome.result_bytes)).format == "JPEG"


def test_a_failed_prediction_webhook_returns_the_error_without_raising(
    engine, fashn_api, webhook_sink
):
    fashn_api.moderate_next(1)
    job_id = submit(engine, webhook_url=webhook_sink.url)

    _, _, body = webhook_sink.wait_for(1)[0]

    assert json.loads(body)["error"]["name"] == "ContentModerationError"
    reported_id, outcome = prediction_outcome(json.loads(body))
    assert reported_id == job_id
    assert isinstance(outcome, ContentRejected)


def test_a_duplicate_webhook_reads_the_same(engine, fashn_api, webhook_sink):
    job_id = submit(engine, webhook_url=webhook_sink.url)
    webhook_sink.wait_for(1)

    fashn_api.deliver(job_id, times=2)
    deliveries = webhook_sink.wait_for(3)

    outcomes = {prediction_outcome(json.loads(body)) for _, _, body in deliveries}
    assert len(outcomes) == 1


def test_webhooks_out_of_order_each_name_their_prediction(engine, fashn_api, webhook_sink):
    fashn_api.deliver_webhooks = False
    first = submit(engine, webhook_url=webhook_sink.url)
    second = submit(engine, webhook_url=webhook_sink.url)

    fashn_api.deliver(second, first)
    ids = [prediction_outcome(json.loads(body))[0] for _, _, body in webhook_sink.wait_for(2)]

    assert ids == [second, first]


def test_an_unanswered_webhook_is_retried(engine, fashn_api, webhook_sink):
    webhook_sink.answers = [500]
    job_id = submit(engine, webhook_url=webhook_sink.url)

    webhook_sink.wait_for(2)
    deadline = time.monotonic() + 3  # the emulator records a delivery once it is answered
    while len(fashn_api.deliveries) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [d["status"] for d in fashn_api.deliveries if d["id"] == job_id] == [500, 200]


@pytest.mark.parametrize(
    ("status", "expected"), [("canceled", EngineTimeout), ("time_out", EngineTimeout)]
)
def test_a_stopped_prediction_is_a_timeout(status, expected):
    payload = {"id": "p-1", "status": status, "error": None}

    assert isinstance(prediction_outcome(payload)[1], expected)


@pytest.mark.parametrize("payload", [[], {"id": "p-1"}, {"status": "completed"}])
def test_a_status_that_is_not_a_prediction_raises(payload):
    with pytest.raises(EngineError):
        prediction_outcome(payload)


def test_a_forged_webhook_token_is_refused(settings):
    settings.ENGINE_WEBHOOK_SECRET = "webhook-secret"
    token = webhook_token("generation-1")

    assert webhook_token_valid("generation-1", token)
    assert not webhook_token_valid("generation-2", token)
    assert not webhook_token_valid("generation-1", token[:-1] + ("0" if token[-1] != "0" else "1"))
    settings.ENGINE_WEBHOOK_SECRET = "another-secret"
    assert not webhook_token_valid("generation-1", token)
