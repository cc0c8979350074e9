"""A loopback emulator of FASHN's prediction API (https://docs.fashn.ai), and its fixture.

- `POST /v1/run` (bearer key; `{"model_name", "inputs"}`; `?webhook_url=`) answers
  `{"id", "error": null}`, or 400 `{"error": "BadRequest", "message"}` for a body that breaks
  the documented schema, or 401 `{"error": "UnauthorizedAccess", ...}`.
- `GET /v1/status/{id}` answers `in_queue`, then `processing`, then `completed` (`output`: CDN
  URLs, or data URIs with `return_base64`) or `failed` (`error: {"name", "message"}`), by the
  time elapsed since the run: nothing sleeps. An input image that does not decode fails the
  prediction with `ImageLoadError` ("Error loading garment image: ..."), as FASHN does.
- `GET /cdn/{id}/output_{n}.{png|jpeg}` serves the result: the person photo with a rectangle in
  the garment's colour over the torso. It answers 403 once `result_url_ttl` has passed.
- Webhooks: the terminal payload is POSTed to `webhook_url` after the latency (retried on
  non-2xx, like FASHN); `deliver(...)` sends more, duplicated or in any order.
- Limits, when set: `max_concurrent` predictions at once (a run above it answers 429
  `ConcurrencyLimitExceeded`), and `status_limit` = (calls, seconds) for `/v1/status` (429
  `RateLimitExceeded` above it), as FASHN documents per API key. `most_in_flight` and the
  `*_refusals` counters record what a client did.

Only base64 data URIs are accepted as input images (the emulator fetches nothing).
"""

import base64
import binascii
import io
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from PIL import Image, ImageDraw, ImageStat

from tests.emulators.loopback import LoopbackEmulator

IMAGE_FIELDS = {
    "tryon-v1.6": ("model_image", "garment_image"),
    "tryon-max": ("model_image", "product_image"),
}
ENUMS = {
    "category": ("auto", "tops", "bottoms", "one-pieces"),
    "mode": ("performance", "balanced", "quality"),
    "garment_photo_type": ("auto", "flat-lay", "model"),
    "moderation_level": ("conservative", "permissive", "none"),
    "output_format": ("png", "jpeg"),
}
ERROR_NAMES = {
    400: "BadRequest",
    401: "UnauthorizedAccess",
    404: "NotFound",
    429: "RateLimitExceeded",
}
_DATA_URI = re.compile(r"^data:image/[a-z0-9.+-]+;base64,(?P<data>.*)$", re.DOTALL)
_STATUS = re.compile(r"^/v1/status/(?P<id>[^/]+)$")
_CDN = re.compile(r"^/cdn/(?P<id>[^/]+)/output_(?P<n>\d+)\.(?P<ext>png|jpeg)$")


@dataclass
class Prediction:
    id: str
    inputs: dict[str, Any]
    created: float
    latency: float
    webhook_url: str | None
    failure: tuple[str, str] | None  # (error name, message), decided when it is run
    person: Image.Image | None
    garment: Image.Image | None
    _results: dict[str, bytes] = field(default_factory=dict)

    @property
    def done_at(self) -> float:
        return self.created + self.latency


class FashnEmulator(LoopbackEmulator):
    """FASHN on 127.0.0.1: `start()` binds a free port; switches below script its failures."""

    def __init__(self, api_key: str | None = None) -> None:
        super().__init__()
        self.api_key = api_key or f"fa-test-{secrets.token_hex(8)}"
        self.latency = 10.0  # seconds from run to a terminal status
        self.result_url_ttl = 72 * 3600.0  # FASHN keeps CDN outputs for 72 hours
        self.deliver_webhooks = True
        self.webhook_retries = 5
        self.webhook_retry_delay = 0.05
        self.runs = 0
        self.status_calls = 0
        self.run_requests: list[dict[str, Any]] = []  # {"query", "headers", "body"} of each run
        self.deliveries: list[dict[str, Any]] = []  # {"id", "url", "status"} of each webhook POST
        self.predictions: dict[str, Prediction] = {}
        self.max_concurrent: int | None = None
        self.status_limit: tuple[int, float] | None = None
        self.most_in_flight = 0
        self.concurrency_refusals = 0
        self.status_refusals = 0
        self._status_times: list[float] = []
        self._http: list[tuple[str, dict[str, Any]]] = []  # behaviours for the next API calls
        self._failures: list[tuple[str, str]] = []  # runtime failures for the next predictions
        self._lock = threading.Lock()

    # --- lifecycle (start, stop, base_url: LoopbackEmulator; stop() also wakes slow answers
    # and pending webhook deliveries, which wait on `_stopping`) ----------------------------

    # --- switches -------------------------------------------------------------------------
    def moderate_next(self, n: int = 1) -> None:
        """The next n predictions fail with ContentModerationError."""
        self.fail_next(n, "ContentModerationError", "Prohibited content detected in model image")

    def fail_next(self, n: int, error_name: str, message: str = "") -> None:
        """The next n predictions fail at runtime with this error name and message."""
        with self._lock:
            self._failures.extend([(error_name, message)] * n)

    def http_error_next(
        self, n: int, status: int, retry_after: str | None = None, error: str | None = None
    ) -> None:
        """The next n API calls answer this HTTP status (error name from FASHN's table)."""
        name = error or ERROR_NAMES.get(status, "InternalServerError")
        self._queue("http_error", n, status=status, retry_after=retry_after, name=name)

    def malformed_next(self, n: int = 1) -> None:
        """The next n API calls answer 200 with an HTML page."""
        self._queue("malformed", n)

    def slow_next(self, n: int, seconds: float) -> None:
        """The next n API calls wait `seconds` before answering (normally)."""
        self._queue("slow", n, seconds=seconds)

    def oversized_next(self, n: int = 1) -> None:
        """The next n API calls answer 200 with a 21 MB body of no declared length."""
        self._queue("oversized", n)

    def _queue(self, behaviour: str, n: int, **options: Any) -> None:
        with self._lock:
            self._http.extend([(behaviour, options)] * n)

    # --- webhooks -------------------------------------------------------------------------
    def deliver(self, *ids: str, times: int = 1, url: str | None = None) -> list[int | None]:
        """POST the terminal payload of each prediction now, in the order given, `times` times
        each (duplicates, out-of-order or early deliveries); returns the HTTP statuses."""
        statuses = []
        for job_id in ids:
            prediction = self.predictions[job_id]
            target = url or prediction.webhook_url
            assert target, f"prediction {job_id} has no webhook_url"
            statuses += [self._post_webhook(prediction, target) for _ in range(times)]
        return statuses

    def _deliver_later(self, prediction: Prediction) -> None:
        if self._stopping.wait(prediction.latency) or not self.deliver_webhooks:
            return
        for attempt in range(1 + self.webhook_retries):
            status = self._post_webhook(prediction, prediction.webhook_url or "")
            if status is not None and 200 <= status < 300:
                return
            if attempt < self.webhook_retries and self._stopping.wait(self.webhook_retry_delay):
                return

    def _post_webhook(self, prediction: Prediction, url: str) -> int | None:
        body = json.dumps(self.terminal_payload(prediction))
        try:
            status: int | None = requests.post(
                url, data=body, headers={"Content-Type": "application/json"}, timeout=5
            ).status_code
        except requests.RequestException:
            status = None
        with self._lock:
            self.deliveries.append({"id": prediction.id, "url": url, "status": status})
        return status

    # --- the API --------------------------------------------------------------------------
    def take_behaviour(self) -> tuple[str, dict[str, Any]]:
        with self._lock:
            return self._http.pop(0) if self._http else ("", {})

    def run(self, query: dict[str, str], body: Any) -> tuple[int, dict[str, Any]]:
        problem = _schema_problem(body, query)
        if problem:
            return 400, {"error": "BadRequest", "message": problem}
        model_field, garment_field = IMAGE_FIELDS[body["model_name"]]
        inputs = body["inputs"]
        person, person_error = _decode(inputs[model_field])
        garment, garment_error = _decode(inputs[garment_field])
        with self._lock:
            now = time.monotonic()
            running = sum(1 for p in self.predictions.values() if p.done_at > now)
            if self.max_concurrent is not None and running >= self.max_concurrent:
                self.concurrency_refusals += 1
                return 429, {
                    "error": "ConcurrencyLimitExceeded",
                    "message": f"Concurrency limit of {self.max_concurrent} reached",
                }
            self.most_in_flight = max(self.most_in_flight, running + 1)
            failure = self._failures.pop(0) if self._failures else None
        if failure is None and person_error:
            failure = ("ImageLoadError", f"Error loading model image: {person_error}")
        if failure is None and garment_error:
            failure = ("ImageLoadError", f"Error loading garment image: {garment_error}")
        prediction = Prediction(
            id=f"{secrets.token_hex(4)}-{secrets.token_hex(2)}-{secrets.token_hex(6)}-u1",
            inputs=inputs,
            created=time.monotonic(),
            latency=self.latency,
            webhook_url=query.get("webhook_url"),
            failure=failure,
            person=person,
            garment=garment,
        )
        with self._lock:
            self.predictions[prediction.id] = prediction
        if prediction.webhook_url:
            threading.Thread(target=self._deliver_later, args=(prediction,), daemon=True).start()
        return 200, {"id": prediction.id, "error": None}

    def in_flight(self) -> int:
        """Predictions accepted and not yet finished, now."""
        now = time.monotonic()
        with self._lock:
            return sum(1 for p in self.predictions.values() if p.done_at > now)

    def status(self, job_id: str) -> tuple[int, dict[str, Any]]:
        if self.status_limit is not None:
            calls, seconds = self.status_limit
            with self._lock:
                now = time.monotonic()
                self._status_times = [t for t in self._status_times if t > now - seconds]
                if len(self._status_times) >= calls:
                    self.status_refusals += 1
                    return 429, {"error": "RateLimitExceeded", "message": "Too many requests"}
                self._status_times.append(now)
        prediction = self.predictions.get(job_id)
        if prediction is None:
            return 404, {"error": "NotFound", "message": f"Prediction {job_id} not found"}
        elapsed = time.monotonic() - prediction.created
        if elapsed < prediction.latency:
            state = "in_queue" if elapsed < prediction.latency / 3 else "processing"
            return 200, {"id": job_id, "status": state, "error": None}
        return 200, self.terminal_payload(prediction)

    def terminal_payload(self, prediction: Prediction) -> dict[str, Any]:
        if prediction.failure:
            name, message = prediction.failure
            return {
                "id": prediction.id,
                "status": "failed",
                "error": {"name": name, "message": message},
            }
        ext = prediction.inputs.get("output_format", "png")
        samples = range(prediction.inputs.get("num_samples", 1))
        if prediction.inputs.get("return_base64"):
            content = base64.b64encode(self.result(prediction, ext)).decode()
            output = [f"data:image/{ext};base64,{content}" for _ in samples]
        else:
            output = [f"{self.base_url}/cdn/{prediction.id}/output_{n}.{ext}" for n in samples]
        return {"id": prediction.id, "status": "completed", "output": output, "error": None}

    def cdn(self, job_id: str, ext: str) -> tuple[int, str, bytes]:
        prediction = self.predictions.get(job_id)
        now = time.monotonic()
        if prediction is None or prediction.failure or now < prediction.done_at:
            return 404, "text/plain", b"Not Found"
        if now > prediction.done_at + self.result_url_ttl:
            return 403, "text/plain", b"Request has expired"
        return 200, f"image/{ext}", self.result(prediction, ext)

    @staticmethod
    def garment_colour(garment: Image.Image | None) -> tuple[int, int, int]:
        """The mean colour of the garment's opaque pixels (magenta if there are none)."""
        if garment is None:
            return (255, 0, 255)
        rgba = garment.convert("RGBA")
        mask = rgba.getchannel("A").point(lambda alpha: 255 if alpha > 128 else 0)
        if mask.getbbox() is None:
            return (255, 0, 255)
        red, green, blue = ImageStat.Stat(rgba.convert("RGB"), mask).mean
        return round(red), round(green), round(blue)

    def result(self, prediction: Prediction, ext: str) -> bytes:
        """The try-on: the person with a garment-coloured rectangle over the torso."""
        with self._lock:
            if ext not in prediction._results:
                assert prediction.person is not None
                image = prediction.person.convert("RGB")
                width, height = image.size
                box = (width * 0.3, height * 0.45, width * 0.7, height * 0.85)
                ImageDraw.Draw(image).rectangle(box, fill=self.garment_colour(prediction.garment))
                out = io.BytesIO()
                image.save(out, format="PNG" if ext == "png" else "JPEG", quality=90)
                prediction._results[ext] = out.getvalue()
            return prediction._results[ext]


def _schema_problem(body: Any, query: dict[str, str]) -> str:
    """What makes a /v1/run body invalid per the documented schema ("" if nothing)."""
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), dict):
        return "Request body must be a JSON object with model_name and inputs"
    if body.get("model_name") not in IMAGE_FIELDS:
        return f"Invalid model_name: {str(body.get('model_name'))[:40]}"
    inputs = body["inputs"]
    for name in IMAGE_FIELDS[body["model_name"]]:
        if not isinstance(inputs.get(name), str) or not inputs[name]:
            return f"inputs.{name} is required"
    for name, allowed in ENUMS.items():
        if name in inputs and inputs[name] not in allowed:
            return f"inputs.{name} must be one of {', '.join(allowed)}"
    if "return_base64" in inputs and not isinstance(inputs["return_base64"], bool):
        return "inputs.return_base64 must be a boolean"
    samples = inputs.get("num_samples", 1)
    if not isinstance(samples, int) or isinstance(samples, bool) or not 1 <= samples <= 4:
        return "inputs.num_samples must be an integer from 1 to 4"
    webhook = query.get("webhook_url")
    if webhook is not None and urlsplit(webhook).scheme not in ("http", "https"):
        return "webhook_url must be an http(s) URL"
    return ""


def _decode(value: str) -> tuple[Image.Image | None, str]:
    """(image, "") for a data URI of a decodable image, else (None, why)."""
    match = _DATA_URI.match(value)
    if match is None:
        return None, "Expected a base64 data URI (data:image/<format>;base64,...)"
    try:
        with Image.open(io.BytesIO(base64.b64decode(match["data"], validate=True))) as image:
            image.load()
            return image.copy(), ""
    except (binascii.Error, ValueError, OSError):
        return None, "The data URI is not a readable image"


class _Handler(BaseHTTPRequestHandler):
    server_version = "FashnEmulator/1"

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        emulator: FashnEmulator = self.server.emulator  # type: ignore[attr-defined]
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        cdn = _CDN.match(url.path)
        if method == "GET" and cdn:
            self._send(*emulator.cdn(cdn["id"], cdn["ext"]))
            return
        status_match = _STATUS.match(url.path)
        is_run = method == "POST" and url.path == "/v1/run"
        if not is_run and not (method == "GET" and status_match):
            self._json(404, {"error": "NotFound", "message": "Not Found"})
            return
        with emulator._lock:
            if is_run:
                emulator.runs += 1
            else:
                emulator.status_calls += 1
        if self._misbehave(emulator):
            return
        if self.headers.get("Authorization") != f"Bearer {emulator.api_key}":
            self._json(
                401, {"error": "UnauthorizedAccess", "message": "Unauthorized: Invalid token"}
            )
            return
        if status_match:
            self._json(*emulator.status(status_match["id"]))
            return
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        with emulator._lock:
            emulator.run_requests.append(
                {"query": query, "headers": dict(self.headers), "body": payload}
            )
        self._json(*emulator.run(query, payload))

    def _misbehave(self, emulator: FashnEmulator) -> bool:
        """Apply the next scripted behaviour; True when it has answered the call."""
        name, options = emulator.take_behaviour()
        if name == "slow":
            emulator._stopping.wait(options["seconds"])
        elif name == "http_error":
            headers = {"Retry-After": options["retry_after"]} if options["retry_after"] else {}
            if options["status"] in (502, 503, 504):  # from the edge proxy, not the API
                self._send(options["status"], "text/html", b"<html>Bad gateway</html>", headers)
            else:
                message = {"error": options["name"], "message": f"{options['name']} (emulated)"}
                self._json(options["status"], message, headers)
            return True
        elif name == "malformed":
            self._send(200, "text/html", b"<html><body>Oops</body></html>")
            return True
        elif name == "oversized":
            self._send(
                200, "application/json", b'{"id": "' + b"x" * (21 * 1024 * 1024), length=False
            )
            return True
        return False

    def _json(
        self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        self._send(status, "application/json", json.dumps(payload).encode(), headers)

    def _send(
        self,
        status: int,
        content_type: str,
        payload: bytes,
        headers: dict[str, str] | None = None,
        length: bool = True,
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if length:
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout or a size cap under test)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet


FashnEmulator.handler_class = _Handler


@pytest.fixture
def fashn_api(settings) -> Iterator[FashnEmulator]:
    """A running FASHN emulator (latency 0.2 s); settings.FASHN_API_URL / _KEY point at it."""
    emulator = FashnEmulator().start()
    emulator.latency = 0.2
    settings.FASHN_API_URL = emulator.base_url
    settings.FASHN_API_KEY = emulator.api_key
    try:
        yield emulator
    finally:
        emulator.stop()
