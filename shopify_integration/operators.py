"""Shopify's part in the operators' actions on generations (see
fittingroom/generations/services/operators.py): a retried try-on must pass the same Shopify-side
checks as the widget's (shop_try_on_blocker), and erasing a logged-in customer
also drops the data-request exports kept for the merchant, as `customers/redact` does."""

from fittingroom.accounts.models import Account
from fittingroom.generations.services.operators import (
    register_retry_check,
    register_shopper_erasure_hook,
)
from fittingroom.limits.shoppers import customer_id_of
from shopify_integration.models import CustomerDataRequest, Shop
from shopify_integration.services import shop_try_on_blocker


def shop_retry_check(account: Account) -> None:
    """Raise what the proxy would answer a shopper of this shop now; API accounts pass."""
    shop = Shop.objects.select_related("account").filter(account_id=account.id).first()
    if shop is None:
        return
    blocker = shop_try_on_blocker(shop=shop)
    if blocker is not None:
        raise blocker


def shop_customer_exports_delete(account: Account, shopper_key: str) -> None:
    customer_id = customer_id_of(shopper_key)
    if customer_id is not None:
        CustomerDataRequest.objects.filter(
            shop__account_id=account.id, customer_id=customer_id
        ).delete()


register_retry_check(shop_retry_check)
register_shopper_erasure_hook(shop_customer_exports_delete)
