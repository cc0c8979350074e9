"""Reads of accounts."""

import functools

from fittingroom.accounts.models import Account
from fittingroom.core.db import column, columns, fetch_instance, table

ALL_FIELDS = tuple(field.attname for field in Account._meta.concrete_fields)


def account_get(*, account_id: str) -> Account | None:
    """The account, read with a prepared statement: every try-on reads it (its counters change
    with each one, so it is never cached)."""
    return fetch_instance(Account, ALL_FIELDS, _by_id_statement(), [account_id])


@functools.cache
def _by_id_statement() -> str:
    where = f"{column(Account, 'id', 'a')} = %s"
    return f"SELECT {columns(Account, ALL_FIELDS, 'a')} FROM {table(Account)} a WHERE {where}"  # noqa: S608
