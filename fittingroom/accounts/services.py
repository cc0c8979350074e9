"""Writes on accounts: the period quota, consumed and given back race-free in one UPDATE each."""

from datetime import datetime, timedelta

from django.db.models import F
from django.utils import timezone

from fittingroom.accounts.models import Account
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
    Account.objects.filter(id=account.id, quota_period_end__lte=now).update(
        quota_used=0, quota_period_end=now + QUOTA_PERIOD
    )
    Account.objects.filter(id=account.id, quota_period_end__isnull=True).update(
        quota_period_end=now + QUOTA_PERIOD
    )
    charged = Account.objects.filter(id=account.id, quota_used__lt=F("quota_limit")).update(
        quota_used=F("quota_used") + 1
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
