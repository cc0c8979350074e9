"""Helpers the analytics tests share: tracking batches as the widget sends them."""

import uuid
from datetime import UTC, datetime

PRODUCT = "gid://shopify/Product/1001"
VISITOR = "visitor-0001"


def event(name: str, **properties) -> dict:
    return {
        "event": name,
        "properties": properties,
        "timestamp": datetime.now(UTC).isoformat(),
        "$insert_id": uuid.uuid4().hex,
    }


def batch(*events: dict, visitor: str = VISITOR, product: str = PRODUCT, **context) -> dict:
    return {
        "events": list(events),
        "context": {
            "$current_url": "https://store.example/products/tee?email=me@example.com",
            "$session_id": "session-1",
            "$pageview_id": "pageview-1",
            "fr_client_id": visitor,
            "fr_product_id": product,
            "fr_lib_version": "1.0.0",
            **context,
        },
    }
