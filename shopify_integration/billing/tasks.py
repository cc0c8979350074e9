"""Periodic billing work (see CELERY_BEAT_SCHEDULE); both are safe to run twice or at once."""

from celery import shared_task

from shopify_integration.billing import services


@shared_task
def billing_sync_all() -> dict[str, int]:
    """Re-read every installed shop's subscriptions: catches cancellations, freezes, renewals."""
    return services.billing_sync_all()


@shared_task
def usage_charges_send() -> dict[str, int]:
    """Charge overage generations; a UsageCharge per generation and Shopify's idempotency key
    (the generation id) make a second run, or an overlapping one, charge nothing twice."""
    return services.billing_usage_charges_send_all()
