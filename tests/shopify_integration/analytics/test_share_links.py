"""Share links: create, reuse, the public page and its OG tags, revoke, expiry, redaction."""

import re
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from fittingroom.generations.models import Generation
from fittingroom.generations.services.retention import generations_expire
from fittingroom.generations.services.shoppers import account_data_delete, shopper_data_delete
from fittingroom.sharing.models import ShareLink
from tests.shopify_integration.analytics.funnel import completed_generation

pytestmark = pytest.mark.django_db


def share(proxy, generation_id: str, **extra):
    return proxy.post_json("share-generation", {"generationId": generation_id, **extra})


def test_a_completed_try_on_gets_a_public_link_that_expires_in_30_days(proxy, shop, settings):
    generation = completed_generation(shop.account)

    response = share(
        proxy, generation.id, effectiveDomain="shop.example", productPath="/products/tee"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["shareToken"].startswith("shr_")
    assert body["shareUrl"] == f"{settings.PUBLIC_BASE_URL}/s/{body['shareToken']}"
    link = ShareLink.objects.get()
    assert link.product_url == "https://shop.example/products/tee"
    expires = link.expires_at - timezone.now()
    assert timedelta(days=29, hours=23) < expires <= timedelta(days=30)


def test_the_same_try_on_gives_back_the_same_live_link(proxy, shop):
    generation = completed_generation(shop.account)

    first, second = share(proxy, generation.id).json(), share(proxy, generation.id).json()

    assert first == second
    assert ShareLink.objects.count() == 1


def test_the_link_falls_back_to_the_shops_domain_for_a_bad_effective_domain(proxy, shop):
    generation = completed_generation(shop.account)

    share(proxy, generation.id, effectiveDomain="javascript:alert(1)//", productPath="//evil")

    assert ShareLink.objects.get().product_url == f"https://{shop.domain}/"


def test_another_shop_cannot_share_a_try_on(proxy, shop, other_shop):
    generation = completed_generation(shop.account)

    response = share(proxy.as_(shop=other_shop.domain), generation.id)

    assert response.status_code == 404
    assert response.json()["code"] == "GENERATION_NOT_FOUND"
    assert not ShareLink.objects.exists()


def test_an_unfinished_try_on_cannot_be_shared(proxy, shop):
    generation = completed_generation(shop.account, status=Generation.Status.PROCESSING)

    response = share(proxy, generation.id)

    assert response.status_code == 409
    assert response.json()["code"] == "GENERATION_NOT_COMPLETED"


def test_shares_are_limited_to_20_a_minute_per_shopper(proxy, shop):
    generations = [completed_generation(shop.account) for _ in range(21)]

    statuses = [share(proxy, generation.id).status_code for generation in generations]

    assert statuses == [200] * 20 + [429]


def test_the_page_opens_logged_out_with_the_image_title_and_social_tags(proxy, shop, settings):
    generation = completed_generation(shop.account)
    url = share(proxy, generation.id, productPath="/products/tee").json()["shareUrl"]
    path = url.removeprefix(settings.PUBLIC_BASE_URL)

    page = Client().get(path)

    assert page.status_code == 200
    html = page.content.decode()
    image_url = re.search(r'<meta property="og:image" content="([^"]+)"', html)[1]
    assert image_url.startswith(settings.PUBLIC_BASE_URL)
    assert 'name="twitter:card" content="summary_large_image"' in html
    assert f'name="twitter:image" content="{image_url}"' in html
    assert "Classic tee" in html and f"https://{shop.domain}/products/tee" in html
    image = Client().get(image_url.removeprefix(settings.PUBLIC_BASE_URL))
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert b"".join(image.streaming_content)[:2] == b"\xff\xd8"


def test_each_visit_counts_a_view(proxy, shop):
    generation = completed_generation(shop.account)
    token = share(proxy, generation.id).json()["shareToken"]

    for _ in range(3):
        Client().get(f"/s/{token}")

    assert ShareLink.objects.get().views == 3


def test_the_shared_image_outlives_the_results_retention(proxy, shop):
    generation = completed_generation(shop.account)
    token = share(proxy, generation.id).json()["shareToken"]
    Generation.objects.filter(id=generation.id).update(expires_at=timezone.now())

    generations_expire()

    assert Generation.objects.get(id=generation.id).result_image == ""
    assert Client().get(f"/s/{token}/image.jpg").status_code == 200


def test_an_expired_link_is_gone(proxy, shop):
    generation = completed_generation(shop.account)
    token = share(proxy, generation.id).json()["shareToken"]
    ShareLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert Client().get(f"/s/{token}").status_code == 404
    assert Client().get(f"/s/{token}/image.jpg").status_code == 404


def test_the_shopper_revokes_a_link_and_its_image_goes(proxy, shop):
    generation = completed_generation(shop.account)
    token = share(proxy, generation.id).json()["shareToken"]
    image = ShareLink.objects.get().image.name

    response = proxy.client.delete(
        proxy.url(f"share-generation/{token}"), HTTP_X_FORWARDED_FOR=proxy.ip
    )

    assert response.status_code == 204
    assert not ShareLink.objects.exists() and not default_storage.exists(image)
    assert Client().get(f"/s/{token}").status_code == 404


def test_another_shop_cannot_revoke_a_link(proxy, shop, other_shop):
    generation = completed_generation(shop.account)
    token = share(proxy, generation.id).json()["shareToken"]
    other = proxy.as_(shop=other_shop.domain)

    response = other.client.delete(
        other.url(f"share-generation/{token}"), HTTP_X_FORWARDED_FOR=other.ip
    )

    assert response.status_code == 404
    assert ShareLink.objects.filter(token=token).exists()


def test_erasing_the_shopper_removes_their_links_and_images(proxy, shop):
    theirs = completed_generation(shop.account, shopper_key="customer:123")
    others = completed_generation(shop.account, shopper_key="customer:456")
    share(proxy, theirs.id), share(proxy, others.id)
    their_image = ShareLink.objects.get(generation=theirs).image.name

    shopper_data_delete(account=shop.account, shopper_key="customer:123")

    assert list(ShareLink.objects.values_list("generation_id", flat=True)) == [others.id]
    assert not default_storage.exists(their_image)


def test_erasing_the_shop_removes_every_link_image(proxy, shop):
    generation = completed_generation(shop.account)
    share(proxy, generation.id)
    image = ShareLink.objects.get().image.name

    account_data_delete(account=shop.account)

    assert not ShareLink.objects.exists() and not default_storage.exists(image)


def test_a_result_whose_file_is_gone_cannot_be_shared(proxy, shop):
    generation = completed_generation(shop.account)
    default_storage.delete(generation.result_image.name)

    response = share(proxy, generation.id)

    assert response.status_code == 404 and response.json()["code"] == "GENERATION_NOT_FOUND"
    assert not ShareLink.objects.exists()
