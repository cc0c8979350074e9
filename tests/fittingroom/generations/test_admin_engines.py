"""The operators' engines page: each engine's circuit, jobs in flight, p50 time and failure
rate over the last hour, in failover order."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from fittingroom.engines.breaker import engine_record
from fittingroom.engines.capacity import slot_acquire
from fittingroom.generations.models import Generation
from tests.fittingroom.generations.test_admin import bulk_generations

pytestmark = pytest.mark.django_db
PAGE = "/admin/generations/generation/engines/"


def row(html: str, engine: str) -> list[str]:
    match = re.search(rf'<tr data-engine="{engine}">(.*?)</tr>', html, re.DOTALL)
    assert match, f"no row for {engine}"
    cells = re.findall(r"<td[^>]*>(.*?)</td>", match[1], re.DOTALL)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]


def test_the_page_shows_state_p50_and_failure_rate_in_failover_order(admin_client, shop, settings):
    settings.TRYON_ENGINES = ["fashn", "fal"]
    settings.ENGINE_BREAKER_FAILURES = 2
    settings.FASHN_MAX_CONCURRENT = 6
    now = timezone.now()
    generations = bulk_generations(shop.account, 3, engine="fashn")
    for generation, seconds in zip(generations, (4, 6, 30), strict=True):
        Generation.objects.filter(id=generation.id).update(
            started_at=now - timedelta(seconds=seconds + 60),
            finished_at=now - timedelta(seconds=60),
        )
    # An old one does not count: the page is about the last hour.
    (old,) = bulk_generations(shop.account, 1, engine="fashn")
    Generation.objects.filter(id=old.id).update(
        started_at=now - timedelta(hours=3), finished_at=now - timedelta(hours=2)
    )
    for outcome in ("ok", "ok", "ok", "outage"):
        engine_record("fashn", outcome)
    engine_record("fal", "outage")
    engine_record("fal", "outage")  # two outages: fal's circuit opens
    slot_acquire(engine="fashn", job="gen_in_flight", cap=6, lease=60)

    response = admin_client.get(PAGE)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index('data-engine="fashn"') < html.index('data-engine="fal"')
    assert row(html, "fashn")[:8] == ["fashn", "1", "closed", "1 / 6", "6.0 s", "4", "25 %", "3"]
    assert row(html, "fal")[:3] == ["fal", "2", "open"]
    assert row(html, "fal")[6] == "100 %"
    assert row(html, "local")[1] == "—"  # registered, not in the failover list


def test_the_generations_list_links_to_it_and_it_is_for_staff_only(admin_client, client):
    assert PAGE in admin_client.get("/admin/generations/generation/").content.decode()
    assert client.get(PAGE).status_code == 302  # to the login page
