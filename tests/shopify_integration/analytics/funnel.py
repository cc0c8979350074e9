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


def completed_generation(
    account, *, shopper_key: str = f"visitor:{VISITOR}", product: str = PRODUCT, **fields
):
    """A COMPLETED try-on with a stored result, as the worker leaves it."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from fittingroom.generations.models import Generation
    from tests.conftest import image_bytes

    values = {
        "account": account,
        "shopper_key": shopper_key,
        "client_ip": "203.0.113.7",
        "catalog_source": "demo",
        "product_id": product,
        "garment_title": "Classic tee",
        "garment_image_ref": "demo:tshirt-navy.png",
        "engine": "local",
        "status": Generation.Status.COMPLETED,
        "deadline_at": timezone.now() + timezone.timedelta(minutes=3),
        "finished_at": timezone.now(),
    } | fields
    generation = Generation(**values)
    generation.result_image.save("result.jpg", ContentFile(image_bytes()), save=False)
    generation.save()
    return generation
