"""Pytest fixtures that start the emulators; tests/conftest.py imports them."""

from collections.abc import Iterator

import pytest

from tests.emulators.shopify_admin import ShopifyAdminEmulator


@pytest.fixture
def shopify_admin(settings) -> Iterator[ShopifyAdminEmulator]:
    """A running Admin GraphQL emulator; settings.SHOPIFY_ADMIN_API_URL points at it."""
    emulator = ShopifyAdminEmulator().start()
    settings.SHOPIFY_ADMIN_API_URL = emulator.url_template
    try:
        yield emulator
    finally:
        emulator.stop()
