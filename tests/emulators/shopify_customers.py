"""The Admin emulator's customers (e-mail capture): `customers(query: "email:…")`,
`customerCreate`, `tagsAdd` and `customerEmailMarketingConsentUpdate`, per shop, with Shopify's
userErrors for a taken or malformed e-mail."""

import copy
import re
import threading
from typing import Any

from graphql import GraphQLError

_EMAIL_QUERY = re.compile(r'^email:"?(?P<email>[^"\s]+)"?$')
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Customers:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.by_shop: dict[str, dict[str, dict[str, Any]]] = {}  # shop → gid → customer
        self._ids = 7000

    def add(self, shop: str, email: str, *, state: str = "NOT_SUBSCRIBED", tags=()) -> str:
        with self.lock:
            self._ids += 1
            gid = f"gid://shopify/Customer/{self._ids}"
            self.by_shop.setdefault(shop, {})[gid] = {
                "__typename": "Customer",
                "id": gid,
                "email": email.lower(),
                "tags": list(tags),
                "emailMarketingConsent": {"marketingState": state, "marketingOptInLevel": None},
            }
            return gid

    def all(self, shop: str) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(list(self.by_shop.get(shop, {}).values()))

    def search(self, shop: str, query: str | None) -> list[dict[str, Any]]:
        match = _EMAIL_QUERY.match((query or "").strip())
        if match is None:
            raise GraphQLError("The emulator only searches customers by email:…")
        email = match["email"].lower()
        return [c for c in self.all(shop) if c["email"] == email]

    def create(self, shop: str, data: dict[str, Any]) -> dict[str, Any]:
        email = (data.get("email") or "").lower()
        if not _EMAIL.match(email):
            return _errors(["email"], "Email is invalid")
        if self.search(shop, f'email:"{email}"'):
            return _errors(["email"], "Email has already been taken")
        gid = self.add(shop, email, tags=data.get("tags") or ())
        consent = data.get("emailMarketingConsent")
        if consent:
            self._consent(shop, gid, consent)
        return {"customer": self._get(shop, gid), "userErrors": []}

    def tags_add(self, shop: str, gid: str, tags: list[str]) -> dict[str, Any]:
        with self.lock:
            customer = self.by_shop.get(shop, {}).get(gid)
            if customer is None:
                return {"node": None, **_errors(["id"], "Resource not found")}
            customer["tags"] = sorted(set(customer["tags"]) | set(tags))
            return {"node": copy.deepcopy(customer), "userErrors": []}

    def consent_update(self, shop: str, data: dict[str, Any]) -> dict[str, Any]:
        if self._get(shop, data["customerId"]) is None:
            return _errors(["customerId"], "Customer not found")
        self._consent(shop, data["customerId"], data["emailMarketingConsent"])
        return {"customer": self._get(shop, data["customerId"]), "userErrors": []}

    def _consent(self, shop: str, gid: str, consent: dict[str, Any]) -> None:
        with self.lock:
            self.by_shop[shop][gid]["emailMarketingConsent"] = {
                "marketingState": consent["marketingState"],
                "marketingOptInLevel": consent.get("marketingOptInLevel"),
            }

    def _get(self, shop: str, gid: str) -> dict[str, Any] | None:
        with self.lock:
            found = self.by_shop.get(shop, {}).get(gid)
            return copy.deepcopy(found)


def _errors(field: list[str], message: str) -> dict[str, Any]:
    return {"customer": None, "userErrors": [{"field": field, "message": message}]}


def wire(schema: Any, customers: Customers, connection: Any) -> None:
    """Attach the customer resolvers to the emulator's schema."""
    query = schema.query_type.fields
    query["customers"].resolve = lambda _, info, query=None, **page: connection("_found")(
        {"_found": customers.search(info.context["shop"], query)}, info, **page
    )
    mutation = schema.mutation_type.fields
    mutation["customerCreate"].resolve = lambda _, info, input: customers.create(
        info.context["shop"], input
    )
    mutation["tagsAdd"].resolve = lambda _, info, id, tags: customers.tags_add(
        info.context["shop"], id, tags
    )
    mutation["customerEmailMarketingConsentUpdate"].resolve = lambda _, info, input: (
        customers.consent_update(info.context["shop"], input)
    )
