from celery import shared_task

from fittingroom.products.services import products_expire


@shared_task
def products_expire_task() -> int:
    """Periodic: delete products past their expiry."""
    return products_expire()
