"""The rolling 7-day limits: per shopper, and per client address behind it so that rotating
anonymous visitor ids does not escape. Counted from generation rows under a lock, so 30
concurrent requests against a limit of 10 create exactly 10 jobs."""

import functools
import math
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from fittingroom.accounts.models import Account
from fittingroom.core.db import column, db_datetime, fetch_one, table
from fittingroom.core.errors import ApplicationError
from fittingroom.core.locks import lock_names
from fittingroom.generations.models import Generation
from fittingroom.limits.shoppers import Shopper

WINDOW = timedelta(days=7)


class RateLimitExceeded(ApplicationError):
    code, status = "RATE_LIMIT_EXCEEDED", 429

    def __init__(self, *, limit: int, resets_at: datetime) -> None:
        wait = max(1, math.ceil((resets_at - timezone.now()).total_seconds()))
        super().__init__(
            f"You have reached the limit of {limit} try-ons per week. "
            f"You can try again after {resets_at:%Y-%m-%d %H:%M} UTC.",
            details=[{"path": "", "message": f"resetsAt={resets_at.isoformat()}"}],
            headers={"Retry-After": str(wait)},
        )
        self.resets_at = resets_at


def _counted(account: Account, since: datetime) -> QuerySet[Generation]:
    return Generation.objects.filter(
        account=account, created_at__gt=since, counts_toward_limit=True
    )


def _check(account: Account, since: datetime, *, used: int, limit: int, **whose: str) -> None:
    if used < limit:
        return
    # Sorted oldest first, the slot that frees next is the (used - limit + 1)-th oldest.
    window = _counted(account, since).filter(**whose).order_by("created_at")
    freeing = window.values_list("created_at", flat=True)[used - limit]
    raise RateLimitExceeded(limit=limit, resets_at=freeing + WINDOW)


def shopper_limits_check(*, account: Account, shopper: Shopper) -> None:
    """Raise RATE_LIMIT_EXCEEDED when the shopper, or their address, has used the week's try-ons.

    Must run inside the transaction that then inserts the generation: it holds the locks that make
    check-then-insert atomic until that transaction ends.
    """
    lock_names(f"limit:{account.id}:{shopper.key}", f"limit:{account.id}:ip:{shopper.ip}")
    since = timezone.now() - WINDOW
    # Both counts in one prepared statement: every try-on runs this, and compiling the
    # equivalent queryset cost more CPU than the round trip.
    params = [shopper.key, shopper.ip, account.id, db_datetime(since), shopper.key, shopper.ip]
    by_shopper, by_ip = fetch_one(_counts_statement(), params)
    _check(
        account, since, used=by_shopper, limit=account.shopper_weekly_limit, shopper_key=shopper.key
    )
    _check(account, since, used=by_ip, limit=account.ip_weekly_limit, client_ip=shopper.ip)


@functools.cache
def _counts_statement() -> str:
    """The shopper's and the address's counted try-ons since a moment (what `_counted` reads)."""

    def generation(name: str) -> str:
        return column(Generation, name)

    shopper, ip = f"{generation('shopper_key')} = %s", f"{generation('client_ip')} = %s"
    # Names from the model's metadata, quoted; the values are parameters.
    return (
        f"SELECT COUNT(*) FILTER (WHERE {shopper}), COUNT(*) FILTER (WHERE {ip})"  # noqa: S608
        f" FROM {table(Generation)}"
        f" WHERE {generation('account')} = %s AND {generation('created_at')} > %s"
        f" AND {generation('counts_toward_limit')} AND ({shopper} OR {ip})"
    )
