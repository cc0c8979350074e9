"""Statements the hot paths run on every request (the widget's status poll, the try-on's
writes), prepared once per PostgreSQL connection.

Why: PostgreSQL plans a statement each time it receives it as text, and the generations table
has over a dozen indexes for the planner to weigh: planning one status read cost ~0.5 ms of
the database's CPU, four times what executing it did. A prepared statement is planned once per
connection. Django turns prepared statements off (its client-side binding cursors never prepare,
and `prepare_threshold` defaults to None so that transaction-mode poolers keep working);
settings.DATABASE_PREPARED_STATEMENTS turns them back on for these statements only (off behind
a transaction-mode PgBouncer older than 1.21). Elsewhere (SQLite, the setting off) the same
statement runs as Django would run it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import Model
from django.db.models.signals import post_save, pre_save

# "cached plan must not change result type": a migration changed a prepared statement's table.
PLAN_INVALIDATED = "0A000"


def fetch_one(sql: str, params: Sequence[Any], *, using: str = DEFAULT_DB_ALIAS) -> tuple | None:
    """The first row of `sql` (with %s placeholders), prepared where it can be."""
    return _run(sql, params, using=using, fetch=lambda cursor: cursor.fetchone())


def fetch_instance(
    model: type[Model], attnames: Sequence[str], sql: str, params: Sequence[Any]
) -> Model | None:
    """The first row of `sql`, which selects `columns(model, attnames, ...)`, as an instance of
    `model` (its other fields deferred), the values converted as the ORM would convert them."""
    using = model._default_manager.db
    row = fetch_one(sql, params, using=using)
    if row is None:
        return None
    names = _in_model_order(model, tuple(attnames))
    return model.from_db(using, names, _converter(model, names, using)(row))


def insert(instance: Model) -> None:
    """INSERT the new `instance` as `save(force_insert=True)` does (its defaults, `auto_now`
    and `auto_now_add`), with a prepared statement. A model that save signals are connected
    to is saved by `save()`, so no receiver is ever skipped; so is one whose key the database
    assigns (this writes every column, the key included)."""
    model = type(instance)
    using = model._default_manager.db
    receivers = pre_save.has_listeners(model) or post_save.has_listeners(model)
    if receivers or instance.pk is None:
        instance.save(force_insert=True, using=using)
        return
    connection = connections[using]
    fields = model._meta.local_concrete_fields
    values = [
        field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields
    ]
    execute(_insert_statement(model, using), values, using=using)
    instance._state.adding, instance._state.db = False, using


@functools.cache
def _insert_statement(model: type[Model], using: str) -> str:
    fields = model._meta.local_concrete_fields
    names = ", ".join(column(model, field.name) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {table(model)} ({names}) VALUES ({marks})"  # noqa: S608


def table(model: type[Model]) -> str:
    """`model`'s table, quoted, for a statement built once from the model's metadata."""
    return _quote(model)(model._meta.db_table)


def column(model: type[Model], name: str, alias: str = "") -> str:
    """The column of field `name` (or attname) of `model`, quoted, under `alias` if given."""
    quote = _quote(model)
    quoted = quote(model._meta.get_field(name).column)
    return f"{quote(alias)}.{quoted}" if alias else quoted


def columns(model: type[Model], attnames: Sequence[str], alias: str) -> str:
    """The select list of `attnames`' columns of `model`'s table under `alias`, quoted, in the
    model's order (the order `fetch_instance` reads them in)."""
    names = _in_model_order(model, tuple(attnames))
    return ", ".join(column(model, name, alias) for name in names)


def _quote(model: type[Model]):
    return connections[model._default_manager.db].ops.quote_name


@functools.cache
def _in_model_order(model: type[Model], attnames: tuple[str, ...]) -> tuple[str, ...]:
    wanted = set(attnames)
    ordered = tuple(f.attname for f in model._meta.concrete_fields if f.attname in wanted)
    if len(ordered) != len(wanted):
        raise ValueError(f"not fields of {model.__name__}: {wanted - set(ordered)}")
    return ordered


def db_datetime(value: datetime, *, using: str = DEFAULT_DB_ALIAS) -> Any:
    """A datetime parameter as the ORM would send it (SQLite keeps naive UTC text)."""
    return connections[using].ops.adapt_datetimefield_value(value)


@functools.cache
def _converter(model: type[Model], attnames: tuple[str, ...], using: str):
    """What the ORM does to a row's values on the way out (nothing on PostgreSQL for these
    fields; text to datetimes and integers to booleans on SQLite)."""
    connection = connections[using]
    by_attname = {field.attname: field for field in model._meta.concrete_fields}
    steps = []
    for index, name in enumerate(attnames):
        field = by_attname[name]
        column = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        steps += [(index, convert, column) for convert in found]

    def convert(row: tuple) -> list:
        values = list(row)
        for index, step, column in steps:
            values[index] = step(values[index], column, connection)
        return values

    return convert


def execute(sql: str, params: Sequence[Any], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Run a statement whose result is not read."""
    _run(sql, params, using=using, fetch=lambda cursor: None)


def prepared_statements_on(using: str = DEFAULT_DB_ALIAS) -> bool:
    connection = connections[using]
    return connection.vendor == "postgresql" and settings.DATABASE_PREPARED_STATEMENTS


class _PreparingCursor(psycopg.Cursor):
    """Server-side binding (which can prepare), preparing every statement it runs."""

    def execute(self, query, params=None, *, prepare=True, binary=None):
        return super().execute(query, params, prepare=prepare, binary=binary)


def _run(sql: str, params: Sequence[Any], *, using: str, fetch):
    connection = connections[using]
    # Django's cursor: its health check, reconnection, query log and wrappers, error translation.
    with connection.cursor() as cursor:
        if not prepared_statements_on(using):
            cursor.execute(sql, params)
            return fetch(cursor)
        client_side, cursor.cursor = cursor.cursor, _PreparingCursor(cursor.cursor.connection)
        client_side.close()
        try:
            cursor.execute(sql, params)
        except DatabaseError as error:
            if getattr(error.__cause__, "sqlstate", None) != PLAN_INVALIDATED:
                raise
            if not connection.get_autocommit():
                raise
            cursor.cursor.execute(sql, params, prepare=False)  # PostgreSQL plans it afresh
        return fetch(cursor)
