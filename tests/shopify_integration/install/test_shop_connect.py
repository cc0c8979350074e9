"""`manage.py shop_connect`: a custom app's store with a static Admin API token."""

import io

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from shopify_integration.models import Shop
from shopify_integration.tokens import decrypt, shop_access_token

pytestmark = pytest.mark.django_db
SHOP = "custom-store.myshopify.com"
TOKEN = "shpat_0123456789abcdef0123456789abcdef"


def connect(*args: str) -> str:
    out = io.StringIO()
    call_command("shop_connect", *args, stdout=out)
    return out.getvalue()


def test_it_creates_an_installed_shop_billed_outside_shopify():
    output = connect("--shop", SHOP, "--token", TOKEN, "--quota", "1000")

    shop = Shop.objects.select_related("account").get(domain=SHOP)
    assert shop.is_installed and shop.installed_at is not None
    assert (shop.billing_status, shop.plan_name) == (Shop.Billing.ACTIVE, "Custom")
    assert shop.account.catalog_source == "shopify"
    assert shop.account.quota_limit == 1000
    assert shop.access_token_expires_at is None and shop.refresh_token_encrypted == ""
    assert shop_access_token(shop=shop) == TOKEN
    assert "created" in output and SHOP in output and "1000" in output
    assert TOKEN not in output
    assert TOKEN not in shop.access_token_encrypted


def test_a_new_shop_without_quota_gets_the_free_allowance():
    connect("--shop", SHOP, "--token", TOKEN)

    assert Shop.objects.get(domain=SHOP).account.quota_limit == settings.FREE_MONTHLY_ALLOWANCE


def test_it_updates_an_existing_shop_and_keeps_its_quota_unless_given(shop):
    shop.needs_reauth, shop.is_installed = True, False
    shop.save()

    output = connect("--shop", shop.domain.upper(), "--token", "shpat_new")

    shop.refresh_from_db()
    shop.account.refresh_from_db()
    assert "updated" in output and "shpat_new" not in output
    assert decrypt(shop.access_token_encrypted) == "shpat_new"
    assert shop.is_installed and not shop.needs_reauth
    assert (shop.plan_name, shop.account.catalog_source) == ("Custom", "shopify")
    assert shop.account.quota_limit == 500
    assert Shop.objects.count() == 1

    connect("--shop", shop.domain, "--token", "shpat_newer", "--quota", "50")

    shop.account.refresh_from_db()
    assert shop.account.quota_limit == 50


@pytest.mark.parametrize(
    "args",
    [
        ["--shop", "store.myshopify.com.evil.com", "--token", TOKEN],
        ["--shop", SHOP, "--token", "  "],
        ["--shop", SHOP, "--token", TOKEN, "--quota", "-1"],
    ],
)
def test_it_refuses_bad_arguments_and_creates_nothing(args):
    with pytest.raises(CommandError):
        connect(*args)

    assert not Shop.objects.exists()
