"""/v1/products and the product rules behind it: upsert, list, get, delete, expiry, the "inline"
catalog source."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from fittingroom.catalog import ProductImageUnavailable, source_named
from fittingroom.generations.models import Generation
from fittingroom.products.models import Product
from fittingroom.products.services import product_category_guess, product_upsert
from fittingroom.products.tasks import products_expire_task
from tests.conftest import image_bytes, render_job
from tests.fittingroom.api.conftest import (
    ApiClient,
    assert_error,
    make_api_account,
    respond,
    try_on_body,
)

pytestmark = pytest.mark.django_db

TEE = {
    "externalId": "tee-1",
    "title": "Crew T-shirt",
    "description": "Combed cotton.",
    "images": ["https://cdn.example.com/tee.png"],
}


def named(account, external_id: str, **fields) -> Product:
    values = {"title": "Tee", "description": "", "images": TEE["images"]} | fields
    product, _ = product_upsert(account=account, external_id=external_id, **values)
    return product


def one_shot(account) -> Product:
    product, _ = product_upsert(
        account=account,
        external_id=None,
        title="",
        description="",
        images=TEE["images"],
        kind=Product.Kind.ONE_SHOT,
    )
    return product


# --- Upsert ----------------------------------------------------------------------------------


def test_posting_a_new_product_creates_it_with_201(api_client):
    response = api_client.post_json("/v1/products", TEE)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["externalId"] == "tee-1"
    assert (body["title"], body["category"], body["images"]) == (
        "Crew T-shirt",
        "tops",
        [{"sourceUrl": url, "role": None, "order": i} for i, url in enumerate(TEE["images"])],
    )
    assert body["lastUsedAt"] is None
    product = Product.objects.get()
    assert product.expires_at > timezone.now() + timedelta(days=14, hours=23)


def test_posting_an_existing_product_replaces_it_with_200(api_client):
    api_client.post_json("/v1/products", TEE)
    update = TEE | {"title": "Pleated Skirt", "images": ["https://cdn.example.com/skirt.png"]}

    response = api_client.post_json("/v1/products", update)

    assert response.status_code == 200, response.content
    product = Product.objects.get()
    assert (product.title, product.category) == ("Pleated Skirt", "bottoms")
    assert product.images == ["https://cdn.example.com/skirt.png"]


def test_posting_a_product_without_images_is_product_images_required(api_client):
    response = api_client.post_json("/v1/products", TEE | {"images": []})

    assert_error(response, 400, "PRODUCT_IMAGES_REQUIRED", "images")


def test_posting_an_invalid_product_names_each_field(api_client):
    body = {
        "title": 5,
        "description": "nul\x00byte",
        "images": ["javascript:alert(1)", "https://cdn.example.com/ok.png"],
    }

    response = api_client.post_json("/v1/products", body)

    details = assert_error(response, 400, "VALIDATION_FAILED")["details"]
    paths = {detail["path"] for detail in details}
    assert paths == {"externalId", "title", "description", "images[0]"}


def test_posting_an_anon_external_id_is_reserved(api_client):
    response = api_client.post_json("/v1/products", TEE | {"externalId": "_anon_mine"})

    assert_error(response, 409, "RESERVED_EXTERNAL_ID")
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    ("title", "description", "category"),
    [
        ("Evening Dress", "", "one-pieces"),
        ("Denim Jumpsuit", "", "one-pieces"),
        ("Slim Jeans", "", "bottoms"),
        ("Pleated skirt", "", "bottoms"),
        ("Oxford Dress Shirt", "", "tops"),
        ("Linen Shirt", "Looks great with jeans.", "tops"),
        ("Shirt Dress", "", "one-pieces"),
        ("Summer Special", "A light dress for warm days.", "one-pieces"),
        ("Summer Special", "", "auto"),  # nothing sure: the model decides
        ("Top Hat", "", "auto"),
        ("Leather Chelsea Boots", "", "auto"),
        ("Runner", "Breathable running shoes.", "auto"),
    ],
)
def test_the_category_is_guessed_from_the_title_then_the_description(title, description, category):
    assert product_category_guess(title=title, description=description) == category


# --- List and get ----------------------------------------------------------------------------


def test_the_list_holds_only_the_accounts_live_named_products_newest_first(api_client):
    account = api_client.account
    named(account, "old")
    named(account, "new")
    named(account, "expired")
    Product.objects.filter(external_id="expired").update(expires_at=timezone.now())
    one_shot(account)
    named(make_api_account("other-customer"), "theirs")

    response = api_client.get("/v1/products")

    assert response.status_code == 200, response.content
    body = response.json()
    assert [item["externalId"] for item in body["data"]] == ["new", "old"]
    assert body["nextCursor"] is None


def test_the_list_is_paged_with_a_cursor(api_client):
    for index in range(5):
        named(api_client.account, f"p{index}")

    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = api_client.get("/v1/products", params).json()
        seen += [item["externalId"] for item in body["data"]]
        pages += 1
        cursor = body["nextCursor"]
        if cursor is None:
            break

    assert seen == ["p4", "p3", "p2", "p1", "p0"]
    assert pages == 3


@pytest.mark.parametrize(
    ("params", "path"),
    [({"limit": 0}, "limit"), ({"limit": 201}, "limit"), ({"cursor": "garbage!"}, "cursor")],
)
def test_a_bad_limit_or_cursor_fails_validation(api_client, params, path):
    assert_error(api_client.get("/v1/products", params), 400, "VALIDATION_FAILED", path)


def test_a_product_is_read_by_its_external_id(api_client):
    named(api_client.account, "tee-1", title="Crew T-shirt")

    response = api_client.get("/v1/products/tee-1")

    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Crew T-shirt"


def test_an_expired_or_foreign_product_is_not_found(api_client):
    named(make_api_account("other-customer"), "theirs")
    named(api_client.account, "expired")
    Product.objects.filter(external_id="expired").update(expires_at=timezone.now())

    assert_error(api_client.get("/v1/products/theirs"), 404, "PRODUCT_NOT_FOUND")
    assert_error(api_client.get("/v1/products/expired"), 404, "PRODUCT_NOT_FOUND")
    assert_error(api_client.delete("/v1/products/theirs"), 404, "PRODUCT_NOT_FOUND")
    assert Product.objects.filter(external_id="theirs").exists()


def test_a_product_whose_id_holds_slashes_is_read_and_deleted_by_it(api_client):
    api_client.post_json("/v1/products", TEE | {"externalId": "shirts/linen/42"})

    read = api_client.get("/v1/products/shirts/linen/42")
    encoded = api_client.get("/v1/products/shirts%2Flinen%2F42")
    deleted = api_client.delete("/v1/products/shirts/linen/42")

    assert read.status_code == 200, read.content
    assert read.json()["externalId"] == "shirts/linen/42"
    assert encoded.json() == read.json()
    assert deleted.status_code == 204
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    "external_id", ["nul%00byte", "line%0Abreak", "x" * 256], ids=["nul", "newline", "too-long"]
)
def test_an_id_no_product_can_have_is_not_found(api_client, external_id):
    path = f"/v1/products/{external_id}"

    assert_error(api_client.get(path), 404, "PRODUCT_NOT_FOUND")
    assert_error(api_client.delete(path), 404, "PRODUCT_NOT_FOUND")


def test_text_the_database_cannot_hold_fails_validation(api_client):
    body = json.dumps(TEE | {"title": "Tee", "images": ["https://cdn.example.com/t.png"]})
    body = body.replace('"Tee"', '"Tee \\ud800"').replace("t.png", "t\\udc00.png")

    response = api_client.client.post("/v1/products", body, content_type="application/json")

    assert_error(response, 400, "VALIDATION_FAILED", "title", "images[0]")
    assert not Product.objects.exists()


# --- Delete, expiry, snapshots ---------------------------------------------------------------


def test_deleting_a_product_answers_204_and_it_is_gone(api_client):
    named(api_client.account, "tee-1")

    response = api_client.delete("/v1/products/tee-1")

    assert response.status_code == 204
    assert response.content == b""
    assert_error(api_client.get("/v1/products/tee-1"), 404, "PRODUCT_NOT_FOUND")
    assert_error(api_client.delete("/v1/products/tee-1"), 404, "PRODUCT_NOT_FOUND")


def test_past_generations_keep_their_snapshot_after_an_edit_and_a_delete(
    api_client, person_image_id, garment_cdn
):
    item = TEE | {"images": [f"{garment_cdn}/tshirt-red.png"]}
    created = api_client.try_on(try_on_body(person_image_id, **item))
    edited = TEE | {"title": "Renamed", "images": [f"{garment_cdn}/dress-black.png"]}
    api_client.post_json("/v1/products", edited)

    api_client.delete("/v1/products/tee-1")
    generation = render_job(created.json()["generationId"])

    assert generation.status == Generation.Status.COMPLETED, generation.error_message
    assert generation.garment_title == "Crew T-shirt"
    assert generation.garment_image_ref == f"{garment_cdn}/tshirt-red.png"
    assert not Product.objects.exists()


def test_expiry_deletes_only_products_past_their_time(api_account):
    keep = named(api_account, "keep")
    named(api_account, "stale")
    old_one_shot = one_shot(api_account)
    Product.objects.exclude(id=keep.id).update(expires_at=timezone.now() - timedelta(minutes=1))

    deleted = products_expire_task()

    assert deleted == 2
    assert list(Product.objects.values_list("external_id", flat=True)) == ["keep"]
    assert not Product.objects.filter(id=old_one_shot.id).exists()
    assert products_expire_task() == 0


# --- The "inline" catalog source -------------------------------------------------------------


def test_the_inline_source_resolves_the_first_image_of_the_accounts_product(api_account):
    named(api_account, "tee-1", images=["https://cdn.example.com/1.png", "https://x.test/2.png"])
    source = source_named("inline")

    garment = source.garment_for(account=api_account, product_id="tee-1", variant_id=None)

    assert garment.image_ref == "https://cdn.example.com/1.png"
    assert (garment.product_id, garment.title, garment.category) == ("tee-1", "Tee", "tops")
    assert source.preview_url(image_ref=garment.image_ref) == garment.image_ref


def test_the_inline_source_loads_images_through_the_guarded_fetcher(image_server, settings):
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = False
    image_server.routes["/tee.png"] = respond(200, image_bytes("PNG", size=(40, 60)))
    source = source_named("inline")

    with pytest.raises(ProductImageUnavailable):
        source.load_image(image_ref=image_server.url("/tee.png"))
    assert image_server.requests == []

    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = True
    image = source.load_image(image_ref=image_server.url("/tee.png"))
    assert (image.mode, image.size) == ("RGBA", (40, 60))


def test_a_different_clients_key_sees_only_its_own_products(api_client):
    api_client.post_json("/v1/products", TEE)
    other = ApiClient(make_api_account("other-customer"))

    assert other.get("/v1/products").json()["data"] == []
    assert_error(other.get("/v1/products/tee-1"), 404, "PRODUCT_NOT_FOUND")
