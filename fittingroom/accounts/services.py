"""Writes on accounts: the period quota, consumed and given back race-free in one UPDATE each."""

import functools
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from fittingroom.accounts.models import Account, CreditLedgerEntry
from fittingroom.core.db import column, db_datetime, fetch_instance, table
from fittingroom.core.errors import ApplicationError

QUOTA_PERIOD = timedelta(days=30)


class QuotaExceeded(ApplicationError):
    code, status = "QUOTA_EXCEEDED", 429
    message = "This store has used all its try-ons for this period."


def account_quota_consume(*, account: Account) -> datetime | None:
    """Take one generation from the account's period quota.

    Returns the end of the period that was charged (None when the account has no quota), which
    `account_quota_release` needs so a refund never lands in a later period. Raises QuotaExceeded.
    """
    if account.quota_limit is None:
        return None
    now = timezone.now()
    # One conditional UPDATE starts a new period when the last one ended and charges it; the
    # row's own values decide, so concurrent callers never charge past the limit. Prepared, and
    # it answers the period's end itself: every try-on of a shop runs it.
    now_param = db_datetime(now)
    charged = fetch_instance(
        Account,
        ("id", "quota_period_end"),
        _quota_consume_statement(),
        [now_param, now_param, db_datetime(now + QUOTA_PERIOD), account.id, now_param],
    )
    if charged is None:
        raise QuotaExceeded()
    return charged.quota_period_end


@functools.cache
def _quota_consume_statement() -> str:
    used, limit = column(Account, "quota_used"), column(Account, "quota_limit")
    end, pk = column(Account, "quota_period_end"), column(Account, "id")
    period_over = f"({end} IS NULL OR {end} <= %s)"
    # Names from the model's metadata, quoted; the values are parameters.
    return (
        f"UPDATE {table(Account)} SET"  # noqa: S608
        f" {used} = CASE WHEN {period_over} THEN 1 ELSE {used} + 1 END,"
        f" {end} = CASE WHEN {period_over} THEN %s ELSE {end} END"
        f" WHERE {pk} = %s AND CASE WHEN {period_over} THEN {limit} > 0"
        f" ELSE {used} < {limit} END"
        f" RETURNING {pk}, {end}"
    )


def account_quota_release(*, account_id: str, period_end: datetime) -> None:
    """Give one generation back to the period it was taken from (no-op once that period ended)."""
    Account.objects.filter(id=account_id, quota_period_end=period_end, quota_used__gt=0).update(
        quota_used=F("quota_used") - 1
    )


def account_quota_available(*, account: Account) -> bool:
    if account.quota_limit is None:
        return True
    period_over = account.quota_period_end is None or account.quota_period_end <= timezone.now()
    used = 0 if period_over else account.quota_used
    return used < account.quota_limit


class InsufficientCredits(ApplicationError):
    code, status, message = "INSUFFICIENT_CREDITS", 402, "Account is out of credits."


def account_credit_reserve(*, account: Account, generation_id: str) -> None:
    """Take one credit for a generation, never below zero under any concurrency (one
    conditional UPDATE), and record it. Raises INSUFFICIENT_CREDITS. Call inside the
    transaction that creates the generation."""
    taken = Account.objects.filter(id=account.id, credit_balance__gt=0).update(
        credit_balance=F("credit_balance") - 1
    )
    if not taken:
        raise InsufficientCredits()
    CreditLedgerEntry.objects.create(
        account_id=account.id,
        delta=-1,
        generation_id=generation_id,
        reason=CreditLedgerEntry.Reason.GENERATION,
    )


def account_credit_refund(*, account_id: str, generation_id: str) -> bool:
    """Give a failed generation's credit back, exactly once (the ledger's unique constraint
    refuses a second refund). Returns whether it refunded now."""
    try:
        with transaction.atomic():
            CreditLedgerEntry.objects.create(
                account_id=account_id,
                delta=1,
                generation_id=generation_id,
                reason=CreditLedgerEntry.Reason.REFUND,
            )
    except IntegrityError:
        return False
    Account.objects.filter(id=account_id).update(credit_balance=F("credit_balance") + 1)
    return True


@transaction.atomic
def account_credit_grant(*, account: Account, amount: int, note: str = "") -> None:
    """Add (or, negative, remove) credits by hand, recorded in the ledger."""
    Account.objects.filter(id=account.id).update(credit_balance=F("credit_balance") + amount)
    CreditLedgerEntry.objects.create(
        account_id=account.id, delta=amount, note=note[:255], reason=CreditLedgerEntry.Reason.GRANT
    )
