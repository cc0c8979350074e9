"""The embedded admin page: Shopify loads it in the admin's iframe with a session token."""

import time
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from fittingroom.accounts.models import Account
from shopify_integration.models import Shop
from shopify_integration.tokens import IssuedToken, decrypt, shop_tokens_store
from tests.emulators.shopify_oauth import session_token
from tests.emulators.shopify_oauth import shopify_oauth as shopify_oauth_fixture  # noqa: F401

pytestmark = pytest.mark.django_db
SHOP = "new-store.myshopify.com"


def open_app(client, token: str, shop: str = SHOP, **extra):
    query = {"shop": shop, "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvbmV3LXN0b3Jl", "embedded": "1"}
    return client.get(f"/shopify/app?{urlencode(query | {'id_token': token} | extra)}")


def test_the_first_load_installs_the_shop_and_exchanges_the_session_token_once(
    client, shopify_oauth
):
    token = session_token(SHOP)

    response = open_app(client, token)

    assert response.status_code == 200
    shop = Shop.objects.select_related("account").get(domain=SHOP)
    assert shop.is_installed and shop.installed_at is not None
    assert shop.billing_status == Shop.Billing.NONE
    assert (shop.account.name, shop.account.kind) == (SHOP, Account.Kind.SHOP)
    assert shop.account.catalog_source == "shopify"
    assert shop.account.quota_limit == settings.FREE_MONTHLY_ALLOWANCE
    [call] = shopify_oauth.calls
    assert (call.shop, call.grant, call.status) == (SHOP, "token_exchange", 200)
    assert call.form["subject_token"] == token
    assert call.form["expiring"] == "1"
    issued = shopify_oauth.issued[-1]
    assert decrypt(shop.access_token_encrypted) == issued["access_token"]
    assert decrypt(shop.refresh_token_encrypted) == issued["refresh_token"]
    assert shop.access_token_expires_at is not None


def test_a_second_load_uses_the_stored_token_without_another_exchange(client, shopify_oauth):
    assert open_app(client, session_token(SHOP)).status_code == 200

    response = open_app(client, session_token(SHOP))

    assert response.status_code == 200
    assert len(shopify_oauth.calls) == 1
    assert Shop.objects.filter(domain=SHOP).count() == 1


def test_a_shop_that_needs_reauth_gets_a_new_token_on_the_next_load(client, shopify_oauth):
    open_app(client, session_token(SHOP))
    Shop.objects.filter(domain=SHOP).update(needs_reauth=True)

    assert open_app(client, session_token(SHOP)).status_code == 200

    assert len(shopify_oauth.calls) == 2
    assert not Shop.objects.get(domain=SHOP).needs_reauth


def test_a_reinstall_marks_the_shop_installed_and_replaces_the_revoked_token(client, shopify_oauth):
    open_app(client, session_token(SHOP))
    Shop.objects.filter(domain=SHOP).update(is_installed=False, uninstalled_at=timezone.now())

    assert open_app(client, session_token(SHOP)).status_code == 200

    shop = Shop.objects.get(domain=SHOP)
    assert shop.is_installed and shop.uninstalled_at is None
    assert len(shopify_oauth.calls) == 2
    assert decrypt(shop.access_token_encrypted) == shopify_oauth.issued[-1]["access_token"]


def test_a_static_token_counts_as_usable(client, shopify_oauth, shop):
    shop_tokens_store(shop=shop, token=IssuedToken(access_token="shpat_static"))

    assert open_app(client, session_token(shop.domain), shop=shop.domain).status_code == 200

    assert shopify_oauth.calls == []


def test_the_page_can_be_framed_by_the_shops_admin_only(client, shopify_oauth):
    response = open_app(client, session_token(SHOP))

    assert response["Content-Security-Policy"] == (
        f"frame-ancestors https://{SHOP} https://admin.shopify.com;"
    )
    assert "X-Frame-Options" not in response
    assert response["Cache-Control"] == "no-store"


def test_the_page_loads_app_bridge_with_our_client_id(client, shopify_oauth):
    html = open_app(client, session_token(SHOP)).content.decode()

    api_key = settings.SHOPIFY_API_KEY
    assert (
        '<script src="https://cdn.shopify.com/shopifycloud/app-bridge.js" '
        f'data-api-key="{api_key}"></script>'
    ) in html
    assert f'<meta name="shopify-api-key" content="{api_key}">' in html
    assert html.index("app-bridge.js") < html.index("<script>")  # App Bridge comes first
    assert 'id="initial-settings"' in html
    assert "/shopify/billing/subscribe" in html


# A missing or expired token is sent to the bounce page instead (test_session_token_bounce.py).
@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda: "not-a-jwt", id="garbage"),
        pytest.param(lambda: session_token(SHOP, secret="x" * 40), id="wrong-secret"),
        pytest.param(
            lambda: session_token(SHOP, secret="x" * 40, issued_at=time.time() - 3600),
            id="expired-and-wrong-secret",
        ),
        pytest.param(lambda: session_token(SHOP, audience="someone-else"), id="wrong-audience"),
        pytest.param(
            lambda: session_token(SHOP, issuer_shop="other-store.myshopify.com"),
            id="issued-by-another-shop",
        ),
        pytest.param(lambda: session_token("store.myshopify.com.evil.com"), id="evil-domain"),
    ],
)
def test_a_bad_session_token_gets_the_open_from_admin_page_and_creates_nothing(
    client, shopify_oauth, make_token
):
    response = open_app(client, make_token())

    assert response.status_code == 401
    assert "Open the app from your Shopify admin" in response.content.decode()
    assert "X-Frame-Options" not in response
    assert not Shop.objects.exists() and not Account.objects.exists()
    assert shopify_oauth.calls == []


def test_a_token_for_one_shop_cannot_open_the_page_of_another(client, shopify_oauth):
    response = open_app(client, session_token(SHOP), shop="other-store.myshopify.com")

    assert response.status_code == 401
    assert not Shop.objects.exists()


def test_when_shopify_refuses_the_exchange_nothing_is_created(client, shopify_oauth):
    shopify_oauth.fail_next(1, status=400, error="invalid_subject_token")

    response = open_app(client, session_token(SHOP))

    assert response.status_code == 401
    assert not Shop.objects.exists() and not Account.objects.exists()


def test_when_shopify_is_down_the_page_says_so_and_creates_nothing(client, shopify_oauth):
    shopify_oauth.fail_next(1, status=502)

    response = open_app(client, session_token(SHOP))

    assert response.status_code == 503
    assert "could not be reached" in response.content.decode()
    assert not Shop.objects.exists()


def test_tokens_at_rest_are_not_plaintext_in_the_database_row(client, shopify_oauth):
    open_app(client, session_token(SHOP))
    issued = shopify_oauth.issued[-1]

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM shopify_integration_shop WHERE domain = %s", [SHOP])
        row = " ".join(str(value) for value in cursor.fetchone())
    assert issued["access_token"] not in row
    assert issued["refresh_token"] not in row
    assert "shpat_" not in row and "shprt_" not in row
