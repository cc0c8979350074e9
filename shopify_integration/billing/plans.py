"""The plans a merchant can choose. Prices in USD; quota = generations per 30-day period."""

from dataclasses import dataclass
from decimal import Decimal

CURRENCY = "USD"


@dataclass(frozen=True)
class Plan:
    key: str
    name: str  # the subscription name shown in Shopify's admin; also how a sync recognises it
    price: Decimal  # per 30 days
    monthly_quota: int
    overage_price: Decimal | None = None  # per generation beyond the quota, if any
    overage_cap: Decimal | None = None  # cappedAmount of the usage line item
    trial_days: int = 0

    def __post_init__(self) -> None:
        if (self.overage_price is None) != (self.overage_cap is None):
            raise ValueError(f"Plan {self.key}: overage needs both a price and a cap.")
        if self.overage_price is not None and self.overage_price <= 0:
            raise ValueError(f"Plan {self.key}: the overage price must be positive.")

    @property
    def has_overage(self) -> bool:
        return self.overage_price is not None

    @property
    def quota_limit(self) -> int:
        """The hard quota per period: the included generations, plus as many overage
        generations as the cap pays for, so we never serve what Shopify will not let us charge."""
        if self.overage_price is None or self.overage_cap is None:
            return self.monthly_quota
        return self.monthly_quota + int(self.overage_cap // self.overage_price)

    @property
    def usage_terms(self) -> str:
        """The usage line item's terms, shown to the merchant on Shopify's approval page."""
        return (
            f"${self.overage_price} per try-on beyond the {self.monthly_quota:,} included "
            f"each 30 days, up to ${self.overage_cap} per 30 days"
        )


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
