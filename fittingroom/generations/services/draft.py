"""The fields every new generation takes from its request, rendered or reused."""

from datetime import datetime, timedelta

from fittingroom.accounts.models import Account
from fittingroom.catalog import Garment
from fittingroom.generations.models import Generation
from fittingroom.images.models import PersonImage
from fittingroom.limits.shoppers import Shopper


def generation_draft(
    *,
    account: Account,
    shopper: Shopper,
    person_image: PersonImage,
    garment: Garment,
    catalog_source: str,
    watermark: bool,
    keep_for_days: int,
    now: datetime,
    **fields: object,
) -> Generation:
    """An unsaved generation for this try-on request; `fields` add what differs (status,
    engine, deadline)."""
    return Generation(
        account=account,
        shopper_key=shopper.key,
        client_ip=shopper.ip,
        person_image=person_image,
        catalog_source=catalog_source,
        product_id=garment.product_id,
        variant_id=garment.variant_id,
        garment_title=garment.title[:255],
        garment_category=garment.category,
        garment_image_ref=garment.image_ref,
        created_at=now,
        watermark=watermark,
        keep_for_days=keep_for_days,
        expires_at=now + timedelta(days=keep_for_days),
        **fields,
    )
