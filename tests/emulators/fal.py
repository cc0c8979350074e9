"""A loopback emulator of fal.ai's queue API (https://docs.fal.ai, "Queue", "Webhooks",
"Model Errors", "Request Error Types"), for the two try-on models we use, and its fixture.

- `POST /{model_id}` (`Authorization: Key …`; `?fal_webhook=`) answers `{"request_id",
  "gateway_request_id", "response_url", "status_url", "cancel_url", "queue_position"}`, or
  422 `{"detail": [{"loc", "msg", "type"}]}` for a body that breaks the model's schema, or
  401 for a missing or wrong key.
- `GET /{app}/requests/{id}/status`, where `app` is the model id without its subpath (fal
  404s the full path there): 202 `IN_QUEUE` (with `queue_position`), then 202 `IN_PROGRESS`,
  then 200 `COMPLETED`, by the time elapsed since submission: nothing sleeps.
- `GET /{app}/requests/{id}`: 400 while the request runs; then the model's output
  (`{"image": {...}}` for Kling, `{"images": [...]}` for FASHN v1.6; a data URI with
  `sync_mode`, else a URL on this emulator's `/files/`), or the error the request ended with:
  a model error (422, typed `detail` list) or a request error (504/503 `{"detail",
  "error_type"}` and `X-Fal-Error-Type`).
- Webhooks: `{"request_id", "gateway_request_id", "status": "OK" | "ERROR", "payload",
  "error"}` is POSTed to `fal_webhook` when the request ends (retried on non-2xx).
- fal never refuses for concurrency (what is over the account's limit waits IN_QUEUE):
  `max_concurrent` keeps requests queued while that many run. `http_error_next` scripts
  throttling (429) and outages (5xx) of the API itself.
"""

import base64
import io
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from PIL import Image, ImageDraw

from tests.emulators.fashn import FashnEmulator, _decode
from tests.emulators.loopback import LoopbackEmulator

KLING = "fal-ai/kling/v1-5/kolors-virtual-try-on"
FASHN_ON_FAL = "fal-ai/fashn/tryon/v1.6"
IMAGE_FIELDS = {
    KLING: ("human_image_url", "garment_image_url"),
    FASHN_ON_FAL: ("model_image", "garment_image"),
}
CATEGORIES = ("auto", "tops", "bottoms", "one-pieces")
REQUEST_ERRORS = {  # error_type -> HTTP status (docs "Request Error Types")
    "request_timeout": 504,
    "runner_scheduling_failure": 503,
    "runner_disconnected": 503,
    "runner_server_error": 500,
}
_STATUS = re.compile(r"^/(?P<app>[^/]+/[^/]+)/requests/(?P<id>[^/]+)(?P<status>/status)?$")
_FILE = re.compile(r"^/files/(?P<id>[^/]+)\.png$")


@dataclass
class QueuedRequest:
    id: str
    model: str
    inputs: dict[str, Any]
    created: float
    latency: float
    webhook_url: str | None
    failure: tuple[str, str, list] | None  # (kind, message, loc)
    person: Image.Image | None
    garment: Image.Image | None
    started: float | None = None

    def started_at(self) -> float:
        return self.started if self.started is not None else self.created


class FalEmulator(LoopbackEmulator):
    """fal's queue on 127.0.0.1: `start()` binds a free port; switches script failures."""

    def __init__(self, key: str | None = None) -> None:
        super().__init__()
        self.key = key or f"fal-test-{secrets.token_hex(8)}"
        self.latency = 10.0
        self.max_concurrent: int | None = None
        self.deliver_webhooks = True
        self.submits = 0
        self.status_calls = 0
        self.submit_requests: list[dict[str, Any]] = []  # {"path", "query", "headers", "body"}
        self.deliveries: list[dict[str, Any]] = []
        self.requests: dict[str, QueuedRequest] = {}
        self._http: list[tuple[int, str | None]] = []
        self._failures: list[tuple[str, str, list]] = []
        self._lock = threading.Lock()

    # --- switches -------------------------------------------------------------------------
    def fail_next(self, n: int, kind: str, message: str = "", loc: list | None = None) -> None:
        """The next n requests end with this model error type (422) or request error type
        (`request_timeout`, `runner_…`: 5xx)."""
        with self._lock:
            self._failures.extend([(kind, message or kind, loc or ["body"])] * n)

    def http_error_next(self, n: int, status: int, retry_after: str | None = None) -> None:
        """The next n API calls answer this HTTP status."""
        with self._lock:
            self._http.extend([(status, retry_after)] * n)

    # --- the API --------------------------------------------------------------------------
    def submit(self, model: str, query: dict[str, str], body: Any) -> tuple[int, dict]:
        problems = _schema_problems(model, body)
        if problems:
            return 422, {"detail": problems}
        person_field, garment_field = IMAGE_FIELDS[model]
        person, _ = _decode(body[person_field])
        garment, _ = _decode(body[garment_field])
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure is None and person is None:
            failure = ("image_load_error", "Could not load the image", ["body", person_field])
        if failure is None and garment is None:
            failure = ("image_load_error", "Could not load the image", ["body", garment_field])
        request = QueuedRequest(
            id=f"{secrets.token_hex(4)}-{secrets.token_hex(2)}-{secrets.token_hex(6)}",
            model=model,
            inputs=body,
            created=time.monotonic(),
            latency=self.latency,
            webhook_url=query.get("fal_webhook"),
            failure=failure,
            person=person,
            garment=garment,
        )
        with self._lock:
            self.requests[request.id] = request
        if request.webhook_url:
            threading.Thread(target=self._deliver_later, args=(request,), daemon=True).start()
        app = "/".join(model.split("/")[:2])
        base = f"{self.base_url}/{app}/requests/{request.id}"
        return 200, {
            "request_id": request.id,
            "gateway_request_id": request.id,
            "response_url": base,
            "status_url": f"{base}/status",
            "cancel_url": f"{base}/cancel",
            "queue_position": self._position(request),
        }

    def _state(self, request: QueuedRequest) -> str:
        """IN_QUEUE for the first third of the latency (or while `max_concurrent` run), then
        IN_PROGRESS for the rest, then COMPLETED. Worked out when asked: nothing sleeps."""
        now, run_for = time.monotonic(), request.latency * 2 / 3
        with self._lock:
            if request.started is None and now - request.created >= request.latency / 3:
                running = sum(
                    1
                    for other in self.requests.values()
                    if other.started is not None and other.started + run_for > now
                )
                if self.max_concurrent is None:
                    request.started = request.created + request.latency / 3
                elif running < self.max_concurrent:
                    request.started = now
            if request.started is None:
                return "IN_QUEUE"
            return "IN_PROGRESS" if now < request.started + run_for else "COMPLETED"

    def _position(self, request: QueuedRequest) -> int:
        with self._lock:
            return sum(
                1
                for other in self.requests.values()
                if other.started is None and other.created < request.created
            )

    def status(self, app: str, request_id: str) -> tuple[int, dict]:
        request = self.requests.get(request_id)
        if request is None or "/".join(request.model.split("/")[:2]) != app:
            return 404, {"detail": "Request not found"}
        state = self._state(request)
        response_url = f"{self.base_url}/{app}/requests/{request_id}"
        if state == "IN_QUEUE":
            position = self._position(request)
            return 202, {"status": state, "queue_position": position, "response_url": response_url}
        if state == "IN_PROGRESS":
            return 202, {"status": state, "response_url": response_url, "logs": None}
        return 200, {
            "status": state,
            "response_url": response_url,
            "logs": None,
            "metrics": {"inference_time": request.latency * 2 / 3},
        }

    def result(self, app: str, request_id: str) -> tuple[int, dict, dict[str, str]]:
        request = self.requests.get(request_id)
        if request is None or "/".join(request.model.split("/")[:2]) != app:
            return 404, {"detail": "Request not found"}, {}
        if self._state(request) != "COMPLETED":
            return 400, {"detail": "Request is still in progress"}, {}
        return self.outcome(request)

    def outcome(self, request: QueuedRequest) -> tuple[int, dict, dict[str, str]]:
        if request.failure:
            kind, message, loc = request.failure
            if kind in REQUEST_ERRORS:
                body = {"detail": message, "error_type": kind}
                return REQUEST_ERRORS[kind], body, {"X-Fal-Error-Type": kind}
            return 422, {"detail": [{"loc": loc, "msg": message, "type": kind}]}, {}
        image = self.image_file(request)
        if request.model == KLING:
            return 200, {"image": image}, {}
        return 200, {"images": [image]}, {}

    def image_file(self, request: QueuedRequest) -> dict[str, Any]:
        content = self.render(request)
        if request.inputs.get("sync_mode"):
            url = f"data:image/png;base64,{base64.b64encode(content).decode()}"
        else:
            url = f"{self.base_url}/files/{request.id}.png"
        width, height = request.person.size if request.person else (0, 0)
        return {
            "url": url,
            "content_type": "image/png",
            "file_name": f"{request.id}.png",
            "file_size": len(content),
            "width": width,
            "height": height,
        }

    def render(self, request: QueuedRequest) -> bytes:
        assert request.person is not None
        image = request.person.convert("RGB")
        width, height = image.size
        box = (width * 0.3, height * 0.45, width * 0.7, height * 0.85)
        ImageDraw.Draw(image).rectangle(box, fill=FashnEmulator.garment_colour(request.garment))
        out = io.BytesIO()
        image.save(out, format="PNG")
        return out.getvalue()

    # --- webhooks -------------------------------------------------------------------------
    def webhook_payload(self, request: QueuedRequest) -> dict[str, Any]:
        status, body, _ = self.outcome(request)
        ok = status == 200
        return {
            "request_id": request.id,
            "gateway_request_id": request.id,
            "status": "OK" if ok else "ERROR",
            "payload": body if ok else {"detail": body.get("detail")},
            "error": None if ok else f"Invalid status code: {status}",
        }

    def _deliver_later(self, request: QueuedRequest) -> None:
        while not self._stopping.wait(0.05):
            if self._state(request) == "COMPLETED":
                break
        if self._stopping.is_set() or not self.deliver_webhooks or not request.webhook_url:
            return
        for _ in range(3):
            try:
                status: int | None = requests.post(
                    request.webhook_url, json=self.webhook_payload(request), timeout=5
                ).status_code
            except requests.RequestException:
                status = None
            with self._lock:
                self.deliveries.append({"id": request.id, "status": status})
            if status is not None and 200 <= status < 300:
                return
            if self._stopping.wait(0.05):
                return


def _schema_problems(model: str, body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict):
        return [{"loc": ["body"], "msg": "Input should be an object", "type": "model_type"}]
    problems = [
        {"loc": ["body", field], "msg": "Field required", "type": "missing"}
        for field in IMAGE_FIELDS[model]
        if not isinstance(body.get(field), str) or not body[field]
    ]
    if model == FASHN_ON_FAL and body.get("category", "auto") not in CATEGORIES:
        problems.append(
            {"loc": ["body", "category"], "msg": "Input should be a known category", "type": "enum"}
        )
    return problems


class _Handler(BaseHTTPRequestHandler):
    server_version = "FalEmulator/1"

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        emulator: FalEmulator = self.server.emulator  # type: ignore[attr-defined]
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        file_match = _FILE.match(url.path)
        if method == "GET" and file_match:
            request = emulator.requests.get(file_match["id"])
            if request is None or request.failure or emulator._state(request) != "COMPLETED":
                self._send(404, "text/plain", b"Not Found")
            else:
                self._send(200, "image/png", emulator.render(request))
            return
        with emulator._lock:
            scripted = emulator._http.pop(0) if emulator._http else None
        if scripted:
            status, retry_after = scripted
            headers = {"Retry-After": retry_after} if retry_after else {}
            self._json(status, {"detail": f"HTTP {status} (emulated)"}, headers)
            return
        if self.headers.get("Authorization") != f"Key {emulator.key}":
            self._json(401, {"detail": "Invalid API key"})
            return
        if method == "POST":
            model = url.path.strip("/")
            if model not in IMAGE_FIELDS:
                self._json(404, {"detail": "Application not found"})
                return
            query = {key: values[0] for key, values in parse_qs(url.query).items()}
            try:
                payload = json.loads(body)
            except ValueError:
                payload = None
            with emulator._lock:
                emulator.submits += 1
                emulator.submit_requests.append(
                    {
                        "path": url.path,
                        "query": query,
                        "headers": dict(self.headers),
                        "body": payload,
                    }
                )
            self._json(*emulator.submit(model, query, payload))
            return
        match = _STATUS.match(url.path)
        if match is None:
            self._json(404, {"detail": "Not Found"})
        elif match["status"]:
            with emulator._lock:
                emulator.status_calls += 1
            self._json(*emulator.status(match["app"], match["id"]))
        else:
            status, payload, headers = emulator.result(match["app"], match["id"])
            self._json(status, payload, headers)

    def _json(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
        self._send(status, "application/json", json.dumps(payload).encode(), headers)

    def _send(
        self, status: int, content_type: str, payload: bytes, headers: dict | None = None
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass


FalEmulator.handler_class = _Handler


@pytest.fixture
def fal_api(settings) -> Iterator[FalEmulator]:
    """A running fal queue emulator (latency 0.3 s); settings.FAL_* point at it."""
    emulator = FalEmulator().start()
    emulator.latency = 0.3
    settings.FAL_QUEUE_URL = emulator.base_url
    settings.FAL_KEY = emulator.key
    try:
        yield emulator
    finally:
        emulator.stop()
