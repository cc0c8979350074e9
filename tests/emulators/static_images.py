"""A loopback server for garment images, standing in for Shopify's CDN."""

import functools
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import pytest

from tests.emulators.loopback import LoopbackEmulator

GARMENTS = Path(__file__).resolve().parents[2] / "fittingroom" / "demo" / "garments"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class _GarmentCDN(LoopbackEmulator):
    handler_class = functools.partial(_QuietHandler, directory=str(GARMENTS))


@pytest.fixture
def garment_cdn(settings) -> Iterator[str]:
    """Serves fittingroom/demo/garments on 127.0.0.1; yields the base URL. Widens the image
    fetcher to this loopback host only for the test."""
    server = _GarmentCDN().start()
    settings.GARMENT_IMAGE_HOSTS = ["127.0.0.1"]
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = True
    try:
        yield server.base_url
    finally:
        server.stop()
