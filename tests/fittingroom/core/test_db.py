"""The hot paths' statements (fittingroom/core/db.py): prepared once per PostgreSQL connection,
read and written as the ORM would, and still right when a table changes under them."""

import psycopg
import pytest
from django.db import connection
from django.db.models.signals import pre_save
from django.utils import timezone

from fittingroom.accounts.models import Account
from fittingroom.core.db import columns, execute, fetch_instance, fetch_one, insert

pytestmark = pytest.mark.django_db


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL); CI sets it")


def prepared(text: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{text}%"]
        )
        return cursor.fetchone()[0]


def test_a_hot_statement_is_prepared_once_per_connection(postgres):
    assert fetch_one("SELECT %s::int + 40 AS hot_statement", [1]) == (41,)
    assert fetch_one("SELECT %s::int + 40 AS hot_statement", [2]) == (42,)
    assert prepared("hot_statement") == 1


def test_with_prepared_statements_off_nothing_is_prepared(postgres, settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    assert fetch_one("SELECT %s::int + 40 AS cold_statement", [1]) == (41,)
    assert prepared("cold_statement") == 0


@pytest.mark.django_db(transaction=True)
def test_a_statement_whose_table_changed_is_planned_afresh(postgres):
    execute("CREATE TABLE db_test_changing (id int PRIMARY KEY, value int)", [])
    try:
        execute("INSERT INTO db_test_changing VALUES (1, 7)", [])
        assert fetch_one("SELECT value FROM db_test_changing WHERE id = %s", [1]) == (7,)
        # Another connection's migration changes the type the prepared statement answers.
        with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
            other.execute("ALTER TABLE db_test_changing ALTER COLUMN value TYPE text")
        assert fetch_one("SELECT value FROM db_test_changing WHERE id = %s", [1]) == ("7",)
        assert fetch_one("SELECT value FROM db_test_changing WHERE id = %s", [1]) == ("7",)
    finally:
        execute("DROP TABLE db_test_changing", [])


def test_an_instance_is_read_with_the_orm_s_conversions():
    account = Account.objects.create(name="db-read", quota_limit=3)
    Account.objects.filter(id=account.id).update(quota_period_end=timezone.now())
    sql = f"SELECT {columns(Account, ['quota_period_end', 'id', 'watermark_enabled'], 'a')}"
    sql += f" FROM {Account._meta.db_table} a WHERE a.id = %s"
    read = fetch_instance(
        Account, ["quota_period_end", "id", "watermark_enabled"], sql, [account.id]
    )
    fresh = Account.objects.get(id=account.id)
    assert (read.id, read.quota_period_end, read.watermark_enabled) == (
        fresh.id,
        fresh.quota_period_end,
        True,
    )
    assert read.get_deferred_fields() >= {"name", "quota_used"}
    assert fetch_instance(Account, ["id"], sql, ["acc_unknown"]) is None


def test_insert_writes_what_save_would():
    before = timezone.now()
    account = Account(name="db-insert", quota_limit=4)
    insert(account)
    stored = Account.objects.get(id=account.id)
    assert (stored.name, stored.quota_limit, stored.quota_used) == ("db-insert", 4, 0)
    assert stored.created_at >= before  # auto_now_add
    assert not account._state.adding


def test_insert_of_a_model_with_save_receivers_goes_through_save():
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.name)

    pre_save.connect(receiver, sender=Account, dispatch_uid="db-test")
    try:
        insert(Account(name="db-signals"))
    finally:
        pre_save.disconnect(dispatch_uid="db-test", sender=Account)
    assert seen == ["db-signals"]
    assert Account.objects.filter(name="db-signals").exists()


def test_insert_of_a_row_whose_key_the_database_assigns_goes_through_save():
    from fittingroom.accounts.models import CreditLedgerEntry

    account = Account.objects.create(name="db-autokey")
    entry = CreditLedgerEntry(account=account, delta=5, reason=CreditLedgerEntry.Reason.GRANT)
    insert(entry)
    assert entry.pk is not None
    assert CreditLedgerEntry.objects.get(pk=entry.pk).delta == 5
