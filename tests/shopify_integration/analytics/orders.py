"""Shopify's orders/create and refunds/create payloads (the documented fields we read)."""

from datetime import UTC, datetime


def order_payload(
    *,
    order_id: int = 450789469,
    lines: list[dict],
    customer_id: int | None = None,
    visitor: str | None = None,
    currency: str = "EUR",
    created_at: datetime | None = None,
) -> dict:
    return {
        "id": order_id,
        "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
        "created_at": (created_at or datetime.now(UTC)).isoformat(),
        "currency": currency,
        "customer": {"id": customer_id, "email": "bob@example.com"} if customer_id else None,
        "note_attributes": [{"name": "_fitting_room_visitor", "value": visitor}] if visitor else [],
        "line_items": lines,
    }


def line(
    line_id: int,
    *,
    product: int = 1001,
    price: str = "25.00",
    quantity: int = 1,
    job: str | None = None,
    discount: str = "0.00",
) -> dict:
    return {
        "id": line_id,
        "product_id": product,
        "variant_id": 11001,
        "quantity": quantity,
        "price": price,
        "total_discount": discount,
        "properties": [{"name": "_fitting_room_job", "value": job}] if job else [],
    }


def refund_payload(*, refund_id: int, order_id: int, lines: list[tuple[int, int, str]]) -> dict:
    return {
        "id": refund_id,
        "order_id": order_id,
        "created_at": datetime.now(UTC).isoformat(),
        "refund_line_items": [
            {"id": refund_id + i, "line_item_id": line_id, "quantity": qty, "subtotal": amount}
            for i, (line_id, qty, amount) in enumerate(lines)
        ],
    }
