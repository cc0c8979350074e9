"""Body caps at the process level: gunicorn serving config.asgi (uvicorn workers, as the Procfile
does) and config.wsgi (sync workers), with the temp directory and the worker's bytes read watched
while an oversized body is sent without an API key."""

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from django.conf import settings

from config.bodylimit import body_cap_for
from shopify_integration.webhooks.verification import webhook_signature
from tests.conftest import ROOT
from tests.e2e.conftest import database_url_for_test_db

pytestmark = pytest.mark.django_db(transaction=True)
MB = 1024 * 1024
SERVERS = {
    "asgi": ["config.asgi:application", "-k", "uvicorn_worker.UvicornWorker"],
    "wsgi": ["config.wsgi:application", "-k", "sync"],
}


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    spool: Path  # the workers' TMPDIR, where Django spools bodies

    def processes(self) -> list[psutil.Process]:
        master = psutil.Process(self.process.pid)
        return [master, *master.children(recursive=True)]

    def bytes_written(self) -> int:
        """Bytes the gunicorn processes wrote through write() (files and logs; not sockets)."""
        return sum(p.io_counters().write_chars for p in self.processes())


class SpoolWatch:
    """The largest total size of the temp files the server holds in its spool directory (open
    ones included: Python's temp files have no name on Linux), sampled every few milliseconds."""

    def __init__(self, server: Server) -> None:
        self.server, self.largest, self._stop = server, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _size(self) -> int:
        total, folder = 0, str(self.server.spool)
        for process in self.server.processes():
            for fd in Path(f"/proc/{process.pid}/fd").iterdir():
                with contextlib.suppress(OSError):  # closed between listing and reading
                    if os.readlink(fd).startswith(folder):
                        total += fd.stat().st_size
        for path in self.server.spool.rglob("*"):
            with contextlib.suppress(OSError):
                total += path.stat().st_size
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(OSError, psutil.Error):
                self.largest = max(self.largest, self._size())
            time.sleep(0.002)

    def __enter__(self) -> "SpoolWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        time.sleep(0.05)
        self._stop.set()
        self._thread.join()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(params=sorted(SERVERS))
def server(request, tmp_path) -> Iterator[Server]:
    port, spool = _free_port(), tmp_path / "spool"
    spool.mkdir()
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": database_url_for_test_db(),
        "TMPDIR": str(spool),
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    argv = [sys.executable, "-m", "gunicorn", *SERVERS[request.param]]
    argv += ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "60"]
    log = tmp_path / "server.log"
    process = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    try:
        _wait_ready(port, process, log)
        yield Server(port=port, process=process, spool=spool)
    finally:
        process.terminate()
        process.wait(timeout=20)


def _wait_ready(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            status, _ = _exchange(port, b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n", [])
        except OSError:
            time.sleep(0.1)
            continue
        if status:
            return
    raise AssertionError(f"server did not start: {log.read_text()[-2000:]}")


def _exchange(port: int, head: bytes, chunks: list[bytes]) -> tuple[int, dict]:
    """Send `head` then `chunks` while a reader thread collects the answer: a server that
    answers early and closes is heard before its reset arrives. Returns (status, JSON body)."""
    received = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:

        def read() -> None:
            try:
                while data := sock.recv(65536):
                    received.extend(data)
            except OSError:
                pass

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            sock.sendall(head)
            for chunk in chunks:
                if received:
                    break  # answered: stop sending
                sock.sendall(chunk)
        except OSError:  # the server closed the connection on us
            pass
        reader.join(timeout=15)
    if not received:
        return 0, {}
    header, _, body = bytes(received).partition(b"\r\n\r\n")
    status = int(header.split(b" ", 2)[1])
    try:
        return status, json.loads(body.decode() or "{}")
    except ValueError:
        return status, {"raw": body[:200].decode("latin-1")}


def _upload_head(length: int | None) -> bytes:
    framing = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    return (
        "POST /v1/images/upload HTTP/1.1\r\nHost: localhost\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\n"
        f"{framing}\r\n\r\n"
    ).encode()


def _chunked(data: bytes, piece: int) -> list[bytes]:
    chunks = [
        f"{len(data[i : i + piece]):x}\r\n".encode() + data[i : i + piece] + b"\r\n"
        for i in range(0, len(data), piece)
    ]
    return [*chunks, b"0\r\n\r\n"]


def test_a_declared_length_over_the_cap_is_refused_before_reading(server):
    """256 MB declared on the upload route, with no API key, the client pushing 32 MB: 413 at
    once, and nothing spooled or written."""
    before = server.bytes_written()
    piece = b"\0" * (64 * 1024)
    with SpoolWatch(server) as spool:
        status, body = _exchange(server.port, _upload_head(256 * MB), [piece] * 512)
    written = server.bytes_written() - before
    print(f"declared 256 MB: spool peak {spool.largest} bytes, {written} bytes written")
    assert (status, body.get("code")) == (413, "FILE_TOO_LARGE")
    assert spool.largest == 0
    assert written < 64 * 1024


def test_a_chunked_body_is_counted_and_cut_at_the_cap(server):
    """32 MB chunked to the upload route: 413 once the cap (10 MB and framing) is passed; the
    server never holds more than the cap on disk."""
    cap = body_cap_for("/v1/images/upload").max_bytes
    before = server.bytes_written()
    with SpoolWatch(server) as spool:
        chunks = _chunked(b"\0" * (32 * MB), 64 * 1024)
        status, body = _exchange(server.port, _upload_head(None), chunks)
    written = server.bytes_written() - before
    print(f"chunked 32 MB: spool peak {spool.largest} bytes, {written} bytes written (cap {cap})")
    assert (status, body.get("code")) == (413, "FILE_TOO_LARGE")
    assert spool.largest <= cap
    assert written < cap + 64 * 1024
    assert not any(server.spool.rglob("*")), "a spooled body was left behind"


def test_bodies_within_the_cap_reach_django(server, shop):
    """A signed webhook, chunked, is read whole (under WSGI too, where Django would see no body
    without a length) and accepted; a JSON body over the 1 MB cap of /shopify/ is refused."""
    payload = json.dumps({"id": 1, "myshopify_domain": shop.domain, "domain": shop.domain})
    body = payload.encode()
    head = (
        "POST /shopify/webhooks HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nX-Shopify-Topic: app/uninstalled\r\n"
        f"X-Shopify-Shop-Domain: {shop.domain}\r\nX-Shopify-Webhook-Id: wh-{server.port}\r\n"
        f"X-Shopify-Event-Id: ev-{server.port}\r\n"
        f"X-Shopify-Hmac-SHA256: {webhook_signature(body, settings.SHOPIFY_API_SECRET)}\r\n"
        "X-Shopify-API-Version: 2026-10\r\nConnection: close\r\n\r\n"
    ).encode()
    assert _exchange(server.port, head, _chunked(body, 7)) == (200, {"status": "accepted"})
    big = (
        "POST /shopify/webhooks HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        f"Content-Length: {2 * MB}\r\n\r\n"
    ).encode()
    status, answer = _exchange(server.port, big, [b" " * MB, b" " * MB])
    assert (status, answer.get("code")) == (413, "PAYLOAD_TOO_LARGE")


def test_the_longest_matching_prefix_decides():
    assert body_cap_for("/v1/images/upload").code == "FILE_TOO_LARGE"
    assert body_cap_for("/v1/generations/gen_1").max_bytes == settings.JSON_BODY_MAX_BYTES
    # Products take their images as multipart file parts; the direct upload's PUT takes 20 MB.
    assert body_cap_for("/v1/products").code == "FILE_TOO_LARGE"
    assert body_cap_for("/uploads/tok").max_bytes == settings.DIRECT_UPLOAD_MAX_BYTES
    assert body_cap_for("/healthz").max_bytes == settings.REQUEST_BODY_MAX_BYTES
    watermark = body_cap_for("/shopify/api/watermark")
    assert watermark.max_bytes > body_cap_for("/shopify/api/settings").max_bytes
