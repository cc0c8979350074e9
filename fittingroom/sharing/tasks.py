from celery import shared_task

from fittingroom.sharing.services import share_links_expire


@shared_task
def share_links_expire_task() -> int:
    return share_links_expire()
