"""Who a shopper is, for limits and for finding (and deleting) everything of theirs.

Every shopper key is written here: `customer:{id}` (a Shopify customer), `visitor:{id}` (the
widget's anonymous visitor), `ip:{address}`, `user:{externalUserId}` (a public-API end user),
`api` (public-API calls without one) and `redacted` (erased, never a real key)."""

import re
from dataclasses import dataclass

VISITOR_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
CUSTOMER_ID_PATTERN = re.compile(r"^[0-9]{1,20}$")
CUSTOMER_KEY_PREFIX = "customer:"
VISITOR_KEY_PREFIX = "visitor:"
ADDRESS_KEY_PREFIX = "ip:"
USER_KEY_PREFIX = "user:"
API_SHOPPER_KEY = "api"
REDACTED_SHOPPER_KEY = "redacted"
# Counted for shoppers whose address is unknown: they share one per-address bucket.
UNKNOWN_ADDRESS = "0.0.0.0"  # noqa: S104 - the unspecified address, never bound


@dataclass(frozen=True)
class Shopper:
    """`key` identifies the shopper within an account (customer:…, visitor:…, ip:…, user:…);
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
            return cls(key=customer_shopper_key(customer_id), ip=ip)
        if visitor_id and VISITOR_ID_PATTERN.match(visitor_id):
            return cls(key=f"{VISITOR_KEY_PREFIX}{visitor_id}", ip=ip)
        return cls(key=f"{ADDRESS_KEY_PREFIX}{ip or UNKNOWN_ADDRESS}", ip=ip)


def customer_shopper_key(customer_id: str) -> str:
    return f"{CUSTOMER_KEY_PREFIX}{customer_id}"


def customer_id_of(shopper_key: str) -> str | None:
    """The customer id a `customer:…` key was made from; None for every other key."""
    if shopper_key.startswith(CUSTOMER_KEY_PREFIX):
        return shopper_key.removeprefix(CUSTOMER_KEY_PREFIX)
    return None
