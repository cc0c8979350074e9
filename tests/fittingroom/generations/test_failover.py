"""Failover along TRYON_ENGINES: with the first engine stopped mid-run, try-ons move to the
second and finish within their deadline, each charged once and no provider job submitted
twice; once the first answers again (its half-open probe succeeds) it is used again."""

import time

import pytest

from fittingroom.engines.breaker import engine_state
from fittingroom.generations.models import Generation
from tests.fittingroom.generations.worker_loop import charges, create, run_worker

pytestmark = pytest.mark.django_db


def test_the_second_engine_takes_over_and_the_first_is_used_again_once_it_answers(
    api_account, fashn_api, fal_api, settings
):
    settings.TRYON_ENGINES = ["fashn", "fal"]
    settings.ENGINE_BREAKER_FAILURES = 3
    settings.ENGINE_BREAKER_OPEN_SECONDS = 2
    fashn_api.latency = fal_api.latency = 0.3
    account, image = api_account
    ids = create(account, image, 10)
    outage = {"port": fashn_api.port, "stopped": False, "back": False}

    def break_and_mend() -> None:
        # FASHN goes down after taking three jobs, and comes back once fal finished five.
        if not outage["stopped"] and len(fashn_api.run_requests) >= 3:
            fashn_api.stop()
            outage["stopped"] = True
        elif outage["stopped"] and not outage["back"]:
            moved = Generation.objects.filter(id__in=ids, engine="fal", status="COMPLETED")
            if moved.count() >= 5:
                fashn_api.start(outage["port"])
                outage["back"] = True

    done = run_worker(ids, between=break_and_mend, timeout=90)

    assert outage["back"]
    assert {g.status for g in done.values()} == {"COMPLETED"}
    on = {name: [g for g in done.values() if g.engine == name] for name in ("fashn", "fal")}
    assert (len(on["fashn"]), len(on["fal"])) == (3, 7)
    # Jobs already at FASHN waited for it (a new job elsewhere could have doubled them);
    # the rest finished on fal, well within their deadline.
    assert len(fashn_api.run_requests) == 3
    assert fal_api.submits == 7
    assert all(g.finished_at < g.deadline_at for g in on["fal"])
    assert charges(account) == {job: (-1, 1) for job in ids}

    # FASHN answers again: after the open period a probe goes through and closes the circuit.
    time.sleep(settings.ENGINE_BREAKER_OPEN_SECONDS)
    later = create(account, image, 3)
    done = run_worker(later, timeout=60)

    assert {(g.engine, g.status) for g in done.values()} == {("fashn", "COMPLETED")}
    assert engine_state("fashn").state == "closed"
    assert fal_api.submits == 7
