import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from fittingroom.core.ratebucket import bucket_take


def test_a_bucket_gives_a_minutes_worth_then_says_how_long_to_wait():
    name = f"test-{uuid.uuid4().hex}"

    waits = [bucket_take(name=name, per_minute=30) for _ in range(31)]

    assert waits[:30] == [0.0] * 30
    assert 0 < waits[30] <= 60


def test_concurrent_takers_share_one_bucket():
    name = f"test-{uuid.uuid4().hex}"

    with ThreadPoolExecutor(max_workers=16) as pool:
        waits = list(pool.map(lambda _: bucket_take(name=name, per_minute=50), range(80)))

    assert waits.count(0.0) == 50


def test_buckets_are_separate_per_name():
    first, second = f"test-{uuid.uuid4().hex}", f"test-{uuid.uuid4().hex}"
    bucket_take(name=first, per_minute=1)

    assert bucket_take(name=first, per_minute=1) > 0
    assert bucket_take(name=second, per_minute=1) == 0.0


def test_a_sliding_window_never_admits_more_than_its_limit_in_any_window():
    from fittingroom.core.ratebucket import bucket_take_window

    name = f"window-{time.time_ns()}"
    waits = [bucket_take_window(name=name, limit=5, seconds=1.0) for _ in range(6)]

    assert waits[:5] == [0.0] * 5
    assert 0 < waits[5] <= 1.0
    time.sleep(waits[5] + 0.01)
    assert bucket_take_window(name=name, limit=5, seconds=1.0) == 0.0


def test_a_request_counts_from_when_it_was_answered():
    from fittingroom.core.ratebucket import window_done, window_take

    name = f"window-{time.time_ns()}"
    wait, token = window_take(name=name, limit=1, seconds=0.5)
    assert wait == 0.0
    time.sleep(0.3)  # a slow request: the provider saw it some time after we took it
    window_done(name=name, token=token, seconds=0.5)

    wait, _ = window_take(name=name, limit=1, seconds=0.5)
    assert wait > 0.4  # a full window from the answer, not 0.2 s from the take


def test_the_embedded_default_keeps_the_same_sliding_window(settings, tmp_path):
    from fittingroom.core.ratebucket import bucket_take_window, window_done, window_take

    settings.REDIS_URL = ""
    settings.VAR_DIR = tmp_path
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    waits = [bucket_take_window(name="embedded", limit=3, seconds=1.0) for _ in range(4)]
    assert waits[:3] == [0.0] * 3 and 0 < waits[3] <= 1.0

    _, token = window_take(name="slow", limit=1, seconds=0.5)
    time.sleep(0.3)
    window_done(name="slow", token=token, seconds=0.5)
    assert window_take(name="slow", limit=1, seconds=0.5)[0] > 0.4
