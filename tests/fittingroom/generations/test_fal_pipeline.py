"""A try-on on the fal engine through the pipeline: queued with our callback URL, finished by
polls of the queue API, and fal's webhook only triggering a poll."""

import pytest

from fittingroom.generations.models import Generation
from fittingroom.generations.services import generation_render
from tests.fittingroom.generations.worker_loop import charges, create, run_worker

pytestmark = pytest.mark.django_db


def test_a_fal_try_on_is_queued_with_our_callback_and_finished_by_polls(
    api_account, fal_api, client, settings
):
    settings.PUBLIC_BASE_URL = "https://fittingroom.example"
    fal_api.deliver_webhooks = False  # fittingroom.example is not us: deliver by hand below
    account, image = api_account
    account.engine = "fal"
    account.save()
    (job,) = create(account, image, 1)

    generation_render(generation_id=job)

    callback = fal_api.submit_requests[-1]["query"]["fal_webhook"]
    assert callback.startswith(f"https://fittingroom.example/engines/fal/webhook?ref={job}&token=")
    local = callback.removeprefix("https://fittingroom.example")
    request_id = Generation.objects.get(id=job).provider_job_id
    forged = client.post(local.replace("token=", "token=0"), {}, content_type="application/json")
    accepted = client.post(
        local,
        {"request_id": request_id, "status": "OK", "payload": {}},
        content_type="application/json",
    )
    assert forged.status_code == 401
    assert (accepted.status_code, accepted.json()["action"]) == (200, "poll")

    done = run_worker([job], timeout=20, first="poll")

    assert done[job].status == "COMPLETED"
    assert done[job].engine == "fal"
    assert charges(account) == {job: (-1, 1)}
    assert fal_api.submits == 1
