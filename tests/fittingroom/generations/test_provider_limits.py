"""FASHN as it behaves under a shop's load (docs.fashn.ai: API fundamentals, error handling):
a cap of predictions at once shared by every worker, retryable runtime errors resubmitted at
no charge, the status-call budget, and an empty account failing fast."""

import pytest

from tests.fittingroom.generations.worker_loop import charges, create, run_worker

pytestmark = pytest.mark.django_db


def test_twenty_try_ons_never_exceed_fashns_concurrency_and_each_is_charged_once(
    api_account, fashn_api, settings
):
    settings.TRYON_ENGINES = ["fashn"]
    settings.FASHN_MAX_CONCURRENT = 4
    fashn_api.max_concurrent = 4  # FASHN answers 429 ConcurrencyLimitExceeded above 4
    fashn_api.status_limit = (50, 10.0)  # and 429 RateLimitExceeded above 50 polls per 10 s
    fashn_api.latency = 0.4
    fashn_api.fail_next(3, "PipelineError", "Unexpected failure")  # some first attempts fail
    account, image = api_account
    ids = create(account, image, 20)

    done = run_worker(ids, timeout=90)

    assert {g.status for g in done.values()} == {"COMPLETED"}, [
        (g.status, g.error_code) for g in done.values()
    ]
    assert fashn_api.most_in_flight == 4  # the cap was used, and never passed
    assert fashn_api.concurrency_refusals == 0
    assert fashn_api.status_refusals == 0
    assert len(fashn_api.run_requests) == 23  # 20 + one new prediction per PipelineError
    assert charges(account) == {job: (-1, 1) for job in ids}  # charged once, never refunded
    account.refresh_from_db()
    assert account.credit_balance == 80


def test_a_concurrency_refusal_holds_the_job_without_spending_its_attempts(
    api_account, fashn_api, settings
):
    # Someone else uses the same key: FASHN refuses above 2 although our cap says 4.
    settings.TRYON_ENGINES = ["fashn"]
    settings.FASHN_MAX_CONCURRENT = 4
    settings.GENERATION_MAX_ATTEMPTS = 2
    fashn_api.max_concurrent = 2
    fashn_api.latency = 0.4
    account, image = api_account
    ids = create(account, image, 8)

    done = run_worker(ids, timeout=90)

    assert {g.status for g in done.values()} == {"COMPLETED"}
    assert fashn_api.concurrency_refusals > 0
    assert max(g.attempts for g in done.values()) <= 2
    assert charges(account) == {job: (-1, 1) for job in ids}


def test_status_polls_stay_within_fashns_budget(api_account, fashn_api, settings):
    settings.TRYON_ENGINES = ["fashn"]
    settings.FASHN_MAX_CONCURRENT = 20
    settings.FASHN_STATUS_REQUESTS_PER_10S = 10
    fashn_api.status_limit = (10, 10.0)
    fashn_api.latency = 0.5
    account, image = api_account
    ids = create(account, image, 12)  # at least 12 status calls: more than one window allows

    done = run_worker(ids, time_scale=0.05, timeout=90)

    assert {g.status for g in done.values()} == {"COMPLETED"}
    assert fashn_api.status_calls >= 12
    assert fashn_api.status_refusals == 0  # FASHN never saw more than 10 in any 10 s


def test_out_of_credits_fails_at_once_with_a_refund_and_an_alert(
    api_account, fashn_api, settings, caplog
):
    settings.TRYON_ENGINES = ["fashn"]
    fashn_api.http_error_next(1, 429, error="OutOfCredits")
    account, image = api_account
    (job,) = create(account, image, 1)

    done = run_worker([job], timeout=10)

    assert (done[job].status, done[job].error_code) == ("FAILED", "ENGINE_ERROR")
    assert done[job].attempts == 1  # not retried
    assert len(fashn_api.run_requests) == 0  # refused before a prediction existed
    assert charges(account) == {job: (0, 2)}  # charged, then refunded once
    assert any(r.levelname == "CRITICAL" for r in caplog.records)


def test_a_pipeline_error_past_the_deadline_fails_and_refunds(api_account, fashn_api, settings):
    settings.TRYON_ENGINES = ["fashn"]
    settings.GENERATION_MAX_ATTEMPTS = 2
    fashn_api.latency = 0.2
    fashn_api.fail_next(5, "PipelineError", "Unexpected failure")
    account, image = api_account
    (job,) = create(account, image, 1)

    done = run_worker([job], timeout=30)

    assert (done[job].status, done[job].error_code) == ("FAILED", "ENGINE_ERROR")
    assert len(fashn_api.run_requests) == 2  # one resubmission, then the attempts ran out
    assert charges(account) == {job: (0, 2)}
