"""API keys (header, revocation, the admin that issues them), credits granted by an operator, and
the per-account request budget of /v1."""

import hashlib
import re
import time

import pytest
from django.test import Client
from django.urls import get_resolver

from fittingroom.accounts.api_keys import api_key_revoke
from fittingroom.accounts.models import ApiKey, CreditLedgerEntry
from fittingroom.api.throttling import AccountRateThrottle
from tests.fittingroom.api.conftest import ApiClient, make_api_account

pytestmark = pytest.mark.django_db

CREDITS = "/v1/account/credits"


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert (body["code"], body["status"]) == (code, status)
    assert set(body) == {"code", "message", "status", "details"}
    return body


# --- Keys ------------------------------------------------------------------------------------


def test_a_request_without_a_key_is_unauthorized(client):
    assert_error(client.get(CREDITS), 401, "UNAUTHORIZED")


def test_an_unknown_key_is_unauthorized(client):
    response = client.get(CREDITS, headers={"x-api-key": "fr_live_not-a-key-we-issued"})

    assert_error(response, 401, "UNAUTHORIZED")


def test_a_revoked_key_is_unauthorized(api_client):
    assert api_client.get(CREDITS).status_code == 200
    api_key_revoke(key=ApiKey.objects.get(account=api_client.account))

    assert_error(api_client.get(CREDITS), 401, "UNAUTHORIZED")


def test_a_valid_key_records_when_it_was_last_used(api_client):
    api_client.get(CREDITS)

    assert ApiKey.objects.get(account=api_client.account).last_used_at is not None


# --- Throttle --------------------------------------------------------------------------------


def wait_for_a_fresh_minute(seconds_needed: float = 5) -> None:
    """The budget is per clock minute: start where the whole test fits in one."""
    left = 60 - time.time() % 60
    if left < seconds_needed:
        time.sleep(left + 0.05)


def test_requests_over_the_budget_are_rate_limited_with_retry_after(api_client, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 5
    wait_for_a_fresh_minute()

    responses = [api_client.get(CREDITS) for _ in range(6)]

    assert [r.status_code for r in responses] == [200] * 5 + [429]
    assert_error(responses[-1], 429, "RATE_LIMITED")
    assert 1 <= int(responses[-1]["Retry-After"]) <= 60


def test_the_budget_counts_every_endpoint_of_the_account(api_client, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    wait_for_a_fresh_minute()

    api_client.get(CREDITS)
    api_client.get("/v1/generations")
    api_client.get("/v1/generations/gen_unknown")

    assert_error(api_client.delete("/v1/customers/someone"), 429, "RATE_LIMITED")


def test_the_budget_is_per_account(api_client, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    wait_for_a_fresh_minute()
    other = ApiClient(make_api_account("other-customer"))

    statuses = [api_client.get(CREDITS).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert other.get(CREDITS).status_code == 200


def _v1_routes() -> list:
    v1 = next(p for p in get_resolver().url_patterns if str(p.pattern) == "v1/")
    return [
        pytest.param(pattern.callback.cls, id=str(pattern.pattern)) for pattern in v1.url_patterns
    ]


@pytest.mark.parametrize("view_class", _v1_routes())
def test_every_v1_endpoint_draws_on_the_account_budget(view_class):
    assert AccountRateThrottle in view_class.throttle_classes


# --- Admin: keys and credits -----------------------------------------------------------------


def test_adding_a_key_in_the_admin_shows_it_once_and_stores_only_its_hash(admin_client):
    account = make_api_account("acme", credits=3)

    response = admin_client.post(
        "/admin/accounts/apikey/add/", {"account": account.pk, "name": "production"}, follow=True
    )

    assert response.status_code == 200
    raw_key = re.search(r"fr_live_[A-Za-z0-9_-]+", response.content.decode()).group()
    key = ApiKey.objects.get(account=account)
    assert key.name == "production"
    assert key.key_hash == hashlib.sha256(raw_key.encode()).hexdigest()
    assert raw_key not in {key.prefix, key.name, key.key_hash}
    assert raw_key.startswith(key.prefix)
    assert Client(headers={"x-api-key": raw_key}).get(CREDITS).json() == {"creditBalance": 3}
    for page in ("/admin/accounts/apikey/", f"/admin/accounts/apikey/{key.pk}/change/"):
        assert raw_key not in admin_client.get(page).content.decode()


def test_the_key_list_shows_prefix_last_use_and_revocation(admin_client, api_client):
    api_client.get(CREDITS)
    key = ApiKey.objects.get(account=api_client.account)

    page = admin_client.get("/admin/accounts/apikey/").content.decode()

    assert key.prefix in page
    assert "Last used at" in page and "Revoked at" in page


def test_the_revoke_action_turns_keys_off(admin_client, api_client):
    key = ApiKey.objects.get(account=api_client.account)

    admin_client.post("/admin/accounts/apikey/", {"action": "revoke", "_selected_action": [key.pk]})

    key.refresh_from_db()
    assert key.revoked_at is not None
    assert_error(api_client.get(CREDITS), 401, "UNAUTHORIZED")


def test_granting_credits_asks_the_amount_and_writes_a_ledger_entry(admin_client):
    account = make_api_account("acme", credits=0)
    selected = {"action": "grant_credits", "_selected_action": [account.pk]}

    form_page = admin_client.post("/admin/accounts/account/", selected)
    assert form_page.status_code == 200
    assert 'name="amount"' in form_page.content.decode()
    assert not CreditLedgerEntry.objects.filter(account=account).exists()

    admin_client.post(
        "/admin/accounts/account/",
        {**selected, "apply": "Grant", "amount": "25", "note": "welcome pack"},
    )

    account.refresh_from_db()
    assert account.credit_balance == 25
    entry = CreditLedgerEntry.objects.get(account=account)
    assert (entry.delta, entry.reason) == (25, CreditLedgerEntry.Reason.GRANT)
    assert "welcome pack" in entry.note


def test_granting_zero_credits_is_refused_by_the_form(admin_client):
    account = make_api_account("acme", credits=0)

    page = admin_client.post(
        "/admin/accounts/account/",
        {
            "action": "grant_credits",
            "_selected_action": [account.pk],
            "apply": "Grant",
            "amount": "0",
            "note": "oops",
        },
    )

    assert page.status_code == 200
    assert "non-zero" in page.content.decode()
    assert not CreditLedgerEntry.objects.filter(account=account).exists()


def test_the_ledger_is_read_only_in_the_admin(admin_client):
    make_api_account("acme", credits=5)

    assert admin_client.get("/admin/accounts/creditledgerentry/").status_code == 200
    assert admin_client.get("/admin/accounts/creditledgerentry/add/").status_code == 403
    entry = CreditLedgerEntry.objects.get()
    change = admin_client.post(
        f"/admin/accounts/creditledgerentry/{entry.pk}/change/", {"delta": "500"}
    )
    assert change.status_code == 403
    entry.refresh_from_db()
    assert entry.delta == 5
