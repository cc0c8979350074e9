import pytest


@pytest.fixture(autouse=True)
def _realistic_client_secret(settings):
    # Shopify's client secrets are 38 characters; PyJWT warns about HMAC keys under 32 bytes,
    # which the short development default would trigger on every session token.
    settings.SHOPIFY_API_SECRET = "shpss_" + "5e" * 16
