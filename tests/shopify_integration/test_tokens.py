"""Expiring offline tokens: refreshed once, under a per-shop lock, against the OAuth emulator.

The race runs real threads, each with its own database connection: on PostgreSQL (DATABASE_URL)
the second waits on the first's SELECT … FOR UPDATE, on the embedded SQLite on its IMMEDIATE
transaction; either way it then finds the fresh token and makes no call of its own.
"""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connection

from shopify_integration.models import Shop
from shopify_integration.tokens import (
    IssuedToken,
    ShopifyUnavailable,
    ShopReauthRequired,
    decrypt,
    shop_access_token,
    shop_tokens_store,
)
from tests.conftest import make_shop
from tests.emulators.shopify_oauth import shopify_oauth as shopify_oauth_fixture  # noqa: F401


def expiring_soon(shop: Shop, issued: dict) -> Shop:
    """Store `issued` as if it had been handed out 59 minutes ago (inside the refresh margin)."""
    shop_tokens_store(shop=shop, token=IssuedToken.from_response(issued | {"expires_in": 60}))
    return shop


@pytest.mark.django_db(transaction=True)
def test_two_workers_refreshing_at_once_make_exactly_one_call(shopify_oauth):
    shop = make_shop("race-refresh.myshopify.com")
    expiring_soon(shop, shopify_oauth.grant_offline_token(shop.domain))
    shopify_oauth.delay_next(1, 0.5)  # the first refresh is slow: the other must wait for it
    barrier = Barrier(2)

    def worker(_: int) -> str:
        try:
            mine = Shop.objects.get(id=shop.id)
            barrier.wait(timeout=10)
            return shop_access_token(shop=mine)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        tokens = list(pool.map(worker, range(2)))

    assert [(call.grant, call.status) for call in shopify_oauth.calls] == [("refresh_token", 200)]
    new = shopify_oauth.issued[-1]
    assert tokens == [new["access_token"], new["access_token"]]
    shop.refresh_from_db()
    assert decrypt(shop.refresh_token_encrypted) == new["refresh_token"]
    assert decrypt(shop.access_token_encrypted) == new["access_token"]


@pytest.mark.django_db
def test_a_fresh_token_is_used_without_calling_shopify(shopify_oauth):
    shop = make_shop("fresh.myshopify.com")
    issued = shopify_oauth.grant_offline_token(shop.domain)
    shop_tokens_store(shop=shop, token=IssuedToken.from_response(issued))

    assert shop_access_token(shop=shop) == issued["access_token"]
    assert shopify_oauth.calls == []


@pytest.mark.django_db
def test_a_refresh_rotates_the_refresh_token_and_the_old_one_stops_working(shopify_oauth):
    shop = make_shop("rotate.myshopify.com")
    old = shopify_oauth.grant_offline_token(shop.domain)
    expiring_soon(shop, old)

    shop_access_token(shop=shop)

    shop.refresh_from_db()
    assert decrypt(shop.refresh_token_encrypted) == shopify_oauth.issued[-1]["refresh_token"]
    assert decrypt(shop.refresh_token_encrypted) != old["refresh_token"]
    assert shop.access_token_expires_at is not None
    expiring_soon(shop, old)  # a stale copy of the old pair
    with pytest.raises(ShopReauthRequired):
        shop_access_token(shop=shop)
    assert shopify_oauth.calls[-1].status == 400


@pytest.mark.django_db
def test_a_refused_refresh_marks_the_shop_for_reauth(shopify_oauth):
    shop = make_shop("refused.myshopify.com")
    expiring_soon(shop, shopify_oauth.grant_offline_token(shop.domain))
    shopify_oauth.revoke_refresh_tokens(shop.domain)

    with pytest.raises(ShopReauthRequired):
        shop_access_token(shop=shop)

    assert [call.status for call in shopify_oauth.calls] == [400]
    assert Shop.objects.get(id=shop.id).needs_reauth


@pytest.mark.django_db
def test_a_refused_refresh_raises_reauth_required(shopify_oauth):
    shop = make_shop("refused-raise.myshopify.com")
    expiring_soon(shop, shopify_oauth.grant_offline_token(shop.domain))
    shopify_oauth.revoke_refresh_tokens(shop.domain)

    with pytest.raises(ShopReauthRequired):
        shop_access_token(shop=shop)


@pytest.mark.django_db
@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_shopify_outage_during_refresh_raises_unavailable_without_marking(shopify_oauth, status):
    shop = make_shop("outage.myshopify.com")
    issued = shopify_oauth.grant_offline_token(shop.domain)
    expiring_soon(shop, issued)
    shopify_oauth.fail_next(1, status=status)

    with pytest.raises(ShopifyUnavailable):
        shop_access_token(shop=shop)

    shop.refresh_from_db()
    assert not shop.needs_reauth
    assert decrypt(shop.refresh_token_encrypted) == issued["refresh_token"]
    # The refresh token was not spent: the next attempt succeeds.
    assert shop_access_token(shop=shop) == shopify_oauth.issued[-1]["access_token"]


@pytest.mark.django_db
def test_a_shop_marked_for_reauth_is_not_refreshed(shopify_oauth):
    shop = make_shop("marked.myshopify.com", needs_reauth=True)

    with pytest.raises(ShopReauthRequired):
        shop_access_token(shop=shop)

    assert shopify_oauth.calls == []


@pytest.mark.django_db
def test_tokens_at_rest_are_encrypted_and_decrypt_back(shopify_oauth):
    shop = make_shop("at-rest.myshopify.com")
    issued = shopify_oauth.grant_offline_token(shop.domain)
    shop_tokens_store(shop=shop, token=IssuedToken.from_response(issued))

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token_encrypted, refresh_token_encrypted FROM shopify_integration_shop"
            " WHERE id = %s",
            [shop.id],
        )
        access, refresh = cursor.fetchone()
    assert issued["access_token"] not in access and issued["refresh_token"] not in refresh
    assert (decrypt(access), decrypt(refresh)) == (issued["access_token"], issued["refresh_token"])
