"""Every connection to the test database terminated, three times, under a stream of shoppers:
the next requests succeed (Django reconnects), the worker carries on, every accepted job
finishes, none is charged twice."""

import time

import pytest
from django.conf import settings as django_settings
from django.db import connection

from fittingroom.generations.models import Generation
from tests.conftest import make_shop
from tests.faults.driver import ShopperStream, unclean
from tests.load.stack import running_stack

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

DROPS, BETWEEN = 3, 5.0
SETTLE = 1.0  # a request sent this long after a drop must succeed


def terminate_backends() -> int:
    """Terminate every other connection to the test database, at a moment when there is one:
    the web keeps none between requests, so an instant can find none open."""
    deadline = time.monotonic() + 3
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            terminated = cursor.fetchone()[0]
            if terminated or time.monotonic() > deadline:
                return terminated
            time.sleep(0.02)


def test_postgres_connections_dropped_under_load(settings, tmp_path, person_jpeg):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL); CI sets it")
    shop = make_shop("pg-fault.myshopify.com", quota=10_000, reuse=False)
    account = shop.account
    account.shopper_weekly_limit = account.ip_weekly_limit = 10_000
    account.save()
    with running_stack(settings, tmp_path, GENERATION_RENDER_LEASE_SECONDS="10") as stack:
        worker = stack.start_worker(concurrency=2)
        web = stack.start_web()
        stream = ShopperStream(
            stack.base_url, shop.domain, django_settings.SHOPIFY_API_SECRET, person_jpeg
        ).start()
        drops = []
        for _ in range(DROPS):
            time.sleep(BETWEEN)
            drops.append((time.monotonic(), terminate_backends()))
        time.sleep(BETWEEN)
        stream.stop()
        assert worker.alive() and web.alive()

        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            if not Generation.objects.filter(
                id__in=stream.job_ids, status__in=["PENDING", "PROCESSING"]
            ).exists():
                break
            time.sleep(1)
            if time.monotonic() > deadline - 25:
                stack.run_reaper()  # beat's minute, for a render whose lease ran out

    answers = stream.answers
    print(
        f"{len(answers)} answers: {sum(a.ok for a in answers)} ok, "
        f"{sum(a.clean_unavailable for a in answers)} clean 503; backends terminated "
        f"{[n for _, n in drops]}; {len(stream.job_ids)} jobs accepted"
    )
    assert all(n > 0 for _, n in drops)  # there were connections to drop
    assert not unclean(answers), unclean(answers)[:5]  # no 500, no hang

    # Only a request in flight at a drop (or sent within SETTLE of it) may fail: the ones after
    # succeed, so no dead connection is reused.
    def hit_by_a_drop(answer) -> bool:
        return any(answer.at < at + SETTLE and answer.at + answer.took >= at for at, _ in drops)

    late = [a for a in answers if not a.ok and not hit_by_a_drop(a)]
    assert not late, (late[:5], drops)

    jobs = Generation.objects.filter(id__in=stream.job_ids)
    assert jobs.count() == len(stream.job_ids)
    statuses = dict(jobs.values_list("id", "status"))
    assert set(statuses.values()) == {"COMPLETED"}, jobs.exclude(status="COMPLETED").values(
        "id", "status", "error_code"
    )
    account.refresh_from_db()
    assert account.quota_used == len(statuses)  # none charged twice
