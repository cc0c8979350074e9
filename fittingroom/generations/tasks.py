from celery import shared_task

from fittingroom.generations.services import generation_render, generations_reap


@shared_task(acks_late=True, reject_on_worker_lost=True)
def generation_process(generation_id: str) -> None:
    """Render one generation; claiming by compare-and-set makes a redelivery harmless."""
    generation_render(generation_id=generation_id)


@shared_task
def generations_reap_task() -> dict[str, int]:
    return generations_reap()
