"""Request-body caps enforced in front of Django, for the ASGI and the WSGI application alike.

Django reads a whole body before routing (under ASGI it spools it to a temp file), so a check in
a view comes after the bytes are on disk. Here a body whose declared Content-Length is over its
route's cap is answered 413 without reading a byte, and a body without one (chunked) is counted
as it arrives and cut at the cap.

The caps come from settings.REQUEST_BODY_LIMITS: (path prefix, bytes, error code) rows, the
longest matching prefix winning, and settings.REQUEST_BODY_MAX_BYTES for every other path. A new
route that takes large bodies adds a row there.
"""

import json
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

COPY_CHUNK = 64 * 1024
MESSAGES = {
    "FILE_TOO_LARGE": "The file is larger than this endpoint accepts.",
    "PAYLOAD_TOO_LARGE": "The request body is larger than this endpoint accepts.",
}


@dataclass(frozen=True)
class BodyCap:
    max_bytes: int
    code: str


def body_cap_for(path: str) -> BodyCap:
    """The cap of the route `path` belongs to: the longest matching prefix of the table."""
    best: tuple[str, int, str] | None = None
    for prefix, max_bytes, code in settings.REQUEST_BODY_LIMITS:
        if path.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, max_bytes, code)
    if best is None:
        return BodyCap(settings.REQUEST_BODY_MAX_BYTES, "PAYLOAD_TOO_LARGE")
    return BodyCap(best[1], best[2])


def declared_length(value: str | bytes | None) -> int | None:
    """Content-Length as a number; None when absent; -1 when it is not a number."""
    if value is None or value in ("", b""):
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    return int(text) if text.strip().isdigit() else -1


def error_body(cap: BodyCap, status: int = 413) -> bytes:
    message = MESSAGES.get(cap.code, MESSAGES["PAYLOAD_TOO_LARGE"])
    if status == 400:
        message = "Bad Content-Length."
    code = cap.code if status == 413 else "VALIDATION_FAILED"
    return json.dumps({"code": code, "message": message, "status": status, "details": []}).encode()


# --- ASGI -----------------------------------------------------------------------------------


class AsgiBodyLimit:
    """Wraps an ASGI application; only `http` requests are checked."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        cap = body_cap_for(scope.get("path", ""))
        headers = dict(scope.get("headers") or [])
        declared = declared_length(headers.get(b"content-length"))
        if declared == -1:
            return await _asgi_refuse(send, cap, status=400)
        if declared is not None and declared > cap.max_bytes:
            return await _asgi_refuse(send, cap)  # nothing received: the body stays unread
        state = {"received": 0, "over": False, "started": False}

        async def counted_receive() -> dict:
            if state["over"]:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > cap.max_bytes:
                    # Django stops reading at a disconnect and answers nothing; we answer 413.
                    state["over"] = True
                    return {"type": "http.disconnect"}
            return message

        async def watched_send(message: dict) -> None:
            if state["over"] and not state["started"]:
                # The app answers a body cut short (a 400, a 401 from a WSGI app behind an
                # adapter that reads the cut as the end): that answer is not the truth, 413 is.
                return
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        await self.app(scope, counted_receive, watched_send)
        if state["over"] and not state["started"]:
            await _asgi_refuse(send, cap)


async def _asgi_refuse(send: Callable, cap: BodyCap, *, status: int = 413) -> None:
    body = error_body(cap, status)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body is never read: this connection cannot carry another request.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# --- WSGI -----------------------------------------------------------------------------------


class WsgiBodyLimit:
    """Wraps a WSGI application. A chunked body (no Content-Length: Django would see none of
    it) is read here up to the cap into a spooled file and handed on with its length."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        cap = body_cap_for(environ.get("PATH_INFO", ""))
        declared = declared_length(environ.get("CONTENT_LENGTH"))
        if declared == -1:
            return _wsgi_refuse(start_response, cap, status=400)
        if declared is not None and declared > cap.max_bytes:
            return _wsgi_refuse(start_response, cap)
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if declared is None and chunked:
            body = _read_capped(environ["wsgi.input"], cap.max_bytes)
            if body is None:
                return _wsgi_refuse(start_response, cap)
            environ["wsgi.input"], environ["CONTENT_LENGTH"] = body, str(body.tell())
            body.seek(0)
        return self.app(environ, start_response)


def _read_capped(stream: Any, max_bytes: int) -> Any | None:
    """The stream's bytes in a spooled file, or None (the file dropped) past `max_bytes`."""
    spool = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
    received = 0
    while chunk := stream.read(COPY_CHUNK):
        received += len(chunk)
        if received > max_bytes:
            spool.close()
            return None
        spool.write(chunk)
    return spool


def _wsgi_refuse(start_response: Callable, cap: BodyCap, *, status: int = 413) -> list[bytes]:
    body = error_body(cap, status)
    reason = "413 Content Too Large" if status == 413 else "400 Bad Request"
    start_response(
        reason,
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Connection", "close"),
        ],
    )
    return [body]
