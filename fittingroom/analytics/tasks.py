from celery import shared_task

from fittingroom.analytics.services import events_expire


@shared_task
def events_expire_task() -> int:
    return events_expire()
