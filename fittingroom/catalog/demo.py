"""The demo catalog: three garments drawn by scripts/make_demo_garments.py, used by the demo shop
until it is connected to real Shopify products."""

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.templatetags.static import static
from PIL import Image

from fittingroom.accounts.models import Account
from fittingroom.catalog import (
    Garment,
    ProductImageUnavailable,
    ProductNotFound,
    VariantNotOfProduct,
    register_catalog_source,
)

GARMENTS_DIR = Path(__file__).resolve().parent.parent / "demo" / "garments"
PRODUCT_GID = "gid://shopify/Product/{}"
VARIANT_GID = "gid://shopify/ProductVariant/{}"


@dataclass(frozen=True)
class DemoVariant:
    id: int
    title: str
    image: str
    price: str


@dataclass(frozen=True)
class DemoProduct:
    id: int
    handle: str
    title: str
    category: str
    description: str
    variants: tuple[DemoVariant, ...]  # the first is the default

    @property
    def gid(self) -> str:
        return PRODUCT_GID.format(self.id)


DEMO_PRODUCTS = (
    DemoProduct(
        1001,
        "classic-crew-tee",
        "Classic Crew T-shirt",
        "tops",
        "Soft combed-cotton tee with a relaxed fit.",
        (
            DemoVariant(11001, "White", "tshirt-white.png", "24.00"),
            DemoVariant(11002, "Navy", "tshirt-navy.png", "24.00"),
            DemoVariant(11003, "Red", "tshirt-red.png", "24.00"),
        ),
    ),
    DemoProduct(
        1002,
        "evening-dress",
        "Evening Dress",
        "one-pieces",
        "A simple sleeveless dress that goes from day to night.",
        (
            DemoVariant(12001, "Black", "dress-black.png", "89.00"),
            DemoVariant(12002, "Emerald", "dress-emerald.png", "89.00"),
        ),
    ),
    DemoProduct(
        1003,
        "field-jacket",
        "Field Jacket",
        "tops",
        "A long-sleeve jacket with a pointed collar: the denim one buttons up and has flap "
        "chest pockets, the olive one zips.",
        (
            DemoVariant(13001, "Denim", "jacket-denim.png", "120.00"),
            DemoVariant(13002, "Olive", "jacket-olive.png", "120.00"),
        ),
    ),
)
_BY_GID = {product.gid: product for product in DEMO_PRODUCTS}


class DemoCatalog:
    def garment_for(self, *, account: Account, product_id: str, variant_id: str | None) -> Garment:
        product = _BY_GID.get(product_id)
        if product is None:
            raise ProductNotFound()
        variant = product.variants[0]
        if variant_id:
            matches = [v for v in product.variants if VARIANT_GID.format(v.id) == variant_id]
            if not matches:
                raise VariantNotOfProduct()
            variant = matches[0]
        return Garment(
            product_id=product.gid,
            variant_id=VARIANT_GID.format(variant.id),
            title=f"{product.title} — {variant.title}",
            category=product.category,
            image_ref=f"demo:{variant.image}",
        )

    def load_image(self, *, image_ref: str) -> Image.Image:
        name = image_ref.removeprefix("demo:")
        path = GARMENTS_DIR / name
        if not image_ref.startswith("demo:") or path.parent != GARMENTS_DIR or not path.exists():
            raise ProductImageUnavailable(image_ref)
        with Image.open(path) as image:
            return image.convert("RGBA")

    def preview_url(self, *, image_ref: str) -> str | None:
        return static(f"demo/garments/{image_ref.removeprefix('demo:')}")


register_catalog_source("demo", DemoCatalog())

_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})


def demo_garment_file(url: str) -> Path | None:
    """Local runs only (DEBUG): a URL of a demo packshot as this server serves it
    (`http://localhost:PORT/static/demo/garments/<file>`) → that file, so a public-API client on
    a laptop can try on the demo garments without the guarded fetcher opening loopback. None for
    any other URL, and always None in production."""
    if not settings.DEV_ROUTES:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None
    base = urlsplit(settings.PUBLIC_BASE_URL)
    hosts = _LOCAL_HOSTS | {base.hostname}
    ports = {settings.PORT, base.port or _DEFAULT_PORTS.get(base.scheme)}
    prefix = f"{settings.STATIC_URL}demo/garments/"
    if parts.hostname not in hosts or port not in ports or not parts.path.startswith(prefix):
        return None
    name = parts.path.removeprefix(prefix)
    return GARMENTS_DIR / name if name in _GARMENT_FILES else None


_DEFAULT_PORTS = {"http": 80, "https": 443}
_GARMENT_FILES = frozenset(path.name for path in GARMENTS_DIR.glob("*.png"))
