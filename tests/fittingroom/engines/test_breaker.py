"""The circuit breaker and the in-flight slots, on the real Redis (and, for the embedded
default, on the file cache): state shared by every worker."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from fittingroom.engines.breaker import engine_admits, engine_record, engine_state
from fittingroom.engines.capacity import slot_acquire, slot_release, slots_taken
from fittingroom.engines.routing import engine_route


@pytest.fixture(params=["redis", "embedded"])
def store(request, settings, tmp_path):
    """Run each test against Redis and against the embedded default's file cache."""
    if request.param == "embedded":
        settings.REDIS_URL = ""
        settings.VAR_DIR = tmp_path
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(tmp_path / "cache"),
            }
        }
    elif not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set")
    settings.ENGINE_BREAKER_FAILURES = 3
    settings.ENGINE_BREAKER_WINDOW_SECONDS = 60
    settings.ENGINE_BREAKER_OPEN_SECONDS = 1
    return request.param


def test_outages_past_the_threshold_open_the_circuit(store):
    assert engine_record("fashn", "outage") == ""
    assert engine_record("fashn", "failed") == ""  # a failed job is not an outage
    assert engine_record("fashn", "outage") == ""
    assert engine_admits("fashn")

    assert engine_record("fashn", "outage") == "opened"

    assert not engine_admits("fashn")
    record = engine_state("fashn")
    assert record.state == "open"
    assert (record.calls, record.failures) == (4, 4)


def test_half_open_lets_one_probe_through_and_its_success_closes(store):
    for _ in range(3):
        engine_record("fal", "outage")
    time.sleep(1.05)

    assert engine_state("fal").state == "half-open"
    assert engine_admits("fal")  # the probe
    assert not engine_admits("fal")  # only one at a time
    assert engine_record("fal", "ok") == "closed"
    assert engine_admits("fal") and engine_state("fal").state == "closed"


def test_a_failed_probe_opens_the_circuit_again(store):
    for _ in range(3):
        engine_record("vertex", "outage")
    time.sleep(1.05)
    assert engine_admits("vertex")

    assert engine_record("vertex", "outage") == "reopened"
    assert not engine_admits("vertex")


def test_routing_skips_an_open_engine_and_falls_back_to_the_preferred_when_all_are(store, settings):
    settings.TRYON_ENGINES = ["fashn", "fal"]
    for _ in range(3):
        engine_record("fashn", "outage")
    assert engine_route(preferred="fashn") == "fal"
    for _ in range(3):
        engine_record("fal", "outage")
    assert engine_route(preferred="fashn") == "fashn"


def test_slots_never_exceed_the_cap_whoever_asks(store):
    with ThreadPoolExecutor(8) as pool:
        taken = list(
            pool.map(
                lambda n: slot_acquire(engine="fashn", job=f"job-{n}", cap=4, lease=30), range(20)
            )
        )

    assert taken.count(True) == 4
    assert slots_taken(engine="fashn") == 4
    holder = f"job-{taken.index(True)}"
    assert slot_acquire(engine="fashn", job=holder, cap=4, lease=30)  # renewing is not taking
    slot_release(engine="fashn", job=holder)
    assert slot_acquire(engine="fashn", job="job-new", cap=4, lease=30)


def test_a_slot_whose_lease_ran_out_is_free_again(store):
    assert slot_acquire(engine="fal", job="crashed-worker", cap=1, lease=0.3)
    assert not slot_acquire(engine="fal", job="next", cap=1, lease=30)
    time.sleep(0.35)
    assert slot_acquire(engine="fal", job="next", cap=1, lease=30)
