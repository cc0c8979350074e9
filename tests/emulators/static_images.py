"""A loopback server for garment images, standing in for Shopify's CDN."""

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

GARMENTS = Path(__file__).resolve().parents[2] / "fittingroom" / "demo" / "garments"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def garment_cdn(settings) -> Iterator[str]:
    """Serves fittingroom/demo/garments on 127.0.0.1; yields the base URL. Widens the image
    fetcher to this loopback host only for the test."""
    handler = functools.partial(_QuietHandler, directory=str(GARMENTS))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.GARMENT_IMAGE_HOSTS = ["127.0.0.1"]
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = True
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
