"""Every grant to Shopify's token endpoint goes as a JSON body, as Shopify's own libraries send it
(the emulator records the media type of each call)."""

import pytest

from shopify_integration.install.services import shop_authorize, shop_install
from shopify_integration.tokens import IssuedToken, shop_access_token, shop_tokens_store
from tests.emulators.shopify_oauth import session_token
from tests.emulators.shopify_oauth import shopify_oauth as shopify_oauth_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def test_the_code_grant_token_exchange_and_refresh_send_json(shopify_oauth):
    code_shop, embedded_shop = "code.myshopify.com", "embedded.myshopify.com"

    shop_authorize(domain=code_shop, code=shopify_oauth.authorization_code(code_shop))
    installed = shop_install(domain=embedded_shop, id_token=session_token(embedded_shop))
    issued = shopify_oauth.issued[-1]
    shop_tokens_store(shop=installed, token=IssuedToken.from_response(issued | {"expires_in": 60}))
    shop_access_token(shop=installed)

    calls = [(call.grant, call.status, call.content_type) for call in shopify_oauth.calls]
    assert calls == [
        ("authorization_code", 200, "application/json"),
        ("token_exchange", 200, "application/json"),
        ("refresh_token", 200, "application/json"),
    ]
    assert shopify_oauth.calls[0].form["expiring"] == "1"
