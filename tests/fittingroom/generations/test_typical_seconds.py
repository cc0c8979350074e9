"""The widget's progress estimate: the median wait of the shop's recent completed try-ons."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fittingroom.generations.models import Generation
from fittingroom.generations.selectors import generation_typical_seconds

pytestmark = pytest.mark.django_db


def finished(shop, seconds: float, *, status=Generation.Status.COMPLETED, ago_days: float = 0):
    created = timezone.now() - timedelta(days=ago_days, seconds=seconds)
    return Generation.objects.create(
        account=shop.account,
        shopper_key="visitor:estimate-01",
        client_ip="203.0.113.9",
        catalog_source="demo",
        product_id="gid://shopify/Product/1001",
        garment_image_ref="demo:tshirt-white.png",
        engine="local",
        status=status,
        created_at=created,
        finished_at=created + timedelta(seconds=seconds),
        deadline_at=created + timedelta(minutes=3),
    )


def test_it_is_none_before_the_first_completed_try_on(shop):
    finished(shop, 40, status=Generation.Status.FAILED)

    assert generation_typical_seconds(account=shop.account) is None


def test_it_is_the_median_of_completed_try_ons_of_the_past_week(shop, other_shop):
    for seconds in (4, 6, 30):
        finished(shop, seconds)
    finished(shop, 100, status=Generation.Status.FAILED)  # failures do not count
    finished(shop, 500, ago_days=8)  # nor last month's
    finished(other_shop, 90)  # nor another shop's

    assert generation_typical_seconds(account=shop.account) == pytest.approx(6, abs=0.01)


def test_check_credits_carries_the_estimate_and_the_retention_period(proxy, shop, settings):
    finished(shop, 8)
    finished(shop, 12)
    settings.IMAGE_RETENTION_DAYS = 3

    answer = proxy.get("check-credits").json()

    assert answer == {"allowed": True, "typicalSeconds": 10.0, "retentionDays": 3}
