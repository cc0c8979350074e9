from fittingroom.core.errors import ApplicationError
from shopify_integration.models import Shop
from shopify_integration.shop_cache import shop_cached


class ShopNotFound(ApplicationError):
    code, status, message = "SHOP_NOT_FOUND", 404, "This store is not registered with the app."


class ShopNotInstalled(ApplicationError):
    code, status, message = "SHOP_NOT_INSTALLED", 403, "The app is not installed on this store."


def shop_for_proxy(*, domain: str) -> Shop:
    """The installed shop behind a verified proxy request."""
    domain = domain.lower()
    shop = shop_cached(domain=domain, load=lambda: Shop.objects.filter(domain=domain).first())
    if shop is None:
        raise ShopNotFound()
    if not shop.is_installed:
        raise ShopNotInstalled()
    return shop
