"""Writes on accounts: the period quota, consumed and given back race-free in one UPDATE each."""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from fittingroom.accounts.models import Account, CreditLedgerEntry
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
    # row's own values decide, so concurrent callers never charge past the limit.
    period_over = Q(quota_period_end__isnull=True) | Q(quota_period_end__lte=now)
    charged = (
        Account.objects.filter(id=account.id)
        .filter(
            (period_over & Q(quota_limit__gt=0))
            | (~period_over & Q(quota_used__lt=F("quota_limit")))
        )
        .update(
            quota_used=Case(When(period_over, then=Value(1)), default=F("quota_used") + 1),
            quota_period_end=Case(
                When(period_over, then=Value(now + QUOTA_PERIOD)),
                default=F("quota_period_end"),
            ),
        )
    )
    if not charged:
        raise QuotaExceeded()
    return Account.objects.values_list("quota_period_end", flat=True).get(id=account.id)


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
