"""Overage: each COMPLETED generation beyond the plan's included quota is charged exactly once."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from threading import Barrier

import pytest
from django.db import connection
from django.utils import timezone

from fittingroom.accounts.models import Account
from fittingroom.generations.models import Generation
from shopify_integration.admin_api import AdminApiClient
from shopify_integration.billing.documents import USAGE_RECORD_CREATE
from shopify_integration.billing.tasks import usage_charges_send
from shopify_integration.models import Shop, UsageCharge
from tests.emulators.shopify_admin import CAP_EXCEEDED
from tests.shopify_integration.billing.conftest import ADMIN_TOKEN, mutations

pytestmark = pytest.mark.django_db


def complete(account: Account, count: int, status: str = Generation.Status.COMPLETED) -> list[str]:
    """`count` generations finished one second apart in the account's current quota period;
    their ids, in the order they finished."""
    now = timezone.now()
    period_end = now + timedelta(days=20)
    Account.objects.filter(id=account.id).update(quota_period_end=period_end, quota_used=count)
    start = Generation.objects.filter(account=account).count()
    generations = [
        Generation(
            account=account,
            shopper_key=f"visitor:v{number}",
            client_ip="203.0.113.7",
            catalog_source="demo",
            product_id="gid://shopify/Product/1001",
            garment_image_ref="demo:tshirt-navy.png",
            engine="local",
            status=status,
            quota_period_end=period_end,
            finished_at=now - timedelta(hours=1) + timedelta(seconds=start + number),
            deadline_at=now,
        )
        for number in range(count)
    ]
    return [generation.id for generation in Generation.objects.bulk_create(generations)]


@pytest.fixture
def growth_shop(subscribed) -> Shop:
    return subscribed("growth")  # 2,000 included, then $0.04 each, capped at $100


def test_overage_is_charged_once_per_generation_beyond_the_quota_even_when_run_twice(
    growth_shop, shopify_admin
):
    ids = complete(growth_shop.account, 2003)
    complete(growth_shop.account, 5, status=Generation.Status.FAILED)

    assert usage_charges_send() == {"shops": 1, "charged": 3}
    assert usage_charges_send() == {"shops": 1, "charged": 0}

    records = shopify_admin.usage_records(growth_shop.domain)
    assert [record["idempotencyKey"] for record in records] == ids[2000:]
    assert [record["description"] for record in records] == [
        f"Try-on generation {generation_id}" for generation_id in ids[2000:]
    ]
    assert {record["price"]["amount"] for record in records} == {"0.04"}
    assert len(mutations(shopify_admin, "appUsageRecordCreate")) == 3
    [variables, *_] = mutations(shopify_admin, "appUsageRecordCreate")
    assert variables == {
        "subscriptionLineItemId": growth_shop.usage_line_item_id,
        "price": {"amount": "0.04", "currencyCode": "USD"},
        "description": f"Try-on generation {ids[2000]}",
        "idempotencyKey": ids[2000],
    }
    charges = UsageCharge.objects.order_by("generation_id")
    assert sorted(charge.generation_id for charge in charges) == sorted(ids[2000:])
    assert all(charge.charged_at and charge.usage_record_id for charge in charges)
    assert {charge.usage_record_id for charge in charges} == {r["id"] for r in records}
    assert {charge.price for charge in charges} == {Decimal("0.04")}


def test_nothing_is_charged_within_the_included_quota(growth_shop, shopify_admin):
    complete(growth_shop.account, 2000)

    assert usage_charges_send() == {"shops": 1, "charged": 0}
    assert not UsageCharge.objects.exists()


def test_a_plan_without_usage_pricing_is_never_charged(subscribed, shopify_admin):
    shop = subscribed("starter")
    complete(shop.account, 510)

    assert usage_charges_send() == {"shops": 0, "charged": 0}
    assert mutations(shopify_admin, "appUsageRecordCreate") == []


def test_a_charge_whose_answer_was_lost_is_resent_and_shopify_charges_it_once(
    growth_shop, shopify_admin
):
    ids = complete(growth_shop.account, 2001)
    # A previous run recorded the charge and Shopify took it, but the answer never came back.
    UsageCharge.objects.create(shop=growth_shop, generation_id=ids[-1], price=Decimal("0.04"))
    UsageCharge.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    variables = {
        "subscriptionLineItemId": growth_shop.usage_line_item_id,
        "price": {"amount": "0.04", "currencyCode": "USD"},
        "description": f"Try-on generation {ids[-1]}",
        "idempotencyKey": ids[-1],
    }
    AdminApiClient(shop=growth_shop.domain, access_token=ADMIN_TOKEN).execute(
        USAGE_RECORD_CREATE, variables
    )

    assert usage_charges_send() == {"shops": 1, "charged": 1}

    [record] = shopify_admin.usage_records(growth_shop.domain)
    assert UsageCharge.objects.get().usage_record_id == record["id"]


def test_a_shopify_outage_leaves_the_charge_to_be_resent_later(
    growth_shop, shopify_admin, settings
):
    settings.SHOPIFY_ADMIN_API_MAX_RETRIES = 0
    ids = complete(growth_shop.account, 2001)
    shopify_admin.fail_next(1, status=503)

    assert usage_charges_send() == {"shops": 1, "charged": 0}
    charge = UsageCharge.objects.get()
    assert (charge.generation_id, charge.usage_record_id, charge.error) == (ids[-1], "", "")
    assert usage_charges_send() == {"shops": 1, "charged": 0}  # too soon to resend

    UsageCharge.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    assert usage_charges_send() == {"shops": 1, "charged": 1}
    assert len(shopify_admin.usage_records(growth_shop.domain)) == 1


def test_reaching_the_cap_records_the_error_and_never_retries_it(growth_shop, shopify_admin):
    ids = complete(growth_shop.account, 2002)
    shopify_admin.set_balance_used(growth_shop.domain, growth_shop.usage_line_item_id, "99.97")

    assert usage_charges_send() == {"shops": 1, "charged": 0}

    charge = UsageCharge.objects.get()
    assert (charge.generation_id, charge.error) == (ids[2000], CAP_EXCEEDED)
    assert charge.usage_record_id == "" and charge.charged_at is None
    usage_charges_send()
    usage_charges_send()
    keys = [v["idempotencyKey"] for v in mutations(shopify_admin, "appUsageRecordCreate")]
    assert keys == [ids[2000], ids[2001]]  # each tried once, none again
    assert shopify_admin.usage_records(growth_shop.domain) == []


@pytest.mark.django_db(transaction=True)
def test_runs_racing_each_other_still_charge_each_generation_once(growth_shop, shopify_admin):
    ids = complete(growth_shop.account, 2006)
    runs = 4
    barrier = Barrier(runs)

    def run(_: int) -> int:
        try:
            barrier.wait()
            return usage_charges_send()["charged"]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=runs) as pool:
        charged = list(pool.map(run, range(runs)))

    assert sum(charged) == 6
    records = shopify_admin.usage_records(growth_shop.domain)
    assert sorted(record["idempotencyKey"] for record in records) == sorted(ids[2000:])
    keys = [v["idempotencyKey"] for v in mutations(shopify_admin, "appUsageRecordCreate")]
    assert sorted(keys) == sorted(ids[2000:])  # no generation was even sent twice
    assert UsageCharge.objects.exclude(usage_record_id="").count() == 6
