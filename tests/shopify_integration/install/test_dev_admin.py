"""The development stand-in for the Shopify admin's frame: opens the demo shop's merchant page
in local runs, and exists nowhere else."""

import re
from html import unescape

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, resolve

from config.urls import build_urlpatterns
from shopify_integration.session_token import decode_session_token
from tests.conftest import DEMO_DOMAIN
from tests.shopify_integration.storefront.test_pages import _Urls

pytestmark = pytest.mark.django_db
APP_BRIDGE_CDN = "https://cdn.shopify.com/shopifycloud/app-bridge.js"


def frame_src(client: Client) -> str:
    html = client.get("/dev/shopify-admin/").content.decode()
    return unescape(re.search(r'<iframe id="app-frame"[^>]* src="([^"]+)"', html).group(1))


def test_the_stand_in_frames_the_demo_shops_page_with_a_valid_session_token(client):
    call_command("demo_seed", verbosity=0)

    src = frame_src(client)
    token = re.search(r"id_token=([^&]+)", src).group(1)
    page = client.get(src)

    assert decode_session_token(token).shop == DEMO_DOMAIN
    assert page.status_code == 200
    html = page.content.decode()
    assert '<script src="/dev/shopify-admin/app-bridge.js">' in html
    assert APP_BRIDGE_CDN not in html
    assert page["Content-Security-Policy"].endswith(" 'self';")


def test_its_app_bridge_hands_out_fresh_tokens_the_merchant_api_accepts(client):
    call_command("demo_seed", verbosity=0)
    script = client.get("/dev/shopify-admin/app-bridge.js")
    token = client.get("/dev/shopify-admin/id-token").json()["token"]

    settings_answer = client.get("/shopify/api/settings", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert script["Content-Type"].startswith("text/javascript")
    assert "/dev/shopify-admin/id-token" in script.content.decode()
    assert settings_answer.status_code == 200


def test_the_page_opened_by_shopify_keeps_shopifys_app_bridge_and_frame(client):
    call_command("demo_seed", verbosity=0)
    src = frame_src(client).replace("&dev_admin=1", "")

    page = client.get(src)

    assert APP_BRIDGE_CDN in page.content.decode()
    assert "'self'" not in page["Content-Security-Policy"]


def test_production_has_no_stand_in_and_ignores_its_flag(client, settings):
    call_command("demo_seed", verbosity=0)
    src = frame_src(client)
    settings.DEV_ROUTES = False

    page = client.get(src)

    with pytest.raises(Resolver404):
        resolve("/dev/shopify-admin/", urlconf=_Urls(build_urlpatterns(debug=False)))
    assert APP_BRIDGE_CDN in page.content.decode()
    assert "'self'" not in page["Content-Security-Policy"]


def test_the_page_says_local_try_ons_are_a_no_ai_preview(client, settings):
    call_command("demo_seed", verbosity=0)
    src = frame_src(client)

    local = client.get(src).content.decode()
    settings.TRYON_ENGINE = "fashn"
    hosted = client.get(src).content.decode()

    assert "no-AI preview" in local
    assert "no-AI preview" not in hosted
