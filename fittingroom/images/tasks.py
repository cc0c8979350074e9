from celery import shared_task

from fittingroom.images.direct import direct_uploads_sweep
from fittingroom.images.services import person_images_expire


@shared_task
def files_expire() -> int:
    """Periodic: delete photos past their retention, and direct uploads never completed."""
    return person_images_expire() + direct_uploads_sweep()
