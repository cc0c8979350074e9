"""The plans a merchant can choose. Prices in USD; quota = generations per 30-day period."""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Plan:
    key: str
    name: str  # the subscription name shown in Shopify's admin; also how a sync recognises it
    price: Decimal  # per 30 days
    monthly_quota: int
    overage_price: Decimal | None = None  # per generation beyond the quota, if any
    overage_cap: Decimal | None = None  # cappedAmount of the usage line item
    trial_days: int = 0


PLANS = (
    Plan("starter", "Fitting Room Starter", Decimal("19.00"), 500, trial_days=7),
    Plan(
        "growth",
        "Fitting Room Growth",
        Decimal("49.00"),
        2000,
        overage_price=Decimal("0.04"),
        overage_cap=Decimal("100.00"),
        trial_days=7,
    ),
    Plan(
        "scale",
        "Fitting Room Scale",
        Decimal("149.00"),
        8000,
        overage_price=Decimal("0.03"),
        overage_cap=Decimal("300.00"),
    ),
)
PLANS_BY_KEY = {plan.key: plan for plan in PLANS}
PLANS_BY_NAME = {plan.name: plan for plan in PLANS}
