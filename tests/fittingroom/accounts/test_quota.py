"""The period quota: one conditional UPDATE starts a new period when the last one ended and
charges it, and never charges past the limit."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fittingroom.accounts.models import Account
from fittingroom.accounts.services import QUOTA_PERIOD, QuotaExceeded, account_quota_consume

pytestmark = pytest.mark.django_db


def account(**fields) -> Account:
    return Account.objects.create(name="quota-store", **({"quota_limit": 3} | fields))


def test_a_new_account_starts_its_first_period_with_the_first_try_on():
    fresh = account()

    period_end = account_quota_consume(account=fresh)

    fresh.refresh_from_db()
    assert fresh.quota_used == 1
    assert fresh.quota_period_end == period_end
    assert abs(period_end - (timezone.now() + QUOTA_PERIOD)) < timedelta(minutes=1)


def test_within_a_period_each_try_on_is_counted_in_it_up_to_the_limit():
    end = timezone.now() + timedelta(days=5)
    current = account(quota_used=1, quota_period_end=end)

    assert account_quota_consume(account=current) == end
    assert account_quota_consume(account=current) == end
    with pytest.raises(QuotaExceeded):
        account_quota_consume(account=current)

    current.refresh_from_db()
    assert (current.quota_used, current.quota_period_end) == (3, end)


def test_a_used_up_period_that_ended_gives_way_to_a_new_one():
    ended = account(quota_used=3, quota_period_end=timezone.now() - timedelta(hours=1))

    period_end = account_quota_consume(account=ended)

    ended.refresh_from_db()
    assert ended.quota_used == 1
    assert (
        period_end == ended.quota_period_end > timezone.now() + QUOTA_PERIOD - timedelta(minutes=1)
    )


def test_a_zero_quota_never_charges_even_in_a_new_period():
    none_left = account(quota_limit=0, quota_period_end=timezone.now() - timedelta(days=1))

    with pytest.raises(QuotaExceeded):
        account_quota_consume(account=none_left)

    none_left.refresh_from_db()
    assert none_left.quota_used == 0


def test_an_account_without_a_quota_is_not_counted():
    unlimited = account(quota_limit=None)

    assert account_quota_consume(account=unlimited) is None
    unlimited.refresh_from_db()
    assert unlimited.quota_used == 0
