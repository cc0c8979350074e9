import functools

from fittingroom.accounts.models import Account
from fittingroom.accounts.selectors import account_get
from fittingroom.core.db import column, columns, fetch_instance, table
from fittingroom.core.errors import ApplicationError
from fittingroom.core.ids import looks_like_public_id
from fittingroom.generations.models import Generation
from fittingroom.generations.selectors import STATUS_FIELDS
from shopify_integration.models import Shop
from shopify_integration.shop_cache import shop_cached


class ShopNotFound(ApplicationError):
    code, status, message = "SHOP_NOT_FOUND", 404, "This store is not registered with the app."


class ShopNotInstalled(ApplicationError):
    code, status, message = "SHOP_NOT_INSTALLED", 403, "The app is not installed on this store."


def shop_for_proxy(*, domain: str) -> Shop:
    """The installed shop behind a verified proxy request. (`installed_shop_generation` asks
    the same of the shop in SQL, for the widget's poll: keep the two in step.)"""
    domain = domain.lower()
    shop = shop_cached(domain=domain, load=lambda: Shop.objects.filter(domain=domain).first())
    if shop is None:
        raise ShopNotFound()
    if not shop.is_installed:
        raise ShopNotInstalled()
    return shop


def shop_account(shop: Shop) -> Account:
    """The shop's account (not in the shop cache: its counters change with every try-on), read
    with a prepared statement and kept on the shop as `shop.account` for the request."""
    if not Shop.account.is_cached(shop):
        account = account_get(account_id=shop.account_id)
        if account is None:  # deleted since the shop row was read
            raise ShopNotFound()
        shop.account = account
    return shop.account


def installed_shop_generation(*, domain: str, generation_id: str) -> Generation | None:
    """The widget's poll in one prepared statement: the status fields of generation
    `generation_id` of the installed shop `domain`, read with the shop (no cache, no second
    round trip). None when there is no such shop, it is not installed, or the generation is not
    its own: the caller then answers through `shop_for_proxy` and `generation_get`, which say
    which."""
    if not looks_like_public_id(generation_id, "gen"):
        return None
    sql = _installed_shop_generation_statement()
    return fetch_instance(Generation, STATUS_FIELDS, sql, [domain.lower(), generation_id])


@functools.cache
def _installed_shop_generation_statement() -> str:
    def shop(name: str) -> str:
        return column(Shop, name, "s")

    def generation(name: str) -> str:
        return column(Generation, name, "g")

    # Names from the models' metadata, quoted; the values are parameters.
    sql = (
        f"SELECT {columns(Generation, STATUS_FIELDS, 'g')} FROM {table(Shop)} s"  # noqa: S608
        f" JOIN {table(Generation)} g"
        f" ON {generation('account')} = {shop('account')}"
        f" WHERE {shop('domain')} = %s AND {shop('is_installed')} AND {generation('id')} = %s"
    )
    return sql
