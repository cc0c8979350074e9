"""Operators read each shop's analytics in the Django admin, as the merchant sees them."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from fittingroom.analytics.models import AttributedLine

pytestmark = pytest.mark.django_db


def test_the_admin_shows_a_shops_funnel_and_revenue(admin_client, shop, other_shop):
    AttributedLine.objects.create(
        account=shop.account,
        order_id="1",
        line_id="1",
        kind="direct",
        generation_id="gen_x",
        product_id="gid://shopify/Product/1001",
        quantity=2,
        amount=Decimal("50.00"),
        currency="EUR",
        ordered_at=datetime.now(UTC),
    )

    listing = admin_client.get("/admin/analytics/shopanalytics/")
    page = admin_client.get(f"/admin/analytics/shopanalytics/{shop.account.id}/change/")

    assert listing.status_code == 200 and other_shop.domain in listing.content.decode()
    assert page.status_code == 200
    html = page.content.decode()
    assert "orders: 1" in html and "EUR: 50.00 direct" in html


def test_the_raw_rows_are_read_only(admin_client, shop):
    for path in ("dailycounter", "trackingevent", "attributedline"):
        assert admin_client.get(f"/admin/analytics/{path}/").status_code == 200
        assert admin_client.get(f"/admin/analytics/{path}/add/").status_code == 403
