"""A loopback emulator of Shopify's OAuth token endpoint, and session tokens as Shopify mints them.

`POST /{shop}/admin/oauth/access_token` (a JSON body, as Shopify's libraries send it, or a form:
Shopify takes both; `calls` records which) with our client credentials, for three
grants: an authorization code (single use, minted by `authorization_code(shop)`), token exchange
(an App Bridge session token, which must be a JWT signed with the client secret for this shop,
traded for an offline token) and `refresh_token`. With `expiring=1`, and always on refresh, the
answer carries a one-hour access token and a refresh token; refreshing rotates both and the old
refresh token stops working (400 invalid_grant), as Shopify's does. Tests switch on failures
(`fail_next`) and slowness (`delay_next`) and read what was asked in `calls`.

Tests import the fixture explicitly, under another name so ruff's F811 stays quiet:
`from tests.emulators.shopify_oauth import shopify_oauth as shopify_oauth_fixture  # noqa: F401`.
"""

import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

import jwt
import pytest
from django.conf import settings

from tests.emulators.loopback import LoopbackEmulator

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
OFFLINE_ACCESS_TOKEN = "urn:shopify:params:oauth:token-type:offline-access-token"
ACCESS_TOKEN_TTL, REFRESH_TOKEN_TTL = 3600, 7_776_000
_PATH = re.compile(r"^/(?P<shop>[^/]+)/admin/oauth/access_token$")


def session_token(
    shop: str,
    *,
    secret: str | None = None,
    audience: str | None = None,
    issuer_shop: str | None = None,
    lifetime: int = 60,
    issued_at: float | None = None,
    **claims: Any,
) -> str:
    """An App Bridge session token for `shop`, as Shopify signs it (HS256, client secret)."""
    now = int(issued_at if issued_at is not None else time.time())
    payload = {
        "iss": f"https://{issuer_shop or shop}/admin",
        "dest": f"https://{shop}",
        "aud": audience if audience is not None else settings.SHOPIFY_API_KEY,
        "sub": "42",
        "exp": now + lifetime,
        "nbf": now,
        "iat": now,
        "jti": str(uuid.uuid4()),
        "sid": secrets.token_hex(16),
        **claims,
    }
    return jwt.encode(payload, secret or settings.SHOPIFY_API_SECRET, algorithm="HS256")


@dataclass(frozen=True)
class TokenCall:
    shop: str
    grant: str  # "authorization_code", "token_exchange", "refresh_token" or what was sent
    form: dict[str, str]
    status: int
    content_type: str = ""  # the request's media type: application/json or a form


class ShopifyOAuthEmulator(LoopbackEmulator):
    """Issues and rotates tokens per shop; `start()` binds 127.0.0.1 on a free port. Client
    credentials and the session-token secret are read from Django settings on each call."""

    def __init__(self, *, scope: str = "read_products") -> None:
        super().__init__()
        self.scope = scope
        self.calls: list[TokenCall] = []
        self.issued: list[dict[str, Any]] = []  # every token body handed out, in order
        self._codes: dict[str, str] = {}  # unused authorization code → shop
        self._refresh_tokens: dict[str, str] = {}  # live refresh token → shop
        self._pending: list[tuple[str, Any]] = []  # queued behaviours, in order
        self._lock = threading.Lock()

    # --- lifecycle (start, stop, base_url: LoopbackEmulator) -------------------------------
    @property
    def token_url_template(self) -> str:
        """A value for settings.SHOPIFY_TOKEN_URL ({shop} stays for `.format(shop=…)`)."""
        return f"{self.base_url}/{{shop}}/admin/oauth/access_token"

    # --- what Shopify hands out elsewhere ------------------------------------------------------
    def authorization_code(self, shop: str) -> str:
        """A code as Shopify appends it to our callback after the merchant approves."""
        code = secrets.token_hex(16)
        with self._lock:
            self._codes[code] = shop
        return code

    def grant_offline_token(self, shop: str) -> dict[str, Any]:
        """An expiring token pair for `shop`, as if issued earlier (not recorded as a call)."""
        return self._issue(shop, expiring=True)

    def revoke_refresh_tokens(self, shop: str) -> None:
        with self._lock:
            for token in [t for t, owner in self._refresh_tokens.items() if owner == shop]:
                del self._refresh_tokens[token]

    # --- behaviours -----------------------------------------------------------------------
    def fail_next(self, n: int = 1, status: int = 500, error: str = "server_error") -> None:
        """The next n calls answer `status` with `{"error": error}`."""
        self._queue("fail", n, {"status": status, "error": error})

    def delay_next(self, n: int = 1, seconds: float = 0.5) -> None:
        """The next n calls wait `seconds` before being answered."""
        self._queue("delay", n, {"seconds": seconds})

    def _queue(self, behaviour: str, n: int, options: dict[str, Any]) -> None:
        with self._lock:
            self._pending.extend((behaviour, options) for _ in range(n))

    # --- serving --------------------------------------------------------------------------
    def answer(
        self, *, shop: str, form: dict[str, str], content_type: str = ""
    ) -> tuple[int, dict[str, Any]]:
        with self._lock:
            behaviour = self._pending.pop(0) if self._pending else None
        name, options = behaviour or ("", {})
        if name == "delay":
            self._stopping.wait(options["seconds"])
        if name == "fail":
            status, body = options["status"], {"error": options["error"]}
        else:
            status, body = self._grant(shop, form)
        with self._lock:
            self.calls.append(TokenCall(shop, _grant_name(form), form, status, content_type))
        return status, body

    def _grant(self, shop: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        client = (form.get("client_id"), form.get("client_secret"))
        if client != (settings.SHOPIFY_API_KEY, settings.SHOPIFY_API_SECRET):
            return 401, {"error": "invalid_client"}
        grant = _grant_name(form)
        expiring = form.get("expiring") == "1"
        if grant == "authorization_code":
            with self._lock:
                owner = self._codes.pop(form.get("code", ""), None)
            if owner != shop:
                return 400, {"error": "invalid_request", "error_description": "bad code"}
            return 200, self._issue(shop, expiring=expiring)
        if grant == "token_exchange":
            problem = _session_token_problem(shop, form)
            if problem:
                return 400, {"error": "invalid_subject_token", "error_description": problem}
            return 200, self._issue(shop, expiring=expiring)
        if grant == "refresh_token":
            with self._lock:
                owner = self._refresh_tokens.pop(form.get("refresh_token", ""), None)
            if owner != shop:
                return 400, {"error": "invalid_grant"}
            return 200, self._issue(shop, expiring=True)
        return 400, {"error": "unsupported_grant_type"}

    def _issue(self, shop: str, *, expiring: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"access_token": f"shpat_{secrets.token_hex(16)}"}
        body["scope"] = self.scope
        if expiring:
            refresh_token = f"shprt_{secrets.token_hex(16)}"
            body |= {
                "expires_in": ACCESS_TOKEN_TTL,
                "refresh_token": refresh_token,
                "refresh_token_expires_in": REFRESH_TOKEN_TTL,
            }
        with self._lock:
            if expiring:
                self._refresh_tokens[body["refresh_token"]] = shop
            self.issued.append(body)
        return body


def _grant_name(form: dict[str, str]) -> str:
    grant_type = form.get("grant_type", "")
    if not grant_type and "code" in form:
        return "authorization_code"  # Shopify's code grant sends no grant_type
    return "token_exchange" if grant_type == TOKEN_EXCHANGE else grant_type


def _session_token_problem(shop: str, form: dict[str, str]) -> str:
    if form.get("subject_token_type") != ID_TOKEN:
        return "subject_token_type must be an id_token"
    if form.get("requested_token_type") != OFFLINE_ACCESS_TOKEN:
        return "only offline access tokens are emulated"
    try:
        claims = jwt.decode(
            form.get("subject_token", ""),
            str(settings.SHOPIFY_API_SECRET),
            algorithms=["HS256"],
            audience=settings.SHOPIFY_API_KEY,
            leeway=10,
        )
    except jwt.PyJWTError as error:
        return f"session token rejected: {error}"
    if urlparse(str(claims.get("dest", ""))).hostname != shop:
        return "session token is for another shop"
    return ""


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        emulator: ShopifyOAuthEmulator = self.server.emulator  # type: ignore[attr-defined]
        match = _PATH.match(self.path.split("?", 1)[0])
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace")
        if match is None:
            return self._send(404, {"errors": "Not Found"})
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type == "application/json":
            try:
                parsed = json.loads(raw)
            except ValueError:
                return self._send(400, {"error": "invalid_request"})
            if not isinstance(parsed, dict):
                return self._send(400, {"error": "invalid_request"})
            form = {str(key): str(value) for key, value in parsed.items()}
        elif content_type == "application/x-www-form-urlencoded":
            form = dict(parse_qsl(raw, keep_blank_values=True))
        else:
            return self._send(400, {"error": "invalid_request"})
        status, body = emulator.answer(shop=match["shop"], form=form, content_type=content_type)
        return self._send(status, body)

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


ShopifyOAuthEmulator.handler_class = _Handler


# Named explicitly so a test module can import it under another name (ruff's F811 flags a
# parameter that shadows an imported fixture): `import shopify_oauth as shopify_oauth_fixture`.
@pytest.fixture(name="shopify_oauth")
def shopify_oauth(settings) -> Iterator[ShopifyOAuthEmulator]:
    """A running token endpoint emulator; settings.SHOPIFY_TOKEN_URL points at it."""
    emulator = ShopifyOAuthEmulator().start()
    settings.SHOPIFY_TOKEN_URL = emulator.token_url_template
    try:
        yield emulator
    finally:
        emulator.stop()
