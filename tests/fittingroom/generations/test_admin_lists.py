"""Operators' lists: newest first, and the timings in one column."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fittingroom.generations.models import Generation
from fittingroom.images.models import PersonImage
from tests.conftest import make_shop
from tests.fittingroom.generations.test_admin import bulk_generations

pytestmark = pytest.mark.django_db


def test_generations_and_photos_are_listed_newest_first(admin_client):
    shop = make_shop()
    rows = bulk_generations(shop.account, 6)
    now = timezone.now()
    # Creation times that disagree with the random ids' order.
    for n, row in enumerate(sorted(rows, key=lambda g: g.id)):
        created = now - timedelta(minutes=(n * 7) % 6)
        Generation.objects.filter(id=row.id).update(created_at=created)
        PersonImage.objects.filter(id=row.person_image_id).update(created_at=created)

    generations = admin_client.get("/admin/generations/generation/").context["cl"].result_list
    photos = admin_client.get("/admin/images/personimage/").context["cl"].result_list

    times = [g.created_at for g in generations]
    assert len(times) == 6 and times == sorted(times, reverse=True)
    photo_times = [p.created_at for p in photos]
    assert len(photo_times) == 6 and photo_times == sorted(photo_times, reverse=True)


def test_the_list_shows_queued_render_and_total_in_one_column(admin_client):
    shop = make_shop()
    now = timezone.now()
    bulk_generations(
        shop.account,
        1,
        created_at=now,
        started_at=now + timedelta(seconds=1.5),
        finished_at=now + timedelta(seconds=4),
    )

    page = admin_client.get("/admin/generations/generation/").content.decode()

    assert "Queued · render · total" in page
    assert "1.5 s · 2.5 s · 4.0 s" in page
