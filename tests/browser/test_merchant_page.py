"""A merchant in a real browser: the embedded page, with Shopify's App Bridge replaced by a
local stub that hands out session tokens signed with the test client secret."""

import json
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from fittingroom.accounts.models import Account
from shopify_integration.install.services import shop_connect
from shopify_integration.models import Shop
from tests.emulators.shopify_oauth import session_token
from tests.shopify_integration.install.test_usage import generations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
APP_BRIDGE = "https://cdn.shopify.com/shopifycloud/app-bridge.js"
DOMAIN = "browser-store.myshopify.com"

# The part of App Bridge the page uses: shopify.idToken() and shopify.toast.show().
APP_BRIDGE_STUB = """
window.__toasts = [];
window.shopify = {
  idToken: function () { return Promise.resolve(%s); },
  toast: { show: function (message, options) { window.__toasts.push([message, options || {}]); } }
};
"""


@pytest.fixture(autouse=True)
def _client_secret(settings):
    settings.SHOPIFY_API_SECRET = "shpss_" + "7a" * 16


def connected_shop(**fields) -> Shop:
    """An installed shop holding a token, so opening the page needs no token exchange."""
    shop, _ = shop_connect(domain=DOMAIN, access_token="shpat_browser_test")
    Shop.objects.filter(id=shop.id).update(**fields)
    return Shop.objects.select_related("account").get(id=shop.id)


def open_app(page, base_url: str, shop: Shop) -> None:
    token = session_token(shop.domain, lifetime=600)

    def route(request_route):
        url = request_route.request.url
        if url.startswith(APP_BRIDGE):
            body = APP_BRIDGE_STUB % json.dumps(token)
            request_route.fulfill(status=200, content_type="text/javascript", body=body)
        elif url.startswith(base_url):
            request_route.continue_()
        else:  # nothing leaves 127.0.0.1
            request_route.abort()

    page.route("**/*", route)
    page.goto(f"{base_url}/shopify/app?shop={shop.domain}&id_token={token}")


def test_the_page_shows_30_days_of_usage_as_a_chart_and_the_plan_at_a_glance(page, live_server):
    shop = connected_shop(plan_name="Fitting Room Growth")
    Account.objects.filter(id=shop.account_id).update(
        quota_limit=4500, quota_used=2100, quota_period_end=timezone.now() + timedelta(days=9)
    )
    now = timezone.now()
    generations(
        shop.account, [now] * 4 + [now - timedelta(days=2)] + [now - timedelta(days=10)] * 7
    )
    other = Account.objects.create(name="someone-else.myshopify.com")
    generations(other, [now] * 5)

    open_app(page, live_server.url, shop)

    chart = page.locator("#usage-chart svg[role=img]")
    chart.wait_for()
    assert chart.locator("title").first.text_content() == "Try-ons per day, last 30 days"
    bars = chart.locator("rect.bar")
    assert bars.count() == 30
    values = [int(v) for v in bars.evaluate_all("bars => bars.map(b => b.dataset.value)")]
    assert values[-1] == 4 and values[-3] == 1 and values[-11] == 7 and sum(values) == 12
    heights = bars.evaluate_all("bars => bars.map(b => b.getBBox().height)")
    assert heights[-11] > heights[-1] > heights[-3] > 0 and heights[0] == 0
    assert page.locator("#chart-total").text_content() == "12 in total"
    assert page.locator("#usage-table tbody tr").count() == 30

    assert page.locator("#plan-name").text_content() == "Fitting Room Growth"
    assert page.locator("#plan-status").text_content() == "Active"
    usage = page.locator("#usage-text").text_content()
    assert usage.startswith("2,100 of 4,500 try-ons used this period")
    facts = page.locator("#usage-facts").inner_text()
    assert "2,000 per 30 days" in facts and "100 try-ons at $0.04 each" in facts
    assert page.locator("#billing-callout").is_hidden()


def test_a_shop_without_a_plan_is_shown_its_free_allowance_and_asked_to_choose_one(
    page, live_server
):
    shop = connected_shop(plan_name="", billing_status=Shop.Billing.NONE)

    open_app(page, live_server.url, shop)

    callout = page.locator("#billing-callout")
    callout.wait_for()
    assert "free allowance" in callout.inner_text()
    assert page.locator("#billing-callout-action").text_content() == "Choose a plan"
    allowance = f"{django_settings.FREE_MONTHLY_ALLOWANCE} try-ons per 30 days"
    assert allowance in page.locator("#usage-facts").inner_text()
    page.locator("#usage-chart rect.bar").first.wait_for(state="attached")


def test_saving_settings_shows_success_and_an_invalid_value_shows_the_field_error(
    page, live_server, page_errors
):
    shop = connected_shop()
    open_app(page, live_server.url, shop)
    limit = page.get_by_label("Try-ons per shopper per week")

    limit.fill("12")
    page.get_by_role("button", name="Save").click()

    page.locator("#save-state", has_text="Saved").wait_for()
    assert page.locator("#status").text_content() == "Settings saved"
    assert page.evaluate("window.__toasts") == [["Settings saved", {"isError": False}]]
    assert Account.objects.get(id=shop.account_id).shopper_weekly_limit == 12

    page_errors.allow()  # the browser logs the refused request's 400 as a console error
    limit.fill("500")
    page.get_by_role("button", name="Save").click()

    error = page.locator("#shopper-weekly-limit-error")
    error.wait_for()
    assert "less than or equal to 100" in error.text_content()
    assert limit.get_attribute("aria-invalid") == "true"
    assert page.locator("#save-state").text_content() == "Not saved"
    assert page.evaluate("document.activeElement.id") == "shopper-weekly-limit"
    assert page.get_by_role("button", name="Save").is_enabled()
    assert Account.objects.get(id=shop.account_id).shopper_weekly_limit == 12
    assert all("Failed to load resource" in m for m in page_errors.messages), page_errors.messages

    limit.fill("20")  # corrected: the error goes away with the save
    page.get_by_role("button", name="Save").click()
    page.locator("#save-state", has_text="Saved").wait_for()
    assert error.is_hidden() and limit.get_attribute("aria-invalid") is None
