"""The demo storefront: mounted only in local runs, rendering the Liquid block's markup."""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import Resolver404, resolve

from config.urls import build_urlpatterns
from tests.conftest import ROOT

LIQUID_BLOCK = ROOT / "extensions" / "fitting-room" / "blocks" / "try-on-button.liquid"


class BlockFinder(HTMLParser):
    """Collects the attributes of the first element with `data-fitting-room`."""

    def __init__(self) -> None:
        super().__init__()
        self.block: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if self.block is None and any(name == "data-fitting-room" for name, _ in attrs):
            self.block = dict(attrs)


def block_of(html: str) -> dict[str, str | None]:
    finder = BlockFinder()
    finder.feed(html)
    assert finder.block is not None, "no [data-fitting-room] element on the page"
    return finder.block


def liquid_block_attributes() -> set[str]:
    source = LIQUID_BLOCK.read_text()
    element = re.search(r"<div\s(.*?)>", source, re.S).group(1)
    return set(re.findall(r"\b((?:data-[a-z-]+)|class|style)\b(?==|\s)", element))


def test_the_storefront_is_mounted_only_with_debug(settings):
    debug_patterns = build_urlpatterns(debug=True)
    production_patterns = build_urlpatterns(debug=False)

    assert resolve("/", urlconf=_Urls(debug_patterns)).url_name == "storefront-index"
    assert resolve("/cart/add.js", urlconf=_Urls(debug_patterns)).url_name
    for path in ("/", "/products/classic-crew-tee", "/cart.js", "/cart/add.js"):
        with pytest.raises(Resolver404):
            resolve(path, urlconf=_Urls(production_patterns))


class _Urls:
    def __init__(self, patterns: list) -> None:
        self.urlpatterns = patterns


@pytest.mark.django_db
def test_the_index_lists_every_demo_garment(client: Client):
    html = client.get("/").content.decode()

    for handle in ("classic-crew-tee", "evening-dress", "field-jacket"):
        assert f"/products/{handle}" in html
    assert "/static/demo/garments/tshirt-white.png" in html


@pytest.mark.django_db
def test_a_product_page_carries_the_blocks_data_attributes(client: Client):
    html = client.get("/products/classic-crew-tee?variant=11002&locale=fr").content.decode()
    block = block_of(html)

    assert block["data-product-id"] == "gid://shopify/Product/1001"
    assert block["data-variant-id"] == "gid://shopify/ProductVariant/11002"
    assert block["data-product-title"] == "Classic Crew T-shirt"
    assert block["data-locale"] == "fr"
    assert block["data-proxy-base"] == "/apps/fitting-room"
    assert block["data-shop-root"] == "/"
    assert block["data-customer"] == "false"
    assert '<option value="11002" ' in html and "selected>Marine" in html  # French: ?locale=fr
    assert '<script src="/static/widget/fitting-room.js" defer>' in html


@pytest.mark.django_db
def test_the_page_renders_the_same_attributes_as_the_liquid_block(client: Client):
    rendered = set(block_of(client.get("/products/evening-dress").content.decode()))

    assert rendered == liquid_block_attributes()


@pytest.mark.django_db
def test_an_unknown_variant_falls_back_to_the_first_and_an_unknown_product_is_404(client):
    block = block_of(client.get("/products/field-jacket?variant=999").content.decode())

    assert block["data-variant-id"] == "gid://shopify/ProductVariant/13001"
    assert client.get("/products/no-such-thing").status_code == 404


@pytest.mark.django_db
def test_the_widget_assets_are_served_as_static_files(client: Client):
    from django.contrib.staticfiles import finders

    assert finders.find("widget/fitting-room.js")
    assert finders.find("widget/fitting-room.css")
