from celery import shared_task
from django.db import OperationalError

from shopify_integration.models import WebhookDelivery
from shopify_integration.webhooks.services import (
    webhook_delivery_fail,
    webhook_delivery_finish,
    webhook_handle,
)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, OSError),  # the database or file storage, briefly away
    retry_backoff=True,
    max_retries=5,
)
def webhook_process(delivery_id: int) -> None:
    """Act on one stored webhook delivery. A delivery already processed is skipped, and every
    handler is idempotent, so a redelivered or repeated task changes nothing."""
    delivery = WebhookDelivery.objects.filter(id=delivery_id, processed_at__isnull=True).first()
    if delivery is None:
        return
    try:
        note = webhook_handle(delivery=delivery)
    except Exception as error:
        webhook_delivery_fail(delivery=delivery, error=error)
        raise
    webhook_delivery_finish(delivery=delivery, note=note)
