"""A stand-in for Shopify's AJAX cart, kept in the session: enough for the widget's
`POST /cart/add.js` and for tests to read back which variant was added (`GET /cart.js`)."""

from decimal import Decimal

from django.contrib.sessions.backends.base import SessionBase

from fittingroom.catalog.demo import DEMO_PRODUCTS, DemoProduct, DemoVariant

SESSION_KEY = "demo_cart"
# Line-item properties per variant (the widget's hidden `_fitting_room_job`) and the cart's
# attributes (its `_fitting_room_visitor`), which Shopify copies onto the order.
PROPERTIES_KEY, ATTRIBUTES_KEY = "demo_cart_properties", "demo_cart_attributes"


class UnknownVariant(Exception):
    pass


def demo_variant_find(*, variant_id: int) -> tuple[DemoProduct, DemoVariant] | None:
    for product in DEMO_PRODUCTS:
        for variant in product.variants:
            if variant.id == variant_id:
                return product, variant
    return None


def cart_add(
    *, session: SessionBase, variant_id: int, quantity: int, properties: dict | None = None
) -> dict:
    """Add `quantity` of a demo variant; returns the line item as Shopify's cart/add.js does."""
    if demo_variant_find(variant_id=variant_id) is None or quantity < 1:
        raise UnknownVariant(variant_id)
    lines = dict(session.get(SESSION_KEY, {}))
    lines[str(variant_id)] = lines.get(str(variant_id), 0) + quantity
    session[SESSION_KEY] = lines
    if properties:
        session[PROPERTIES_KEY] = session.get(PROPERTIES_KEY, {}) | {
            str(variant_id): {str(k): str(v) for k, v in properties.items()}
        }
    return _line(variant_id, lines[str(variant_id)], session)


def cart_attributes_update(*, session: SessionBase, attributes: dict) -> dict:
    """`cart/update.js` `{attributes}`: merged into the cart's attributes; returns the cart."""
    session[ATTRIBUTES_KEY] = session.get(ATTRIBUTES_KEY, {}) | {
        str(k): str(v) for k, v in attributes.items()
    }
    return cart_get(session=session)


def cart_get(*, session: SessionBase) -> dict:
    """The cart in the shape of Shopify's /cart.js (the fields the widget and tests read)."""
    items = [
        _line(int(key), quantity, session) for key, quantity in session.get(SESSION_KEY, {}).items()
    ]
    return {
        "attributes": session.get(ATTRIBUTES_KEY, {}),
        "item_count": sum(item["quantity"] for item in items),
        "items": items,
        "total_price": sum(item["line_price"] for item in items),
        "currency": "USD",
    }


def _line(variant_id: int, quantity: int, session: SessionBase) -> dict:
    product, variant = demo_variant_find(variant_id=variant_id)
    cents = int(Decimal(variant.price) * 100)
    return {
        "id": variant.id,
        "variant_id": variant.id,
        "product_id": product.id,
        "handle": product.handle,
        "title": f"{product.title} - {variant.title}",
        "variant_title": variant.title,
        "quantity": quantity,
        "price": cents,
        "line_price": cents * quantity,
        "properties": session.get(PROPERTIES_KEY, {}).get(str(variant_id), {}),
    }
