"""The proxy's writes and the one rule for a shop's eligibility (shop_try_on_blocker)."""

from fittingroom.accounts.services import QuotaExceeded, account_quota_available
from fittingroom.catalog import ProductImagesRequired, ProductNotFound, catalog_source_for
from fittingroom.core.errors import ApplicationError
from fittingroom.generations.models import Generation
from fittingroom.generations.services import generation_create
from fittingroom.images.selectors import person_image_get
from fittingroom.limits.shoppers import Shopper
from shopify_integration.billing.selectors import shop_free_allowance_left
from shopify_integration.models import Shop
from shopify_integration.selectors import ShopNotInstalled, shop_account
from shopify_integration.tokens import ShopReauthRequired


class BillingNotAllowed(ApplicationError):
    code, status = "BILLING_NOT_ALLOWED", 402
    message = "Try-ons are unavailable: this store has no active plan."


def shop_billing_active(*, shop: Shop) -> bool:
    """Whether billing lets the shop take a try-on now: an ACTIVE plan (whose quota the core
    enforces: QUOTA_EXCEEDED), or else free allowance left this period. A shop without a plan
    that used its allowance needs one: BILLING_NOT_ALLOWED."""
    return shop.billing_status == Shop.Billing.ACTIVE or shop_free_allowance_left(shop=shop)


def shop_try_on_blocker(*, shop: Shop) -> ApplicationError | None:
    """The one rule for whether a shop can take a try-on now, for check-credits, fitting-room
    and the operators' retries alike: None, or the error that blocks it. In this order: the app
    installed, billing (a plan, or free allowance left), a token the Admin API accepts, the
    period quota (enforced again, race-free, when the generation is inserted)."""
    if not shop.is_installed:
        return ShopNotInstalled()
    if not shop_billing_active(shop=shop):
        return BillingNotAllowed()
    if shop.needs_reauth:
        return ShopReauthRequired()
    if not account_quota_available(account=shop_account(shop)):
        return QuotaExceeded()
    return None


def proxy_generation_create(
    *, shop: Shop, shopper: Shopper, user_image_id: str, product_id: str, variant_id: str | None
) -> Generation:
    """Create a try-on for a shopper of `shop`: the shop's eligibility, image, product, then the
    core's limits, quota and insert. Raises the seed's codes; creates nothing when it raises."""
    blocker = shop_try_on_blocker(shop=shop)
    if blocker is not None:
        raise blocker
    account = shop.account
    person_image = person_image_get(account=account, image_id=user_image_id)
    source = catalog_source_for(account)
    garment = source.garment_for(account=account, product_id=product_id, variant_id=variant_id)
    return generation_create(
        account=account,
        shopper=shopper,
        person_image=person_image,
        garment=garment,
        catalog_source=account.catalog_source,
    )


def product_try_on_blocked(*, shop: Shop, product_id: str) -> str | None:
    """None when the shop's catalog can dress a shopper in this product, else the code of why
    not (unknown product, no usable image), so the widget hides its button instead of failing
    after the upload. Costs what the try-on's own lookup costs, and warms its cache. A Shopify
    outage blocks nothing here: the try-on reports it."""
    try:
        catalog_source_for(shop.account).garment_for(
            account=shop.account, product_id=product_id, variant_id=None
        )
    except (ProductNotFound, ProductImagesRequired) as error:
        return error.code
    except ApplicationError:  # Shopify unreachable, token refused: the try-on reports those
        return None
    return None
