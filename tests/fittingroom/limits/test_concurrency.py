"""Limits and quotas under real concurrency: threads, each with its own database connection,
racing through the whole HTTP path. On PostgreSQL (DATABASE_URL) this exercises the advisory
locks and conditional UPDATEs; on the embedded SQLite, its IMMEDIATE transactions."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connection
from django.test import Client

from fittingroom.generations.models import Generation
from tests.conftest import SignedProxyClient, make_shop

pytestmark = pytest.mark.django_db(transaction=True)
REQUESTS = 30


def race(shop_domain: str, image_id: str, body_for) -> list[int]:
    barrier = Barrier(REQUESTS)

    def one(index: int) -> int:
        proxy = SignedProxyClient(Client(), shop=shop_domain)
        try:
            barrier.wait()
            response = proxy.post_json(
                "fitting-room",
                {
                    "userImageId": image_id,
                    "productId": "gid://shopify/Product/1001",
                    **body_for(index),
                },
            )
            return response.status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        return list(pool.map(one, range(REQUESTS)))


@pytest.fixture
def racing_shop(person_jpeg):
    shop = make_shop("race.myshopify.com")
    upload = SignedProxyClient(Client(), shop=shop.domain).upload(person_jpeg)
    return shop, upload.json()["fileId"]


def test_thirty_concurrent_try_ons_of_one_shopper_with_limit_ten_make_exactly_ten_jobs(racing_shop):
    shop, image_id = racing_shop

    codes = race(shop.domain, image_id, lambda index: {"visitorId": "same-visitor"})

    assert sorted(codes) == [200] * 10 + [429] * 20
    assert Generation.objects.filter(account=shop.account).count() == 10
    shop.account.refresh_from_db()
    assert shop.account.quota_used == 10


def test_thirty_concurrent_shoppers_never_exceed_the_shop_quota(racing_shop):
    shop, image_id = racing_shop
    shop.account.quota_limit = 7
    shop.account.ip_weekly_limit = 1000
    shop.account.save()

    codes = race(shop.domain, image_id, lambda index: {"visitorId": f"visitor-{index:04d}"})

    assert sorted(codes) == [200] * 7 + [429] * 23
    assert Generation.objects.filter(account=shop.account).count() == 7
    shop.account.refresh_from_db()
    assert shop.account.quota_used == 7
