"""The authorization-code grant: install redirect, Shopify's signed callback, the code trade."""

import time
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from django.conf import settings

from shopify_integration.install.oauth import (
    InvalidOAuthRequest,
    oauth_callback_verify,
    oauth_hmac,
    oauth_query_verify,
)
from shopify_integration.models import Shop
from shopify_integration.proxy.signature import shop_domain_valid
from shopify_integration.tokens import decrypt
from tests.emulators.shopify_oauth import shopify_oauth as shopify_oauth_fixture  # noqa: F401

pytestmark = pytest.mark.django_db
SHOP = "legacy-store.myshopify.com"
VECTOR_QUERY = (
    "code=0907a61c0c8d55e99db179b68161bc00&shop=some-shop.myshopify.com"
    "&state=0.6784241404160823&timestamp=1337178173"
)
VECTOR_HMAC = "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"


# --- the signature ------------------------------------------------------------------------


def test_it_computes_shopifys_hmac_for_the_documented_vector():
    params = dict(pair.split("=") for pair in VECTOR_QUERY.split("&"))

    assert oauth_hmac(params, "hush") == VECTOR_HMAC


def test_it_accepts_the_vector_with_the_clock_frozen_at_its_timestamp():
    callback = oauth_callback_verify(
        f"{VECTOR_QUERY}&hmac={VECTOR_HMAC}", secrets=["hush"], now=1337178173, max_age=86400
    )

    assert (callback.shop, callback.code) == (
        "some-shop.myshopify.com",
        "0907a61c0c8d55e99db179b68161bc00",
    )
    assert callback.state == "0.6784241404160823"


def test_the_hmac_may_come_first_and_the_previous_secret_still_counts():
    params = oauth_query_verify(f"hmac={VECTOR_HMAC}&{VECTOR_QUERY}", secrets=["new", "hush"])

    assert params["shop"] == "some-shop.myshopify.com"


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(f"{VECTOR_QUERY}&hmac={VECTOR_HMAC}&evil=1", id="added-parameter"),
        pytest.param(f"{VECTOR_QUERY}&hmac={'0' * 64}", id="wrong-hmac"),
        pytest.param(VECTOR_QUERY, id="no-hmac"),
        pytest.param(f"{VECTOR_QUERY}&shop=evil.myshopify.com&hmac={VECTOR_HMAC}", id="repeated"),
    ],
)
def test_it_refuses_a_query_shopify_did_not_sign(query):
    with pytest.raises(InvalidOAuthRequest):
        oauth_callback_verify(query, secrets=["hush"], now=1337178173, max_age=86400)


def test_it_refuses_a_callback_older_than_a_day():
    with pytest.raises(InvalidOAuthRequest, match="stale"):
        oauth_callback_verify(
            f"{VECTOR_QUERY}&hmac={VECTOR_HMAC}",
            secrets=["hush"],
            now=1337178173 + 86401,
            max_age=86400,
        )


@pytest.mark.parametrize(
    ("domain", "valid"),
    [
        ("some-shop.myshopify.com", True),
        ("Shop1.myshopify.com", True),
        ("store.myshopify.com.evil.com", False),
        ("-store.myshopify.com", False),
        ("store.myshopify.com\n", False),
        ("evil.com/store.myshopify.com", False),
        ("a.b.myshopify.com", False),
        ("", False),
    ],
)
def test_it_accepts_only_myshopify_domains(domain, valid):
    assert shop_domain_valid(domain) is valid


# --- the flow through our endpoints --------------------------------------------------------


def start_install(client, shop: str = SHOP):
    return client.get(f"/shopify/auth/install?{urlencode({'shop': shop})}")


def signed_callback(shop: str, code: str, state: str, *, timestamp: int | None = None, **extra):
    params = {
        "code": code,
        "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvbGVnYWN5LXN0b3Jl",
        "shop": shop,
        "state": state,
        "timestamp": str(timestamp if timestamp is not None else int(time.time())),
        **extra,
    }
    params["hmac"] = oauth_hmac(params, settings.SHOPIFY_API_SECRET)
    return f"/shopify/auth/callback?{urlencode(params)}"


def state_of(install_response) -> str:
    return parse_qs(urlparse(install_response["Location"]).query)["state"][0]


def test_the_install_redirects_to_shopify_with_our_scopes_and_a_state_cookie(client):
    response = start_install(client)

    assert response.status_code == 302
    location = urlparse(response["Location"])
    authorize = urlparse(settings.SHOPIFY_AUTHORIZE_URL.format(shop=SHOP))
    assert (location.scheme, location.netloc, location.path) == (
        authorize.scheme,
        authorize.netloc,
        authorize.path,
    )
    query = parse_qs(location.query)
    assert query["client_id"] == [settings.SHOPIFY_API_KEY]
    assert query["scope"] == [settings.SHOPIFY_SCOPES]
    assert query["redirect_uri"] == [f"{settings.PUBLIC_BASE_URL}/shopify/auth/callback"]
    assert len(query["state"][0]) >= 32
    cookie = response.cookies["shopify_oauth_state"]
    assert cookie.value.startswith(f"{query['state'][0]}:")  # signed
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["path"] == "/shopify/auth/"
    assert state_of(start_install(client)) != query["state"][0]  # a fresh nonce each time


def test_the_state_cookie_is_secure_in_production(client, settings):
    settings.DEBUG = False

    assert start_install(client).cookies["shopify_oauth_state"]["secure"]


@pytest.mark.parametrize(
    "shop", ["store.myshopify.com.evil.com", "evil.com", "", "store.myshopify.com@evil.com"]
)
def test_the_install_refuses_a_domain_that_is_not_a_shop(client, shop):
    response = start_install(client, shop)

    assert response.status_code == 400
    assert "shopify_oauth_state" not in response.cookies


def test_an_install_request_with_a_bad_hmac_is_refused(client):
    query = urlencode({"shop": SHOP, "timestamp": str(int(time.time())), "hmac": "0" * 64})

    assert client.get(f"/shopify/auth/install?{query}").status_code == 401


def test_an_install_request_signed_by_shopify_is_accepted(client):
    params = {"shop": SHOP, "timestamp": str(int(time.time()))}
    params["hmac"] = oauth_hmac(params, settings.SHOPIFY_API_SECRET)

    assert client.get(f"/shopify/auth/install?{urlencode(params)}").status_code == 302


def test_the_callback_trades_the_code_installs_the_shop_and_opens_the_app(client, shopify_oauth):
    state = state_of(start_install(client))
    code = shopify_oauth.authorization_code(SHOP)

    response = client.get(signed_callback(SHOP, code, state))

    assert response.status_code == 302
    assert response["Location"] == f"https://{SHOP}/admin/apps/{settings.SHOPIFY_API_KEY}"
    [call] = shopify_oauth.calls
    assert (call.grant, call.status, call.form["code"], call.form["expiring"]) == (
        "authorization_code",
        200,
        code,
        "1",
    )
    shop = Shop.objects.select_related("account").get(domain=SHOP)
    assert shop.is_installed and shop.account.catalog_source == "shopify"
    assert decrypt(shop.access_token_encrypted) == shopify_oauth.issued[-1]["access_token"]
    assert decrypt(shop.refresh_token_encrypted) == shopify_oauth.issued[-1]["refresh_token"]
    assert response.cookies["shopify_oauth_state"].value == ""  # the nonce is spent


def refused(response, shopify_oauth, status: int) -> None:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert not Shop.objects.exists()
    assert shopify_oauth.calls == []


def test_a_callback_with_a_bad_hmac_is_refused(client, shopify_oauth):
    state = state_of(start_install(client))
    url = signed_callback(SHOP, shopify_oauth.authorization_code(SHOP), state)

    refused(client.get(url.replace("hmac=", "hmac=0")), shopify_oauth, 401)


def test_a_callback_with_another_state_is_refused(client, shopify_oauth):
    start_install(client)
    url = signed_callback(SHOP, shopify_oauth.authorization_code(SHOP), "a-state-we-never-issued")

    refused(client.get(url), shopify_oauth, 401)


def test_a_callback_without_the_state_cookie_is_refused(client, shopify_oauth):
    state = state_of(start_install(client))
    client.cookies.clear()
    url = signed_callback(SHOP, shopify_oauth.authorization_code(SHOP), state)

    refused(client.get(url), shopify_oauth, 401)


def test_a_callback_for_an_evil_domain_is_refused(client, shopify_oauth):
    state = state_of(start_install(client))
    evil = "store.myshopify.com.evil.com"

    refused(client.get(signed_callback(evil, "code", state)), shopify_oauth, 400)


def test_a_callback_older_than_a_day_is_refused(client, shopify_oauth):
    state = state_of(start_install(client))
    old = int(time.time()) - 86400 - 60
    url = signed_callback(SHOP, shopify_oauth.authorization_code(SHOP), state, timestamp=old)

    refused(client.get(url), shopify_oauth, 400)


def test_a_code_shopify_refuses_stores_nothing(client, shopify_oauth):
    state = state_of(start_install(client))

    response = client.get(signed_callback(SHOP, "a-code-shopify-never-issued", state))

    assert response.status_code == 400
    assert [call.status for call in shopify_oauth.calls] == [400]
    assert not Shop.objects.exists()
