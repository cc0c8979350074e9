"""When a worker looks at a hosted job again, and the garment it sends (cached per process)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fittingroom.catalog import source_named
from fittingroom.generations.models import Generation
from fittingroom.generations.services import garments
from fittingroom.generations.services.hosted import poll_delay as _poll_delay

pytestmark = pytest.mark.django_db


def took(shop, seconds: float, *, engine: str = "fashn") -> Generation:
    started = timezone.now() - timedelta(seconds=seconds + 1)
    return Generation.objects.create(
        account=shop.account,
        shopper_key="visitor:schedule-01",
        client_ip="203.0.113.9",
        catalog_source="demo",
        product_id="gid://shopify/Product/1001",
        garment_image_ref="demo:tshirt-white.png",
        engine=engine,
        status=Generation.Status.COMPLETED,
        started_at=started,
        finished_at=started + timedelta(seconds=seconds),
        deadline_at=started + timedelta(minutes=3),
    )


def test_without_history_it_looks_early_then_every_few_seconds(shop, settings):
    settings.ENGINE_MAX_POLL_INTERVAL = 5

    assert [_poll_delay("fashn", polls) for polls in range(5)] == [2.0, 3.0, 4.0, 5.0, 5.0]


def test_with_history_it_looks_just_before_the_engines_typical_time(shop, settings):
    settings.ENGINE_MAX_POLL_INTERVAL = 5
    for seconds in (9, 10, 10, 11, 30):
        took(shop, seconds)
    took(shop, 2, engine="vertex")  # another engine's history does not count

    delays = [_poll_delay("fashn", polls) for polls in range(4)]

    assert delays == pytest.approx([7.0, 1.0, 2.0, 3.0])
    assert sum(delays[:3]) == pytest.approx(10.0)  # a 10 s job is seen on the third look


def test_the_garment_sent_to_a_hosted_engine_is_encoded_once_per_image_and_size(monkeypatch):
    garments.garment_cache_clear()
    demo = source_named("demo")
    loads = []
    real_load = demo.load_image
    monkeypatch.setattr(
        demo,
        "load_image",
        lambda *, image_ref: loads.append(image_ref) or real_load(image_ref=image_ref),
    )
    at = {"catalog_source": "demo", "image_ref": "demo:tshirt-red.png"}

    first = garments.garment_png(**at, size=768)
    again = garments.garment_png(**at, size=768)
    smaller = garments.garment_png(**at, size=256)
    monkeypatch.setattr(garments, "GARMENT_CACHE_SECONDS", 0)
    garments.garment_cache_clear()
    garments.garment_png(**at, size=768)

    assert first == again and first.startswith(b"\x89PNG")
    assert len(smaller) < len(first)
    assert loads == ["demo:tshirt-red.png"] * 3
