"""Invalid or expired session tokens: the merchant API asks App Bridge to retry with a fresh one
(401 + X-Shopify-Retry-Invalid-Session-Request), and a document request without a usable id
token goes through the bounce page, where App Bridge fetches one (Shopify's app-home guidance)."""

import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.conf import settings

from shopify_integration.models import Shop
from tests.emulators.shopify_oauth import session_token
from tests.emulators.shopify_oauth import shopify_oauth as shopify_oauth_fixture  # noqa: F401

pytestmark = pytest.mark.django_db
RETRY = "X-Shopify-Retry-Invalid-Session-Request"
HOST = "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvbmV3LXN0b3Jl"


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(lambda shop: "", id="missing"),
        pytest.param(lambda shop: "Bearer not-a-jwt", id="garbage"),
        pytest.param(
            lambda shop: f"Bearer {session_token(shop, issued_at=time.time() - 3600)}",
            id="expired",
        ),
        pytest.param(lambda shop: f"Bearer {session_token(shop, secret='z' * 40)}", id="forged"),
    ],
)
@pytest.mark.parametrize("path", ["/shopify/api/settings", "/shopify/api/usage"])
def test_the_merchant_api_asks_app_bridge_to_retry(client, shop, authorization, path):
    response = client.get(path, HTTP_AUTHORIZATION=authorization(shop.domain))

    assert response.status_code == 401
    assert response[RETRY] == "1"
    assert response.json()["code"] == "UNAUTHORIZED"


def test_a_shop_without_the_app_is_not_retried(client, shop):
    Shop.objects.filter(id=shop.id).update(is_installed=False)

    response = client.get(
        "/shopify/api/settings", HTTP_AUTHORIZATION=f"Bearer {session_token(shop.domain)}"
    )

    assert response.status_code == 401
    assert RETRY not in response


def _open(client, **query):
    return client.get(f"/shopify/app?{urlencode(query)}")


@pytest.mark.parametrize(
    "id_token",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="blank"),
        pytest.param("expired", id="expired"),
    ],
)
def test_a_document_request_without_a_usable_id_token_bounces(client, shopify_oauth, id_token):
    shop = "new-store.myshopify.com"
    query = {"shop": shop, "host": HOST, "embedded": "1"}
    if id_token == "expired":
        id_token = session_token(shop, issued_at=time.time() - 3600)
    response = _open(client, **query, **({} if id_token is None else {"id_token": id_token}))

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/shopify/session-token-bounce"
    params = {key: values[0] for key, values in parse_qs(location.query).items()}
    reload = urlsplit(params.pop("shopify-reload"))
    assert params == query
    assert f"{reload.scheme}://{reload.netloc}" == settings.PUBLIC_BASE_URL
    assert reload.path == "/shopify/app"
    assert {key: values[0] for key, values in parse_qs(reload.query).items()} == query
    assert not Shop.objects.exists() and shopify_oauth.calls == []


def test_without_a_shop_there_is_nothing_to_bounce_to(client):
    response = _open(client, host=HOST)

    assert response.status_code == 401
    assert "Open the app from your Shopify admin" in response.content.decode()


def test_the_bounce_page_loads_only_app_bridge_and_may_be_framed_by_the_admin(client):
    response = client.get(
        "/shopify/session-token-bounce",
        {"shop": "new-store.myshopify.com", "shopify-reload": "https://example.com/shopify/app"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    api_key = settings.SHOPIFY_API_KEY
    assert f'<meta name="shopify-api-key" content="{api_key}">' in html
    assert "https://cdn.shopify.com/shopifycloud/app-bridge.js" in html
    assert html.count("<script") == 1
    assert "X-Frame-Options" not in response
    assert "frame-ancestors" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "no-store"
