"""Redis (broker, cache, pub/sub, rate limits) killed under a stream of shoppers and started
again on the same port, empty: clean 503s while it is down, recovery without restarting
anything, every accepted job finished, none charged twice."""

import time

import pytest
from django.conf import settings as django_settings

from fittingroom.generations.models import Generation
from tests.conftest import make_shop
from tests.faults.driver import ShopperStream, unclean
from tests.load.stack import RedisServer, running_stack

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

DOWN_SECONDS = 4
RECOVERY_BOUND = 10.0  # seconds after Redis is back by which every answer is a success again


def test_redis_killed_and_restarted_under_load(settings, tmp_path, person_jpeg):
    shop = make_shop("redis-fault.myshopify.com", quota=10_000, reuse=False)
    account = shop.account
    account.shopper_weekly_limit = account.ip_weekly_limit = 10_000
    account.save()
    redis = RedisServer(tmp_path)
    redis.start()
    try:
        with running_stack(
            settings,
            tmp_path,
            redis_url=redis.url,
            # Jobs whose message died with Redis are re-enqueued by the reaper after this.
            GENERATION_REDRIVE_AFTER_SECONDS="5",
        ) as stack:
            worker = stack.start_worker(concurrency=2)
            web = stack.start_web()
            pids = {s.name: {p.pid for p in s.processes()} for s in stack.services}
            stream = ShopperStream(
                stack.base_url, shop.domain, django_settings.SHOPIFY_API_SECRET, person_jpeg
            ).start()
            time.sleep(5)
            redis.kill()
            killed_at = time.monotonic()
            time.sleep(DOWN_SECONDS)
            redis.start()
            back_at = time.monotonic()
            time.sleep(RECOVERY_BOUND + 5)
            stream.stop()

            # Nothing restarted: the same processes served before, during and after.
            assert worker.alive() and web.alive()
            assert {s.name: {p.pid for p in s.processes()} for s in stack.services} == pids

            # What beat would do every minute: re-enqueue jobs whose message was lost.
            time.sleep(6)  # past GENERATION_REDRIVE_AFTER_SECONDS
            deadline, reaped = time.monotonic() + 30, []
            while time.monotonic() < deadline:
                reaped.append(stack.run_reaper())
                if not Generation.objects.filter(
                    id__in=stream.job_ids, status__in=["PENDING", "PROCESSING"]
                ).exists():
                    break
                time.sleep(2)
            print(f"reaper runs: {reaped}")
    finally:
        redis.kill()

    answers = stream.answers
    during = [a for a in answers if killed_at <= a.at < back_at]
    after = [a for a in answers if a.at >= back_at + RECOVERY_BOUND]
    failed_after_restart = [a for a in answers if a.at >= back_at and not a.ok]
    recovered_in = max((a.at + a.took - back_at for a in failed_after_restart), default=0.0)
    print(
        f"{len(answers)} answers: {sum(a.ok for a in answers)} ok, "
        f"{sum(a.clean_unavailable for a in answers)} clean 503; during the outage "
        f"{len(during)} ({sum(a.ok for a in during)} ok); recovered {recovered_in:.1f} s after "
        f"restart; slowest answer {max(a.took for a in answers):.1f} s; "
        f"{len(stream.job_ids)} jobs accepted"
    )

    assert not unclean(answers), unclean(answers)[:5]  # no 500, no hang, no other error
    # Try-ons accepted while the broker was down: their messages never left, the reaper's job.
    assert [a for a in during if a.endpoint == "fitting-room" and a.ok]
    assert after and all(a.ok for a in after)
    assert recovered_in <= RECOVERY_BOUND

    jobs = Generation.objects.filter(id__in=stream.job_ids)
    assert jobs.count() == len(stream.job_ids)  # every jobId returned names a job
    unfinished = jobs.exclude(status__in=["COMPLETED", "FAILED"])
    assert not unfinished.exists(), list(unfinished.values("id", "status", "updated_at"))
    assert not jobs.filter(status="FAILED", refunded_at__isnull=True).exists()
    account.refresh_from_db()
    assert account.quota_used == jobs.filter(status="COMPLETED").count()  # none charged twice
