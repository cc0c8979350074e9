"""Bench data made through our own services: a shop whose limits and quota never refuse, and a
shopper photo uploaded once. Call after `stack.django_ready(ctx)`."""

from __future__ import annotations

import secrets
import time
from urllib.parse import urlencode

from bench.common import ROOT

PERSON_PHOTO = ROOT / "fittingroom" / "demo" / "person.jpg"
PRODUCT_ID = "gid://shopify/Product/1001"
VARIANT_ID = "gid://shopify/ProductVariant/11002"


def bench_shop(name: str, *, engine: str = ""):
    """An installed shop on an active plan with a quota and weekly limits too big to refuse
    (the quota UPDATE and the limit counts still run on every try-on). Result reuse is off: one
    photo tried on again would be answered from the first result, and every try-on must render."""
    from fittingroom.accounts.models import Account
    from shopify_integration.models import Shop

    domain = f"bench-{name}-{secrets.token_hex(3)}.myshopify.com"
    account = Account.objects.create(
        name=domain,
        catalog_source="demo",
        engine=engine,
        quota_limit=1_000_000_000,
        shopper_weekly_limit=1_000_000,
        ip_weekly_limit=1_000_000,
        result_reuse_enabled=False,
    )
    return Shop.objects.create(
        domain=domain, account=account, plan_name="Bench", billing_status=Shop.Billing.ACTIVE
    )


def bench_photo(account):
    """The demo photo, uploaded through the upload service (normalised and stored)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fittingroom.images.services import person_image_upload
    from fittingroom.limits.shoppers import Shopper

    return person_image_upload(
        account=account,
        shopper=Shopper(key="visitor:bench-photo", ip="127.0.0.1"),
        upload=SimpleUploadedFile("person.jpg", PERSON_PHOTO.read_bytes()),
    )


def bench_garment(account):
    from fittingroom.catalog import source_named

    return source_named("demo").garment_for(
        account=account, product_id=PRODUCT_ID, variant_id=VARIANT_ID
    )


def bench_generations(
    account, photo, count: int, *, prefix: str, ip: str
) -> tuple[list[str], float]:
    """`count` try-ons of the demo garment by distinct shoppers, committed together (their tasks
    are enqueued when the transaction commits); returns their ids and the time just before the
    commit."""
    from django.db import transaction

    from fittingroom.generations.services import generation_create
    from fittingroom.limits.shoppers import Shopper

    garment = bench_garment(account)
    with transaction.atomic():
        ids = [
            generation_create(
                account=account,
                shopper=Shopper(key=f"visitor:{prefix}-{i:06d}", ip=ip),
                person_image=photo,
                garment=garment,
                catalog_source="demo",
            ).id
            for i in range(count)
        ]
        committing = time.time()
    return ids, committing


def shop_delete(shop) -> None:
    """Everything of the bench shop, files included."""
    from fittingroom.generations.services import account_data_delete

    account_data_delete(account=shop.account)


def signed_path(
    shop_domain: str, path: str, secret: str, *, extra: dict[str, str] | None = None
) -> str:
    """/proxy/public/<path> with the query Shopify's app proxy adds, signed now."""
    from shopify_integration.proxy.signature import sign_proxy_query

    pairs = [
        *(extra or {}).items(),
        ("shop", shop_domain),
        ("logged_in_customer_id", ""),
        ("path_prefix", "/apps/fitting-room"),
        ("timestamp", str(int(time.time()))),
    ]
    return f"/proxy/public/{path}?{urlencode(sign_proxy_query(pairs, secret))}"


def purge_queues() -> int:
    """Drop every queued task (the bench's Redis only): rows they name are deleted."""
    from config.celery import app

    return app.control.purge() or 0
