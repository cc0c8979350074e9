"""Local runs: the demo packshots this server serves can be used as /v1 product images, read from
disk, without opening the guarded fetcher to loopback; production never does it."""

import pytest

from fittingroom.catalog import ProductImageUnavailable
from fittingroom.catalog.demo import GARMENTS_DIR, demo_garment_file
from fittingroom.products.catalog import InlineCatalog


@pytest.fixture
def local_run(settings):
    settings.DEV_ROUTES, settings.PORT = True, 8000
    settings.PUBLIC_BASE_URL = "http://localhost:8000"


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8000/static/demo/garments/tshirt-navy.png",
        "http://127.0.0.1:8000/static/demo/garments/tshirt-navy.png",
    ],
)
def test_a_local_run_reads_its_own_demo_packshots_from_disk(local_run, url):
    assert demo_garment_file(url) == GARMENTS_DIR / "tshirt-navy.png"
    image = InlineCatalog().load_image(image_ref=url)
    assert image.mode == "RGBA" and image.size[0] > 100


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8000/static/demo/garments/../person.jpg",
        "http://localhost:8000/static/demo/garments/%2e%2e/person.jpg",
        "http://localhost:8000/static/demo/garments/nothing.png",
        "http://localhost:8000/static/demo/person.jpg",
        "http://localhost:9999/static/demo/garments/tshirt-navy.png",
        "http://10.0.0.1:8000/static/demo/garments/tshirt-navy.png",
        "http://localhost:bad/static/demo/garments/tshirt-navy.png",
        "file:///static/demo/garments/tshirt-navy.png",
    ],
)
def test_nothing_else_is_read_from_disk(local_run, url):
    assert demo_garment_file(url) is None


def test_production_fetches_even_the_demo_urls_through_the_guard(settings):
    settings.DEV_ROUTES, settings.FETCH_ALLOW_PRIVATE_ADDRESSES = False, False
    url = f"{settings.PUBLIC_BASE_URL}/static/demo/garments/tshirt-navy.png"

    assert demo_garment_file(url) is None
    with pytest.raises(ProductImageUnavailable) as refused:
        InlineCatalog().load_image(image_ref=url)
    # The reason reaches the generation's errorMessage, not only the worker's log.
    assert refused.value.message == (
        "The garment image could not be loaded: The image URL points to a forbidden address."
    )
