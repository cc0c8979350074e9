from celery import shared_task

from fittingroom.images.services import person_images_expire


@shared_task
def files_expire() -> int:
    """Periodic: delete photos past their retention."""
    return person_images_expire()
