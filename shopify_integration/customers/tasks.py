import logging

from celery import shared_task

from shopify_integration.admin_api import AdminApiError, AdminApiUnauthorized, AdminApiUnavailable
from shopify_integration.customers.services import customer_email_upsert
from shopify_integration.models import Shop
from shopify_integration.tokens import (
    ShopifyUnavailable,
    ShopReauthRequired,
    shop_mark_needs_reauth,
)

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(AdminApiUnavailable, ShopifyUnavailable),
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=8,
)
def customer_email_upsert_task(shop_id: int, email: str, marketing_consent: bool) -> None:
    """Create or update the shop's customer. Shopify away: retried for about two hours. A
    refused token or a refused customer: logged (without the address) and dropped; the shopper
    was told nothing failed, by design."""
    shop = Shop.objects.filter(id=shop_id, is_installed=True).first()
    if shop is None:
        return
    try:
        customer_email_upsert(shop=shop, email=email, marketing_consent=marketing_consent)
    except ShopReauthRequired:
        logger.warning("e-mail capture for %s dropped: the shop must authorise again", shop.domain)
    except AdminApiError as error:
        if isinstance(error, AdminApiUnavailable):
            raise
        if isinstance(error, AdminApiUnauthorized):
            shop_mark_needs_reauth(shop=shop)
        logger.warning("e-mail capture for %s dropped: %s", shop.domain, error.code)
