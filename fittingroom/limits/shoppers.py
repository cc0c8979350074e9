"""Who a shopper is, for limits and for finding (and deleting) everything of theirs."""

import re
from dataclasses import dataclass

VISITOR_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
CUSTOMER_ID_PATTERN = re.compile(r"^[0-9]{1,20}$")
# Counted for shoppers whose address is unknown: they share one per-address bucket.
UNKNOWN_ADDRESS = "0.0.0.0"  # noqa: S104 - the unspecified address, never bound


@dataclass(frozen=True)
class Shopper:
    """`key` identifies the shopper within an account (customer:…, visitor:… or ip:…);
    `ip` is the client address that the per-IP cap counts (None: unknown, counted as
    UNKNOWN_ADDRESS)."""

    key: str
    ip: str | None

    def __post_init__(self) -> None:
        if self.ip is None:
            object.__setattr__(self, "ip", UNKNOWN_ADDRESS)

    @classmethod
    def identify(
        cls, *, customer_id: str | None, visitor_id: str | None, ip: str | None
    ) -> "Shopper":
        """Shopify's logged-in customer when present (the only identity Shopify vouches for),
        else the widget's anonymous visitor id, else the address itself."""
        if customer_id and CUSTOMER_ID_PATTERN.match(customer_id):
            return cls(key=f"customer:{customer_id}", ip=ip)
        if visitor_id and VISITOR_ID_PATTERN.match(visitor_id):
            return cls(key=f"visitor:{visitor_id}", ip=ip)
        return cls(key=f"ip:{ip or UNKNOWN_ADDRESS}", ip=ip)
