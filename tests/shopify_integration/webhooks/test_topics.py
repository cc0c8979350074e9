"""What each topic does, through the endpoint and the task body the worker runs."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from fittingroom.accounts.models import Account
from fittingroom.generations.models import Generation
from fittingroom.generations.services import generation_render
from fittingroom.generations.services.shoppers import REDACTED_IP
from fittingroom.images.models import PersonImage
from shopify_integration.catalog import ShopifyCatalog
from shopify_integration.models import CustomerDataRequest, Shop, WebhookDelivery
from shopify_integration.tokens import IssuedToken, shop_tokens_store
from shopify_integration.webhooks.tasks import webhook_process
from tests.conftest import SignedProxyClient, image_bytes, make_shop
from tests.shopify_integration.webhooks.shopify_webhooks import (
    app_uninstalled_payload,
    customers_redact_payload,
    data_request_payload,
    product_delete_payload,
    product_update_payload,
    shop_redact_payload,
)

pytestmark = pytest.mark.django_db
TSHIRT = "gid://shopify/Product/1001"


def try_on(proxy: SignedProxyClient, person_jpeg: bytes, customer_id: str) -> Generation:
    """A logged-in customer uploads a photo and gets a rendered try-on."""
    shopper = proxy.as_(customer_id=customer_id)
    upload = shopper.upload(person_jpeg)
    assert upload.status_code == 201, upload.content
    body = {"userImageId": upload.json()["fileId"], "productId": TSHIRT}
    response = shopper.post_json("fitting-room", body)
    assert response.status_code == 200, response.content
    generation_render(generation_id=response.json()["jobId"])
    generation = Generation.objects.get(id=response.json()["jobId"])
    assert generation.status == Generation.Status.COMPLETED, generation.error_code
    return generation


def stored_files(*generations: Generation) -> list[str]:
    names = []
    for generation in generations:
        names += [generation.result_image.name, generation.person_image.image.name]
    return names


# --- app/uninstalled ---------------------------------------------------------------------------
def test_after_app_uninstalled_the_shops_proxy_requests_create_nothing(
    webhooks, shop, proxy, person_jpeg
):
    shop_tokens_store(shop=shop, token=IssuedToken(access_token="shpat_x", refresh_token="r"))
    assert proxy.upload(person_jpeg).status_code == 201

    delivery = webhooks.deliver(
        "app/uninstalled", app_uninstalled_payload(shop.domain), shop=shop.domain
    )

    assert (delivery.processed_at is not None, delivery.error) == (True, "")
    response = proxy.upload(person_jpeg)
    assert response.status_code == 403
    assert response.json()["code"] == "SHOP_NOT_INSTALLED"
    assert PersonImage.objects.count() == 1
    shop.refresh_from_db()
    assert shop.is_installed is False
    assert shop.uninstalled_at is not None
    assert shop.billing_status == Shop.Billing.CANCELLED
    assert shop.access_token_encrypted == shop.refresh_token_encrypted == ""
    assert shop.access_token_expires_at is None


def test_an_uninstall_that_arrived_before_the_latest_install_is_ignored(webhooks, shop):
    response = webhooks.send(
        "app/uninstalled",
        app_uninstalled_payload(shop.domain),
        shop=shop.domain,
        webhook_id="late",
    )
    assert response.status_code == 200
    shop.installed_at = timezone.now() + timedelta(seconds=1)  # reinstalled meanwhile
    shop.save()

    webhook_process(WebhookDelivery.objects.get(webhook_id="late").id)

    shop.refresh_from_db()
    assert shop.is_installed is True
    assert shop.billing_status == Shop.Billing.ACTIVE


# --- products/update and products/delete -------------------------------------------------------
@pytest.fixture
def real_store(db, shopify_admin) -> Shop:
    shop = make_shop("real-store.myshopify.com")
    shop.account.catalog_source = "shopify"
    shop.account.save()
    shop_tokens_store(shop=shop, token=IssuedToken(access_token="shpat_static"))
    shopify_admin.tokens[shop.domain] = "shpat_static"
    shopify_admin.add_product(
        shop.domain,
        "gid://shopify/Product/788032119674292922",
        title="Example T-Shirt",
        product_type="Shirts",
        featured_image_url="https://cdn.shopify.com/s/files/1/tshirt.png",
        variants=[("gid://shopify/ProductVariant/642667041472713922", None)],
    )
    return shop


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        ("products/update", product_update_payload()),
        ("products/delete", product_delete_payload()),  # carries only the numeric id
    ],
)
def test_a_product_webhook_makes_the_next_try_on_ask_shopify_again(
    webhooks, real_store, shopify_admin, topic, payload
):
    catalog, gid = ShopifyCatalog(), "gid://shopify/Product/788032119674292922"
    for _ in range(3):
        catalog.garment_for(account=real_store.account, product_id=gid, variant_id=None)
    assert len(shopify_admin.calls) == 1  # cached
    shopify_admin.update_product(real_store.domain, gid, title="Example Dress")

    delivery = webhooks.deliver(topic, payload, shop=real_store.domain)

    assert delivery.error == ""
    garment = catalog.garment_for(account=real_store.account, product_id=gid, variant_id=None)
    assert len(shopify_admin.calls) == 2
    assert garment.title == "Example Dress"


# --- customers/data_request --------------------------------------------------------------------
def test_a_data_request_stores_that_customers_images_and_try_ons_and_no_one_elses(
    webhooks, shop, proxy, person_jpeg
):
    theirs = try_on(proxy, person_jpeg, "191167")
    others = try_on(proxy, person_jpeg, "42")

    webhooks.deliver("customers/data_request", data_request_payload(shop.domain), shop=shop.domain)

    request = CustomerDataRequest.objects.get()
    assert (request.shop, request.customer_id, request.data_request_id) == (shop, "191167", "9999")
    export = request.export
    assert [image["id"] for image in export["person_images"]] == [theirs.person_image_id]
    assert [generation["id"] for generation in export["generations"]] == [theirs.id]
    assert export["generations"][0]["status"] == "COMPLETED"
    assert export["generations"][0]["product_id"] == TSHIRT
    assert others.id not in str(export)
    assert others.person_image_id not in str(export)


def test_contact_details_are_not_kept_once_a_data_request_is_handled(webhooks, shop):
    delivery = webhooks.deliver(
        "customers/data_request", data_request_payload(shop.domain), shop=shop.domain
    )

    assert delivery.payload["customer"] == {"id": 191167}
    assert "john@example.com" not in str(delivery.payload)


# --- customers/redact --------------------------------------------------------------------------
def test_a_customer_redaction_deletes_their_files_and_anonymises_their_try_ons(
    webhooks, shop, proxy, person_jpeg
):
    theirs = try_on(proxy, person_jpeg, "191167")
    others = try_on(proxy, person_jpeg, "42")
    their_files, other_files = stored_files(theirs), stored_files(others)
    assert all(default_storage.exists(name) for name in their_files + other_files)

    delivery = webhooks.deliver(
        "customers/redact", customers_redact_payload(shop.domain), shop=shop.domain
    )

    assert delivery.error == ""
    assert not any(default_storage.exists(name) for name in their_files)
    assert all(default_storage.exists(name) for name in other_files)
    theirs.refresh_from_db()
    assert theirs.shopper_key == "redacted"
    assert theirs.client_ip == REDACTED_IP
    assert (theirs.result_image.name, theirs.person_image) == ("", None)
    assert theirs.status == Generation.Status.COMPLETED  # still counted as usage
    assert not PersonImage.objects.filter(shopper_key="customer:191167").exists()
    others.refresh_from_db()
    assert others.shopper_key == "customer:42"
    assert others.person_image is not None
    assert delivery.payload["customer"] == {"id": 191167}


def test_a_customer_redaction_also_deletes_that_customers_earlier_exports(webhooks, shop):
    webhooks.deliver("customers/data_request", data_request_payload(shop.domain), shop=shop.domain)
    webhooks.deliver(
        "customers/data_request", data_request_payload(shop.domain, 42), shop=shop.domain
    )

    webhooks.deliver("customers/redact", customers_redact_payload(shop.domain), shop=shop.domain)

    assert list(CustomerDataRequest.objects.values_list("customer_id", flat=True)) == ["42"]


def test_a_compliance_payload_naming_another_shop_changes_nothing(
    webhooks, shop, other_shop, proxy, person_jpeg
):
    generation = try_on(proxy, person_jpeg, "191167")

    # A body Shopify signed for one shop, replayed with another shop's domain in the header.
    response = webhooks.send(
        "customers/redact", customers_redact_payload(other_shop.domain), shop=shop.domain
    )

    assert response.status_code == 400
    assert "does not match" in response.json()["details"][0]["message"]
    assert not WebhookDelivery.objects.exists()
    assert all(default_storage.exists(name) for name in stored_files(generation))


def test_a_customer_redaction_replayed_as_shop_redact_deletes_nothing(webhooks, shop):
    response = webhooks.send("shop/redact", customers_redact_payload(shop.domain), shop=shop.domain)

    assert response.status_code == 400
    assert "does not match" in response.json()["details"][0]["message"]
    assert Shop.objects.filter(id=shop.id).exists()


# --- shop/redact -------------------------------------------------------------------------------
def test_a_shop_redaction_deletes_everything_of_the_shop_and_nothing_of_another(
    webhooks, shop, other_shop, client, person_jpeg
):
    ours = try_on(SignedProxyClient(client, shop=shop.domain), person_jpeg, "191167")
    theirs = try_on(SignedProxyClient(client, shop=other_shop.domain), person_jpeg, "191167")
    shop.account.watermark_logo.save("logo.png", ContentFile(image_bytes("PNG")), save=True)
    our_files = [*stored_files(ours), shop.account.watermark_logo.name]
    assert all(default_storage.exists(name) for name in our_files)
    webhooks.deliver("customers/data_request", data_request_payload(shop.domain), shop=shop.domain)
    webhooks.deliver(
        "customers/data_request", data_request_payload(other_shop.domain), shop=other_shop.domain
    )

    delivery = webhooks.deliver("shop/redact", shop_redact_payload(shop.domain), shop=shop.domain)

    assert delivery.error == ""
    assert not Shop.objects.filter(domain=shop.domain).exists()
    assert not Account.objects.filter(id=shop.account_id).exists()
    assert not Generation.objects.filter(account_id=shop.account_id).exists()
    assert not PersonImage.objects.filter(account_id=shop.account_id).exists()
    assert not any(default_storage.exists(name) for name in our_files)
    assert all(default_storage.exists(name) for name in stored_files(theirs))
    assert Generation.objects.filter(account_id=other_shop.account_id).count() == 1
    assert CustomerDataRequest.objects.get().shop == other_shop
    # Only the redaction itself is left on record for the shop.
    assert list(WebhookDelivery.objects.filter(shop_domain=shop.domain)) == [delivery]


# --- every topic -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        ("app/uninstalled", app_uninstalled_payload),
        ("customers/data_request", data_request_payload),
        ("customers/redact", customers_redact_payload),
        ("shop/redact", shop_redact_payload),
    ],
)
def test_running_the_task_twice_is_harmless(webhooks, shop, proxy, person_jpeg, topic, payload):
    try_on(proxy, person_jpeg, "191167")
    delivery = webhooks.deliver(topic, payload(shop.domain), shop=shop.domain)
    after_first = _snapshot()

    webhook_process(delivery.id)  # a redelivered message: skipped, already processed
    WebhookDelivery.objects.filter(id=delivery.id).update(processed_at=None)
    webhook_process(delivery.id)  # even doing the work a second time

    assert _snapshot() == after_first
    delivery.refresh_from_db()
    assert delivery.processed_at is not None


def _snapshot() -> dict:
    return {
        "shops": list(Shop.objects.values("domain", "is_installed", "billing_status")),
        "generations": list(Generation.objects.values("id", "shopper_key", "result_image")),
        "images": list(PersonImage.objects.values_list("id", flat=True)),
        "exports": list(CustomerDataRequest.objects.values("customer_id", "export")),
    }


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        ("app/uninstalled", app_uninstalled_payload("gone.myshopify.com")),
        ("products/update", product_update_payload()),
        ("customers/data_request", data_request_payload("gone.myshopify.com")),
        ("customers/redact", customers_redact_payload("gone.myshopify.com")),
        ("shop/redact", shop_redact_payload("gone.myshopify.com")),
    ],
)
def test_a_webhook_for_a_shop_we_do_not_know_is_simply_marked_processed(webhooks, topic, payload):
    delivery = webhooks.deliver(topic, payload, shop="gone.myshopify.com")

    assert delivery.processed_at is not None
    assert "no shop" in delivery.error
