from fittingroom.analytics.services.events import (
    events_expire,
    events_ingest,
    shopper_events_delete,
)
from fittingroom.analytics.services.orders import (
    OrderLine,
    RefundLine,
    order_attribute,
    refund_attribute,
)

__all__ = [
    "OrderLine",
    "RefundLine",
    "events_expire",
    "events_ingest",
    "order_attribute",
    "refund_attribute",
    "shopper_events_delete",
]
