from celery import shared_task
from django.db import InterfaceError, OperationalError

from fittingroom.generations.services import (
    generation_poll,
    generation_render,
    generations_expire,
    generations_reap,
)
from fittingroom.generations.services.render import Next


def _schedule(generation_id: str, step: Next) -> None:
    if step.poll_in is not None:
        generation_poll_task.apply_async((generation_id,), countdown=step.poll_in)
    elif step.retry_in is not None:
        generation_process.apply_async((generation_id,), countdown=step.retry_in)


# A database connection dropped outside the render step (claiming, scheduling): run the task
# again on a fresh connection (Celery's Django fixup closes the old one before each task).
# The steps are compare-and-set, so a repeat is harmless.
DATABASE_RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 1,
    "retry_backoff_max": 10,
    "max_retries": 5,
}


@shared_task(acks_late=True, reject_on_worker_lost=True, **DATABASE_RETRY)
def generation_process(generation_id: str) -> None:
    """Render or submit one generation; claiming by compare-and-set makes a redelivery
    harmless."""
    _schedule(generation_id, generation_render(generation_id=generation_id))


@shared_task(acks_late=True, reject_on_worker_lost=True, **DATABASE_RETRY)
def generation_poll_task(generation_id: str) -> None:
    """One look at a hosted job; schedules the next look instead of sleeping."""
    _schedule(generation_id, generation_poll(generation_id=generation_id))


@shared_task
def generations_reap_task() -> dict[str, int]:
    return generations_reap()


@shared_task
def generations_expire_task() -> int:
    return generations_expire()
