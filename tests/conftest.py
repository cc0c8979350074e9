"""Shared fixtures. Tests use the real database, cache and broker (PostgreSQL and Redis when
DATABASE_URL / REDIS_URL are set); only Shopify and AI providers are ever emulated."""

import io
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client
from PIL import Image

from fittingroom.accounts.models import Account
from shopify_integration.models import Shop
from shopify_integration.proxy.signature import sign_proxy_query

ROOT = Path(__file__).resolve().parent.parent
pytest_plugins = [
    "tests.emulators.fixtures",
    "tests.emulators.static_images",
    "tests.emulators.fashn",
    "tests.emulators.fal",
    "tests.emulators.vertex",
    "tests.emulators.s3",
]

PERSON_PHOTO = ROOT / "fittingroom" / "demo" / "person.jpg"
DEMO_DOMAIN = "demo-fittingroom.myshopify.com"


@pytest.fixture(autouse=True)
def _isolated_media_and_cache(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.UPLOAD_RATE_LIMIT = "100000/h"
    # The real cache (Redis in CI), with a key prefix of this test's own: nothing leaks between
    # tests, and nothing is flushed that another process (the broker) keeps in the same Redis.
    settings.CACHES = {
        name: config | {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
        for name, config in settings.CACHES.items()
    }


def make_shop(
    domain: str = DEMO_DOMAIN, *, quota: int | None = 500, reuse: bool = True, **shop_fields
) -> Shop:
    """A shop ready for try-ons. `reuse=False` renders every try-on, as runs that count renders,
    charges and weekly-limit slots need (one photo tried on again would be answered from the
    first result: free, and outside the limit)."""
    account = Account.objects.create(
        name=domain, catalog_source="demo", quota_limit=quota, result_reuse_enabled=reuse
    )
    fields = {"installed_at": None, "plan_name": "Demo", "billing_status": Shop.Billing.ACTIVE}
    return Shop.objects.create(domain=domain, account=account, **(fields | shop_fields))


@pytest.fixture
def shop(db) -> Shop:
    return make_shop()


@pytest.fixture
def other_shop(db) -> Shop:
    return make_shop("other-store.myshopify.com")


class SignedProxyClient:
    """Calls /proxy/public/… the way Shopify's app proxy forwards a storefront request."""

    def __init__(
        self,
        client: Client,
        *,
        shop: str,
        customer_id: str = "",
        ip: str = "203.0.113.7",
        secret: str | None = None,
    ) -> None:
        self.client, self.shop, self.customer_id, self.ip = client, shop, customer_id, ip
        self.secret = secret or settings.SHOPIFY_API_SECRET

    def query(self, extra: dict[str, str] | None = None, *, timestamp: int | None = None) -> str:
        pairs = [
            *(extra or {}).items(),
            ("shop", self.shop),
            ("logged_in_customer_id", self.customer_id),
            ("path_prefix", "/apps/fitting-room"),
            ("timestamp", str(timestamp if timestamp is not None else int(time.time()))),
        ]
        return urlencode(sign_proxy_query(pairs, self.secret))

    def url(self, path: str, **kwargs) -> str:
        return f"/proxy/public/{path}?{self.query(**kwargs)}"

    def get(self, path: str, **kwargs):
        return self.client.get(self.url(path, **kwargs), HTTP_X_FORWARDED_FOR=self.ip)

    def post_json(self, path: str, body: dict, **kwargs):
        return self.client.post(
            self.url(path, **kwargs),
            body,
            content_type="application/json",
            HTTP_X_FORWARDED_FOR=self.ip,
        )

    def upload(self, content: bytes, *, name: str = "photo.jpg", **fields):
        return self.client.post(
            self.url("upload-image"),
            {"file": io_file(content, name), **fields},
            HTTP_X_FORWARDED_FOR=self.ip,
        )

    def as_(self, **changes) -> "SignedProxyClient":
        values = {
            "shop": self.shop,
            "customer_id": self.customer_id,
            "ip": self.ip,
            "secret": self.secret,
        } | changes
        return SignedProxyClient(self.client, **values)


def io_file(content: bytes, name: str) -> io.BytesIO:
    handle = io.BytesIO(content)
    handle.name = name
    return handle


@pytest.fixture
def proxy(client, shop) -> SignedProxyClient:
    return SignedProxyClient(client, shop=shop.domain)


@pytest.fixture(scope="session")
def person_jpeg() -> bytes:
    return PERSON_PHOTO.read_bytes()


def image_bytes(
    fmt: str = "JPEG", size: tuple[int, int] = (320, 480), color=(200, 120, 90), **save_args
) -> bytes:
    out = io.BytesIO()
    mode = "RGBA" if fmt == "PNG" and save_args.pop("alpha", False) else "RGB"
    Image.new(mode, size, color).save(out, format=fmt, **save_args)
    return out.getvalue()


@pytest.fixture
def uploaded_image(proxy, person_jpeg) -> str:
    response = proxy.upload(person_jpeg, visitorId="visitor-0001")
    assert response.status_code == 201, response.content
    return response.json()["fileId"]


def render_job(job_id: str):
    """Run the worker's task body for one generation now; returns the generation afterwards."""
    from fittingroom.generations.models import Generation
    from fittingroom.generations.services import generation_render

    generation_render(generation_id=job_id)
    return Generation.objects.get(id=job_id)
