"""The demo storefront's own words follow ?locale=, its language links keep the chosen colour,
and it says when try-ons are the local engine's no-AI preview."""

import re
from html import unescape

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db
JACKET = "/products/field-jacket"


def test_french_words_under_locale_fr(client):
    html = client.get(f"{JACKET}?locale=fr&variant=13002").content.decode()

    for words in ("Couleur", "Ajouter au panier", "Panier (", "photo de démonstration"):
        assert words in html, words
    assert "selected>Olive" in html and ">Denim<" in html
    assert "zippée en olive" in unescape(html)
    for english in (">Colour<", ">Add to cart<", "Cart (", "No photo at hand"):
        assert english not in html, english


def test_the_language_links_keep_the_colour(client):
    html = client.get(f"{JACKET}?variant=13002").content.decode()

    links = dict(re.findall(r'<a href="([^"]+)" hreflang="(\w+)"', html))
    assert {unescape(href): code for href, code in links.items()} == {
        "?variant=13002&locale=en": "en",
        "?variant=13002&locale=fr": "fr",
        "?variant=13002&locale=es": "es",
        "?variant=13002&locale=de": "de",
    }


def test_the_jacket_description_matches_its_pictures(client):
    html = client.get(JACKET).content.decode()

    assert "the denim one buttons up" in html and "the olive one zips" in html
    assert "stand collar" not in html


def test_the_store_says_local_try_ons_are_a_no_ai_preview(client, settings):
    call_command("demo_seed", verbosity=0)

    local = client.get("/?locale=de").content.decode()
    settings.TRYON_ENGINE = "fashn"
    hosted = client.get("/").content.decode()

    assert 'id="engine-preview"' in local and "Vorschau ohne KI" in local
    assert 'id="engine-preview"' not in hosted
