"""A loopback emulator of Google's OAuth 2.0 token endpoint and Vertex AI Virtual Try-On.

`POST /token` is the service-account JWT bearer grant: it verifies the RS256 assertion with the
public key it was given (signature, kid, iss, scope, aud, iat/exp at most an hour apart) and
issues an opaque access token (`expires_in` = `token_lifetime`, 3599 like Google's).

`POST /v1/projects/{p}/locations/{l}/publishers/google/models/{m}:predict` (optionally behind
one leading path segment, for API URL templates like `http://host/{location}`) checks the bearer
token and the documented request, then answers `{"predictions": [{"mimeType",
"bytesBase64Encoded"}]}`: the person photo with a block of the garment's colour on the torso.
Errors use Google's `{"error": {"code", "message", "status"}}` shape. Tests queue failure modes
with `error_next`, `rai_filter_next`, `malformed_next` and `slow_next`.

The `vertex_api` fixture starts it, writes a throwaway service-account key file and points the
settings at both.
"""

from __future__ import annotations

import base64
import binascii
import functools
import io
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from PIL import Image, ImageDraw, ImageStat

from fittingroom.engines.vertex import clear_token_cache
from tests.emulators.loopback import LoopbackEmulator

SCOPE = "https://www.googleapis.com/auth/cloud-platform"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
PROJECT = "fittingroom-test"
CLIENT_EMAIL = f"tryon@{PROJECT}.iam.gserviceaccount.com"
_PREDICT = re.compile(
    r"^(?:/(?P<prefix>[^/]+))?/v1/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
    r"/publishers/google/models/(?P<model>[^/:]+):predict$"
)
_INSTANCE_KEYS = {"personImage", "productImages", "prompt"}
_PARAMETER_KEYS = {
    "addWatermark",
    "baseSteps",
    "personGeneration",
    "safetySetting",
    "sampleCount",
    "seed",
    "storageUri",
    "outputOptions",
}
_PERSON_GENERATION = {"dont_allow", "allow_adult", "allow_all"}
_SAFETY = {"block_low_and_above", "block_medium_and_above", "block_only_high", "block_none"}
_MIME_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG"}
RAI_REASON = (
    "Your current safety filter threshold filtered out the generated image. Support codes: 39322892"
)

Reply = tuple[int, dict[str, str], bytes]


class BadRequest(Exception):
    """The request is invalid: answered as 400 INVALID_ARGUMENT with this message."""


class VertexEmulator(LoopbackEmulator):
    """Serves the token and predict endpoints; `start()` binds 127.0.0.1 on a free port."""

    poll_interval = 0.005

    def __init__(self, *, public_key: Any, key_id: str, client_email: str = CLIENT_EMAIL) -> None:
        super().__init__()
        self.public_key, self.key_id, self.client_email = public_key, key_id, client_email
        self.latency = 0.0  # seconds added to every predict answer
        self.token_lifetime = 3599
        self.token_calls = 0
        self.predict_calls = 0
        self.last_token_form: dict[str, str] | None = None
        self.last_assertion_header: dict[str, Any] | None = None
        self.last_assertion_claims: dict[str, Any] | None = None
        self.last_predict_body: Any = None
        self.last_predict_path: dict[str, str | None] | None = None
        self.last_predict_token: str | None = None
        self.tokens_used: list[str] = []  # bearer token of each predict call, in order
        self._issued: dict[str, float] = {}  # access token -> expiry (time.time())
        self._pending: list[tuple[str, dict[str, Any]]] = []
        self._token_errors: list[tuple[int, str]] = []
        self._lock = threading.Lock()

    # --- lifecycle (start, stop, base_url: LoopbackEmulator) -------------------------------
    @property
    def token_uri(self) -> str:
        return f"{self.base_url}/token"

    # --- behaviours (predict only, in the order queued) -----------------------------------
    def error_next(
        self,
        n: int,
        http_status: int,
        google_status: str,
        message: str,
        retry_after: str | None = None,
    ) -> None:
        """The next n predicts answer this Google error (and Retry-After header, if given)."""
        options = {"http_status": http_status, "status": google_status, "message": message}
        self._queue("error", n, options | {"retry_after": retry_after})

    def rai_filter_next(self, n: int = 1, *, reason: str | None = RAI_REASON) -> None:
        """The next n predicts have their image filtered: a prediction carrying only
        `raiFilteredReason`, or with `reason=None` no predictions at all."""
        self._queue("rai", n, {"reason": reason})

    def malformed_next(self, n: int = 1, *, kind: str = "not-json") -> None:
        """The next n predicts answer 200 with: "not-json" (an HTML page), "no-image" (a
        prediction without bytes), "bad-base64", "not-an-image", or "oversized" (31 MB)."""
        self._queue("malformed", n, {"kind": kind})

    def slow_next(self, n: int, seconds: float) -> None:
        """The next n predicts answer normally, after `seconds`."""
        self._queue("slow", n, {"seconds": seconds})

    def token_error_next(self, n: int, http_status: int, error: str = "internal_failure") -> None:
        """The next n token requests answer this status with an OAuth error body."""
        with self._lock:
            self._token_errors.extend((http_status, error) for _ in range(n))

    def revoke_tokens(self) -> None:
        """Invalidate every access token issued so far (predicts with them answer 401)."""
        with self._lock:
            self._issued.clear()

    def _queue(self, behaviour: str, n: int, options: dict[str, Any]) -> None:
        with self._lock:
            self._pending.extend((behaviour, options) for _ in range(n))

    def _take(self) -> tuple[str, dict[str, Any]]:
        with self._lock:
            return self._pending.pop(0) if self._pending else ("", {})

    # --- token endpoint -------------------------------------------------------------------
    def token(self, *, content_type: str, body: bytes) -> Reply:
        with self._lock:
            self.token_calls += 1
        form = {key: values[0] for key, values in parse_qs(body.decode("latin-1")).items()}
        self.last_token_form = form
        with self._lock:
            queued = self._token_errors.pop(0) if self._token_errors else None
        if queued is not None:
            status, error = queued
            return _oauth_error(error, "Emulated failure.", status=status)
        if not content_type.startswith("application/x-www-form-urlencoded"):
            return _oauth_error("invalid_request", "Content-Type must be form-encoded.")
        if form.get("grant_type") != JWT_BEARER_GRANT:
            return _oauth_error("unsupported_grant_type", "Invalid grant_type.")
        try:
            header, claims = self._verify(form.get("assertion", ""))
        except jwt.PyJWTError as error:
            return _oauth_error("invalid_grant", f"Invalid JWT: {error}")
        self.last_assertion_header, self.last_assertion_claims = header, claims
        token = "ya29.emulated-" + secrets.token_urlsafe(24)
        with self._lock:
            self._issued[token] = time.time() + self.token_lifetime
        answer = {"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer"}
        return 200, {"Content-Type": "application/json"}, json.dumps(answer).encode()

    def _verify(self, assertion: str) -> tuple[dict[str, Any], dict[str, Any]]:
        header = jwt.get_unverified_header(assertion)
        if header.get("alg") != "RS256" or header.get("kid") != self.key_id:
            raise jwt.InvalidTokenError("unexpected alg or kid")
        claims = jwt.decode(
            assertion,
            self.public_key,
            algorithms=["RS256"],
            audience=self.token_uri,
            issuer=self.client_email,
            options={"require": ["iss", "scope", "aud", "iat", "exp"]},
        )
        if SCOPE not in str(claims["scope"]).split():
            raise jwt.InvalidTokenError("scope lacks cloud-platform")
        if not 0 < claims["exp"] - claims["iat"] <= 3600:
            raise jwt.InvalidTokenError("exp must be within an hour of iat")
        return header, claims

    # --- predict endpoint -----------------------------------------------------------------
    def predict(self, *, path: str, authorization: str, body: bytes) -> Reply:
        with self._lock:
            self.predict_calls += 1
        match = _PREDICT.match(path)
        if match is None:
            return _google_error(404, "NOT_FOUND", f"Unknown path {path}.")
        self.last_predict_path = match.groupdict()
        token = authorization.removeprefix("Bearer ") if authorization.startswith("Bearer ") else ""
        self.last_predict_token = token
        self.tokens_used.append(token)
        with self._lock:
            expiry = self._issued.get(token)
        if expiry is None or expiry <= time.time():
            return _google_error(
                401,
                "UNAUTHENTICATED",
                "Request had invalid authentication credentials. "
                "Expected OAuth 2 access token, login cookie or other valid authentication "
                "credential.",
            )
        try:
            self.last_predict_body = request = json.loads(body)
        except ValueError:
            return _google_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        behaviour, options = self._take()
        delay = self.latency + (options["seconds"] if behaviour == "slow" else 0.0)
        if delay:
            self._stopping.wait(delay)
        if behaviour == "error":
            return self._queued_error(options)
        try:
            person, products, parameters = _validate(request)
        except BadRequest as error:
            return _google_error(400, "INVALID_ARGUMENT", str(error))
        if behaviour == "rai":
            reason = options["reason"]
            predictions = [{"raiFilteredReason": reason}] if reason else []
            return 200, {"Content-Type": "application/json"}, _predictions(predictions)
        if behaviour == "malformed":
            return _malformed(options["kind"])
        mime_type = parameters.get("outputOptions", {}).get("mimeType", "image/png")
        image = _dressed(person, products[0])
        predictions = [
            {"mimeType": mime_type, "bytesBase64Encoded": _encode(image, mime_type)}
            for _ in range(parameters.get("sampleCount", 1))
        ]
        return 200, {"Content-Type": "application/json"}, _predictions(predictions)

    @staticmethod
    def _queued_error(options: dict[str, Any]) -> Reply:
        status, headers, body = _google_error(
            options["http_status"], options["status"], options["message"]
        )
        if options["retry_after"] is not None:
            headers["Retry-After"] = options["retry_after"]
        return status, headers, body


def _validate(request: Any) -> tuple[Image.Image, list[Image.Image], dict[str, Any]]:
    """The decoded person and product images and the parameters; BadRequest if anything
    differs from the documented request."""
    if not isinstance(request, dict) or set(request) - {"instances", "parameters"}:
        raise BadRequest("The request must hold only `instances` and `parameters`.")
    instances = request.get("instances")
    if not isinstance(instances, list) or len(instances) != 1 or not isinstance(instances[0], dict):
        raise BadRequest("Exactly one instance is supported.")
    instance = instances[0]
    if unknown := set(instance) - _INSTANCE_KEYS:
        raise BadRequest(f"Unknown instance fields: {sorted(unknown)}.")
    person = _image(instance.get("personImage"), "Person image")
    products = instance.get("productImages")
    if not isinstance(products, list) or not 1 <= len(products) <= 3:
        raise BadRequest("Between 1 and 3 product images are required.")
    product_images = [_image(product, "Product image") for product in products]
    parameters = request.get("parameters", {})
    _check_parameters(parameters)
    return person, product_images, parameters


def _image(holder: Any, what: str) -> Image.Image:
    image = holder.get("image") if isinstance(holder, dict) else None
    encoded = image.get("bytesBase64Encoded") if isinstance(image, dict) else None
    if not isinstance(encoded, str) or not encoded:
        raise BadRequest(f"{what} is missing: expected image.bytesBase64Encoded.")
    try:
        decoded = Image.open(io.BytesIO(base64.b64decode(encoded, validate=True)))
        decoded.load()
    except (binascii.Error, ValueError, OSError) as error:
        raise BadRequest(f"{what} could not be decoded as an image.") from error
    if decoded.format not in ("PNG", "JPEG"):
        raise BadRequest(f"{what} must be image/png or image/jpeg.")
    return decoded.convert("RGB")


def _check_parameters(parameters: Any) -> None:
    if not isinstance(parameters, dict):
        raise BadRequest("`parameters` must be an object.")
    if unknown := set(parameters) - _PARAMETER_KEYS:
        raise BadRequest(f"Unknown parameters: {sorted(unknown)}.")
    sample_count = parameters.get("sampleCount", 1)
    if not isinstance(sample_count, int) or not 1 <= sample_count <= 4:
        raise BadRequest("sampleCount must be between 1 and 4.")
    if "baseSteps" in parameters and not (
        isinstance(parameters["baseSteps"], int) and parameters["baseSteps"] > 0
    ):
        raise BadRequest("baseSteps must be a positive integer.")
    person_generation = str(parameters.get("personGeneration", "allow_adult")).lower()
    if person_generation not in _PERSON_GENERATION:
        raise BadRequest(f"personGeneration {person_generation!r} is not supported.")
    safety = str(parameters.get("safetySetting", "block_medium_and_above")).lower()
    if safety.replace("-", "_") not in _SAFETY:
        raise BadRequest(f"safetySetting {safety!r} is not supported.")
    output = parameters.get("outputOptions", {})
    if not isinstance(output, dict) or output.get("mimeType", "image/png") not in _MIME_TYPES:
        raise BadRequest("outputOptions.mimeType must be image/png or image/jpeg.")
    if "seed" in parameters and parameters.get("addWatermark", True):
        raise BadRequest("addWatermark must be false when a seed is set.")


def _dressed(person: Image.Image, product: Image.Image) -> Image.Image:
    """The person with a block of the product's average colour over the torso."""
    out = person.copy()
    width, height = out.size
    colour = tuple(round(value) for value in ImageStat.Stat(product).mean[:3])
    box = (round(0.3 * width), round(0.45 * height), round(0.7 * width), round(0.85 * height))
    ImageDraw.Draw(out).rectangle(box, fill=colour)
    return out


def _encode(image: Image.Image, mime_type: str) -> str:
    buffer = io.BytesIO()
    image.save(buffer, _MIME_TYPES[mime_type], compress_level=1)  # fast; ignored by JPEG
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _predictions(predictions: list[dict[str, Any]]) -> bytes:
    return json.dumps({"predictions": predictions} if predictions else {}).encode()


def _malformed(kind: str) -> Reply:
    json_type = {"Content-Type": "application/json"}
    if kind == "not-json":
        return 200, {"Content-Type": "text/html"}, b"<html><body>Bad gateway</body></html>"
    if kind == "no-image":
        return 200, json_type, _predictions([{"mimeType": "image/png"}])
    if kind == "bad-base64":
        return 200, json_type, _predictions([{"bytesBase64Encoded": "not base64!!"}])
    if kind == "not-an-image":
        data = base64.b64encode(b"plain text, not a picture").decode()
        return 200, json_type, _predictions([{"bytesBase64Encoded": data}])
    if kind == "oversized":
        filler = b"A" * (31 * 1024 * 1024)
        return 200, json_type, b'{"predictions": [{"bytesBase64Encoded": "' + filler + b'"}]}'
    raise ValueError(f"Unknown malformed kind {kind!r}")


def _google_error(code: int, status: str, message: str) -> Reply:
    body = {"error": {"code": code, "message": message, "status": status}}
    return code, {"Content-Type": "application/json"}, json.dumps(body).encode()


def _oauth_error(error: str, description: str, *, status: int = 400) -> Reply:
    body = {"error": error, "error_description": description}
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms stalls

    def do_POST(self) -> None:
        emulator: VertexEmulator = self.server.emulator  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/token":
            reply = emulator.token(content_type=self.headers.get("Content-Type", ""), body=body)
        else:
            authorization = self.headers.get("Authorization", "")
            reply = emulator.predict(path=self.path, authorization=authorization, body=body)
        status, headers, content = reply
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing to answer

    def log_message(self, format: str, *args: object) -> None:
        pass


VertexEmulator.handler_class = _Handler


# --- fixture ------------------------------------------------------------------------------
@functools.cache
def throwaway_private_key() -> rsa.RSAPrivateKey:
    """A 2048-bit RSA key made once per test run (generating one takes ~0.1 s)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def write_service_account_key(path: Path, private_key: rsa.RSAPrivateKey, **fields: str) -> str:
    """Write a service-account JSON key like the ones Google issues; returns its key id."""
    key_id = secrets.token_hex(20)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    info = {
        "type": "service_account",
        "project_id": PROJECT,
        "private_key_id": key_id,
        "private_key": pem,
        "client_email": CLIENT_EMAIL,
        "client_id": "100000000000000000001",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "universe_domain": "googleapis.com",
    } | fields
    path.write_text(json.dumps(info), encoding="utf-8")
    return key_id


@pytest.fixture
def vertex_api(settings, tmp_path) -> Iterator[VertexEmulator]:
    """A running emulator, a fresh service-account key file whose token_uri points at it, and
    settings.VERTEX_* pointing at both. The engine's token cache starts and ends empty."""
    private_key = throwaway_private_key()
    key_file = tmp_path / "vertex-service-account.json"
    emulator = VertexEmulator(public_key=private_key.public_key(), key_id="pending").start()
    emulator.key_id = write_service_account_key(key_file, private_key, token_uri=emulator.token_uri)
    settings.VERTEX_API_URL = emulator.base_url
    settings.VERTEX_PROJECT = PROJECT
    settings.VERTEX_LOCATION = "us-central1"
    settings.VERTEX_CREDENTIALS_FILE = str(key_file)
    clear_token_cache()
    try:
        yield emulator
    finally:
        clear_token_cache()
        emulator.stop()
