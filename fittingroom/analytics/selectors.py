"""What the merchant's analytics page and the operators' admin read: the funnel, revenue per
currency, conversion with and without try-on, the top products and a daily series."""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from fittingroom.accounts.models import Account
from fittingroom.analytics.models import (
    AttributedLine,
    AttributedRefund,
    DailyCounter,
    TrackingEvent,
)
from fittingroom.generations.models import Generation

DAYS_DEFAULT, DAYS_MAX = 30, 90
FUNNEL_EVENTS = {
    "buttonClicks": "widget:button_click",
    "uploads": "widget:image_upload",
    "generations": "widget:generation_start",
    "results": "widget:result_view",
    "addToCarts": "widget:add_to_cart_success",
}
TRIED_ON = ("widget:generation_start",)
VIEWED = ("product_page:page_view",)
ADDED_TO_CART = ("widget:add_to_cart_success", "product_page:cart_add")
TOP_PRODUCTS = 10


def period_start(*, days: int, today: date | None = None) -> date:
    """The first UTC day of a period of `days` days ending today."""
    return (today or timezone.now().date()) - timedelta(days=days - 1)


def shop_analytics(*, account: Account, days: int) -> dict:
    """Everything the page shows for the last `days` UTC days (today included)."""
    start = period_start(days=days)
    since = datetime.combine(start, time.min, tzinfo=timezone.get_current_timezone())
    counters = DailyCounter.objects.filter(account=account, day__gte=start)
    lines = AttributedLine.objects.filter(account=account, ordered_at__gte=since)
    totals = dict(counters.values_list("event").annotate(total=Sum("count")))
    funnel = {key: totals.get(event, 0) for key, event in FUNNEL_EVENTS.items()}
    direct = lines.filter(kind=AttributedLine.Kind.DIRECT)
    funnel["orders"] = direct.values("order_id").distinct().count()
    return {
        "days": days,
        "since": start,
        "funnel": funnel,
        "assistedOrders": lines.filter(kind=AttributedLine.Kind.ASSISTED)
        .values("order_id")
        .distinct()
        .count(),
        "shares": totals.get("widget:share_clicked", 0),
        "productViews": totals.get("product_page:page_view", 0),
        "revenue": _revenue(lines),
        "conversion": _conversion(account=account, since=since),
        "topProducts": _top_products(account=account, counters=counters, lines=lines),
        "daily": _daily(start=start, counters=counters, direct=direct),
    }


def _revenue(lines) -> list[dict]:
    """Per currency: direct and assisted sales, refunds of them, and direct net of refunds."""
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for currency, kind, amount in lines.values_list("currency", "kind").annotate(Sum("amount")):
        sums[currency][kind] += amount
    refunds = AttributedRefund.objects.filter(line__in=lines)
    for currency, kind, amount in refunds.values_list("line__currency", "line__kind").annotate(
        Sum("amount")
    ):
        sums[currency][f"{kind}_refunded"] += amount
    return [
        {
            "currency": currency,
            "direct": _money(values["direct"]),
            "directRefunded": _money(values["direct_refunded"]),
            "directNet": _money(values["direct"] - values["direct_refunded"]),
            "assisted": _money(values["assisted"]),
            "assistedNet": _money(values["assisted"] - values["assisted_refunded"]),
        }
        for currency, values in sorted(sums.items())
    ]


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _conversion(*, account: Account, since: datetime) -> dict:
    """Shoppers who tried on vs product-page viewers who did not: the share of each that added
    to cart. Shoppers are known by customer or visitor id; raw events hold them for
    EVENT_RETENTION_DAYS, so a longer period counts only what is left."""
    events = TrackingEvent.objects.filter(account=account, occurred_at__gte=since).exclude(
        shopper_key=""
    )

    def shoppers(names: tuple[str, ...]) -> set[str]:
        return set(events.filter(name__in=names).values_list("shopper_key", flat=True).distinct())

    tried, added = shoppers(TRIED_ON), shoppers(ADDED_TO_CART)
    viewers = shoppers(VIEWED) - tried
    return {
        "triedOn": {"shoppers": len(tried), "addedToCart": len(tried & added)},
        "notTriedOn": {"shoppers": len(viewers), "addedToCart": len(viewers & added)},
        "triedOnRate": _rate(len(tried & added), len(tried)),
        "notTriedOnRate": _rate(len(viewers & added), len(viewers)),
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _top_products(*, account: Account, counters, lines) -> list[dict]:
    per_product: dict[str, dict] = defaultdict(
        lambda: {"tryOns": 0, "results": 0, "addToCarts": 0, "orders": 0, "quantity": 0}
    )
    wanted = {
        "widget:generation_start": "tryOns",
        "widget:result_view": "results",
        "widget:add_to_cart_success": "addToCarts",
    }
    rows = (
        counters.exclude(product_id="")
        .filter(event__in=wanted)
        .values_list("product_id", "event")
        .annotate(total=Sum("count"))
    )
    for product_id, event, total in rows:
        per_product[product_id][wanted[event]] += total
    direct = lines.filter(kind=AttributedLine.Kind.DIRECT).values_list("product_id")
    for product_id, orders, quantity in direct.annotate(
        Count("order_id", distinct=True), Sum("quantity")
    ):
        per_product[product_id]["orders"] += orders
        per_product[product_id]["quantity"] += quantity
    ranked = sorted(per_product.items(), key=lambda item: (-item[1]["tryOns"], item[0]))
    ranked = ranked[:TOP_PRODUCTS]
    titles = _titles(account=account, product_ids=[product_id for product_id, _ in ranked])
    return [
        {"productId": product_id, "title": titles.get(product_id, ""), **values}
        for product_id, values in ranked
    ]


def _titles(*, account: Account, product_ids: list[str]) -> dict[str, str]:
    rows = (
        Generation.objects.filter(account=account, product_id__in=product_ids)
        .exclude(garment_title="")
        .order_by("created_at")
        .values_list("product_id", "garment_title")
    )
    return dict(rows)  # the latest title wins


def _daily(*, start: date, counters, direct) -> list[dict]:
    today = timezone.now().date()
    series = {
        start + timedelta(days=offset): {"tryOns": 0, "results": 0, "addToCarts": 0, "orders": 0}
        for offset in range((today - start).days + 1)
    }
    wanted = {
        "widget:generation_start": "tryOns",
        "widget:result_view": "results",
        "widget:add_to_cart_success": "addToCarts",
    }
    rows = counters.filter(event__in=wanted).values_list("day", "event").annotate(Sum("count"))
    for day, event, total in rows:
        if day in series:
            series[day][wanted[event]] += total
    for ordered_at, _order in direct.values_list("ordered_at", "order_id").distinct():
        day = timezone.localtime(ordered_at).date()
        if day in series:
            series[day]["orders"] += 1
    return [{"date": day, **values} for day, values in sorted(series.items())]
