"""The stand-in for Shopify's AJAX cart that the widget's "Add to cart" posts to."""

import pytest

pytestmark = pytest.mark.django_db


def test_add_js_with_items_adds_the_variant_and_cart_js_reads_it_back(client):
    response = client.post(
        "/cart/add.js", {"items": [{"id": 11003, "quantity": 1}]}, content_type="application/json"
    )

    assert response.status_code == 200
    assert response.json()["items"][0]["variant_id"] == 11003
    cart = client.get("/cart.js").json()
    assert cart["item_count"] == 1
    assert [(item["variant_id"], item["quantity"]) for item in cart["items"]] == [(11003, 1)]
    assert cart["total_price"] == 2400


def test_adding_twice_adds_up_and_the_single_item_shape_works(client):
    client.post("/cart/add.js", {"id": 12002, "quantity": 2}, content_type="application/json")
    client.post("/cart/add.js", {"id": "12002"}, content_type="application/json")

    assert client.get("/cart.js").json()["items"][0]["quantity"] == 3


@pytest.mark.parametrize(
    "body",
    [
        {"items": [{"id": 424242, "quantity": 1}]},
        {"items": [{"id": "x"}]},
        {"items": [{"quantity": 1}]},
        {"id": 11001, "quantity": 0},
        [1, 2],
        "text",
    ],
)
def test_bad_or_unknown_variants_are_a_422_not_a_500(client, body):
    response = client.post("/cart/add.js", body, content_type="application/json")

    assert response.status_code == 422
    assert response.json()["description"] == "Cannot find variant"
    assert client.get("/cart.js").json()["item_count"] == 0


def test_malformed_json_is_a_422(client):
    response = client.post("/cart/add.js", "{nope", content_type="application/json")

    assert response.status_code == 422


def test_the_product_forms_own_submit_adds_and_shows_the_cart(client):
    response = client.post("/cart/add", {"id": "13002", "quantity": "1"})

    assert response.status_code == 302
    assert "Field Jacket - Olive" in client.get(response["Location"]).content.decode()
