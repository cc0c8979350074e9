"""What each webhook topic's signed body must look like before we act on it.

Shopify signs the body only: `X-Shopify-Topic` and `X-Shopify-Shop-Domain` are unsigned headers,
so a captured delivery could be re-aimed at another shop or another topic (a `customers/redact`
body resent as `shop/redact`). A body is acted on only when its own shop field names the header's
shop and it has its topic's keys and none of another topic's that would make it mean something
else.

To handle a new topic: add its handler to `_HANDLERS` in services.py and its row here (a handled
topic without a row is refused). `shop_field` is None for bodies that carry no shop domain
(orders, refunds): for those the required keys are the whole check.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class TopicShape:
    shop_field: str | None  # the body's key holding the shop's myshopify domain
    required: tuple[str, ...] = ()  # keys that must be present and not null
    forbidden: tuple[str, ...] = ()  # keys this topic's body never has (another topic's do)


TOPIC_SHAPES: dict[str, TopicShape] = {
    # The shop object itself.
    "app/uninstalled": TopicShape(shop_field="myshopify_domain", required=("id",)),
    "products/update": TopicShape(shop_field=None, required=("id", "admin_graphql_api_id")),
    "products/delete": TopicShape(shop_field=None, required=("id",)),
    "customers/data_request": TopicShape(
        shop_field="shop_domain",
        required=("shop_id", "customer", "data_request"),
        forbidden=("orders_to_redact",),
    ),
    "customers/redact": TopicShape(
        shop_field="shop_domain",
        required=("shop_id", "customer", "orders_to_redact"),
        forbidden=("data_request",),
    ),
    "shop/redact": TopicShape(
        shop_field="shop_domain",
        required=("shop_id",),
        forbidden=("customer", "data_request", "orders_to_redact"),
    ),
    "orders/create": TopicShape(shop_field=None, required=("id", "line_items")),
    "refunds/create": TopicShape(shop_field=None, required=("id", "order_id", "refund_line_items")),
}


def payload_problem(*, topic: str, shop_domain: str, payload: dict) -> str:
    """Why the body does not fit its headers ("" when it does). A topic without a row fits
    (it is stored, never acted on); the caller refuses handled topics that have none."""
    shape = TOPIC_SHAPES.get(topic)
    if shape is None:
        return ""
    if shape.shop_field is not None:
        own = payload.get(shape.shop_field)
        if not isinstance(own, str) or own.lower() != shop_domain.lower():
            return f"the body's {shape.shop_field} does not match X-Shopify-Shop-Domain"
    missing = [key for key in shape.required if payload.get(key) is None]
    if missing:
        return f"the body does not match topic {topic}: no {', '.join(missing)}"
    extra = [key for key in shape.forbidden if key in payload]
    if extra:
        return f"the body does not match topic {topic}: it has {', '.join(extra)}"
    return ""
