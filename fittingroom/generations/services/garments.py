"""The garment image as a hosted engine receives it, kept a few minutes per worker process.

A popular product is tried on many times in a row; decoding, resizing and PNG-encoding its
packshot (and, for Shopify, downloading it) on every submit was a third of a worker's time per
job. Entries are keyed by catalog source, image reference and size, and expire, so an image
replaced at the same address is picked up within GARMENT_CACHE_SECONDS.
"""

import io
import threading
import time
from collections import OrderedDict

from PIL import Image

from fittingroom.catalog import source_named

GARMENT_CACHE_SECONDS = 300
GARMENT_CACHE_ENTRIES = 32

_entries: OrderedDict[tuple[str, str, int | None], tuple[float, bytes]] = OrderedDict()
_lock = threading.Lock()


def garment_image_open(*, catalog_source: str, image_ref: str, size: int | None) -> Image.Image:
    garment = source_named(catalog_source).load_image(image_ref=image_ref)
    if size:
        garment.thumbnail((size, size), Image.Resampling.LANCZOS)
    return garment


def garment_png(*, catalog_source: str, image_ref: str, size: int | None) -> bytes:
    key = (catalog_source, image_ref, size)
    now = time.monotonic()
    with _lock:
        entry = _entries.get(key)
        if entry and entry[0] > now:
            _entries.move_to_end(key)
            return entry[1]
    out = io.BytesIO()
    garment = garment_image_open(catalog_source=catalog_source, image_ref=image_ref, size=size)
    # Fastest zlib level: a third of the encode time, for an upload the provider decodes the same.
    garment.save(out, format="PNG", compress_level=1)
    png = out.getvalue()
    with _lock:
        _entries[key] = (now + GARMENT_CACHE_SECONDS, png)
        _entries.move_to_end(key)
        while len(_entries) > GARMENT_CACHE_ENTRIES:
            _entries.popitem(last=False)
    return png


def garment_cache_clear() -> None:
    with _lock:
        _entries.clear()
