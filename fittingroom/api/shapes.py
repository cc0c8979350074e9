"""Parsing the bodies of the public API into plain values, with every problem reported at the
client's own path (`products[0].images[1]`, `output.keepForDays`, `customer.source`).

`POST /v1/try-on` takes two shapes: the current one (`products`, `person.image.source`,
`externalUserId`, `output`) and the deprecated one (`product`, `customer.source`, `customerId`,
`useWatermark`, `retentionDays`). Both parse to the same `TryOnRequest`; mixing them is refused.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fittingroom.api.base import EXTERNAL_USER_ID_MAX_LENGTH
from fittingroom.catalog import ProductImagesRequired
from fittingroom.core.errors import ApplicationError, ValidationFailed
from fittingroom.generations.services.create import DEFAULT_KEEP_FOR_DAYS, KEEP_FOR_DAYS_CHOICES
from fittingroom.products.services import MAX_IMAGES, product_images_problems

CURRENT_KEYS = ("products", "person", "externalUserId", "output")
DEPRECATED_KEYS = ("product", "customer", "customerId", "useWatermark", "retentionDays")
SOURCE_KINDS = ("id", "url", "fileKey")
SOURCE_MAX_LENGTHS = {"id": 64, "url": 2048, "fileKey": 255}
MAX_ID_LENGTH = 255
MAX_TITLE_LENGTH = 255
MAX_DESCRIPTION_LENGTH = 5000
MAX_DATA_FIELD_BYTES = 1024 * 1024
MAX_ROLE_LENGTH = 64
MAX_METADATA_BYTES = 8192
_ONE_SOURCE = "Give exactly one of id, url or fileKey."


class CustomerImageRequired(ApplicationError):
    code, status, message = "CUSTOMER_IMAGE_REQUIRED", 400, "The person image is missing."


@dataclass(frozen=True)
class ImageSpec:
    """One product image as sent: a URL or the name of a multipart file part, and its role."""

    path: str
    url: str | None = None
    file_key: str | None = None
    role: str | None = None


@dataclass(frozen=True)
class ProductSpec:
    """One product item as sent. `path` is where it sat in the body, for error details."""

    path: str
    external_id: str | None
    title: str | None = None
    description: str | None = None
    images: list[ImageSpec] | None = None
    metadata: dict | None = None

    @property
    def is_reference(self) -> bool:
        """Only an externalId: use the stored product as it is."""
        described = (self.title, self.description, self.images, self.metadata) != (None,) * 4
        return self.external_id is not None and not described


@dataclass(frozen=True)
class PersonSource:
    kind: str  # "id", "url" or "fileKey"
    value: str
    path: str  # of the source object: "person.image.source" or "customer.source"


@dataclass(frozen=True)
class TryOnRequest:
    product: ProductSpec
    person: PersonSource
    external_user_id: str | None
    watermark: bool
    keep_for_days: int
    deprecated: bool


class _Problems:
    """Collects every problem of a body, so one answer lists them all."""

    def __init__(self) -> None:
        self.details: list[dict[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.details.append({"path": path, "message": message})

    def raise_if_any(self) -> None:
        if self.details:
            raise ValidationFailed(details=self.details)


# --- The body of a request -------------------------------------------------------------------


def tryon_body(*, data: Mapping[str, Any], multipart: bool) -> Any:
    """The JSON document of a try-on request: the body itself, or for multipart/form-data the
    JSON in its `data` field (a plain field, or a file part as browsers' FormData may send)."""
    if not multipart:
        return data
    raw = data.get("data")
    if raw is None:
        raise ValidationFailed(
            details=[{"path": "data", "message": "Send the request JSON in the field 'data'."}]
        )
    if hasattr(raw, "read"):
        raw = raw.read(MAX_DATA_FIELD_BYTES + 1)
    try:
        if len(raw) > MAX_DATA_FIELD_BYTES:
            raise ValueError("too large")
        return json.loads(raw)
    except (ValueError, TypeError) as error:
        raise ValidationFailed(
            details=[{"path": "data", "message": "The field 'data' must hold a JSON object."}]
        ) from error


def _present(body: Mapping[str, Any], keys: tuple[str, ...]) -> list[str]:
    return [key for key in keys if body.get(key) is not None]


def tryon_request_parse(body: Any) -> TryOnRequest:
    """Either shape → TryOnRequest. Raises VALIDATION_FAILED (with every problem found),
    CUSTOMER_IMAGE_REQUIRED (no person) or PRODUCT_IMAGES_REQUIRED (a product to create without
    images), in that order."""
    if not isinstance(body, dict):
        raise ValidationFailed(details=[{"path": "", "message": "Send a JSON object."}])
    deprecated = _present(body, DEPRECATED_KEYS)
    if deprecated and _present(body, CURRENT_KEYS):
        raise ValidationFailed(
            "The body mixes the current and the deprecated request shapes.",
            details=[
                {"path": key, "message": "Deprecated; not allowed together with the current shape."}
                for key in deprecated
            ],
        )
    return _parse_deprecated(body) if deprecated else _parse_current(body)


def _parse_current(body: dict) -> TryOnRequest:
    problems = _Problems()
    product = _products(body.get("products"), problems)
    person = _person(body.get("person"), problems)
    user_id = _user_id(body.get("externalUserId"), "externalUserId", problems)
    output = _object(body.get("output"), "output", problems) or {}
    watermark = _boolean(output.get("watermark"), "output.watermark", problems, default=True)
    keep = _keep_for_days(output.get("keepForDays"), "output.keepForDays", problems)
    return _finish(problems, product, person, user_id, watermark, keep, deprecated=False)


def _parse_deprecated(body: dict) -> TryOnRequest:
    problems = _Problems()
    product = None
    if body.get("product") is None:
        problems.add("product", "This field is required.")
    else:
        product = product_item_parse(body["product"], "product", problems)
    customer = _object(body.get("customer"), "customer", problems)
    person = None
    if customer is not None:
        person = _source(customer.get("source"), "customer.source", problems)
    user_id = _user_id(body.get("customerId"), "customerId", problems)
    watermark = _boolean(body.get("useWatermark"), "useWatermark", problems, default=True)
    keep = _keep_for_days(body.get("retentionDays"), "retentionDays", problems)
    return _finish(problems, product, person, user_id, watermark, keep, deprecated=True)


def _finish(
    problems: _Problems,
    product: ProductSpec | None,
    person: PersonSource | None,
    external_user_id: str | None,
    watermark: bool,
    keep_for_days: int,
    *,
    deprecated: bool,
) -> TryOnRequest:
    problems.raise_if_any()
    if person is None:
        path = "customer" if deprecated else "person"
        detail = {"path": path, "message": "Give the person image."}
        raise CustomerImageRequired(details=[detail])
    assert product is not None  # a missing product is a problem raised above
    if not product.is_reference and not product.images:
        raise ProductImagesRequired(
            "Give the product's images (1 to 5 URLs): it is not a reference to a stored one.",
            details=[{"path": f"{product.path}.images", "message": "Give 1 to 5 image URLs."}],
        )
    return TryOnRequest(product, person, external_user_id, watermark, keep_for_days, deprecated)


# --- Parts -----------------------------------------------------------------------------------


def _products(value: Any, problems: _Problems) -> ProductSpec | None:
    if value is None:
        problems.add("products", "This field is required.")
    elif not isinstance(value, list):
        problems.add("products", "Must be an array.")
    elif len(value) != 1:
        problems.add("products", "Give exactly one product; multi-product try-on is not available.")
    else:
        return product_item_parse(value[0], "products[0]", problems)
    return None


def product_item_parse(value: Any, path: str, problems: _Problems) -> ProductSpec | None:
    """A product item, `{externalId?, title?, description?, images?}`; None when not an object.
    Absent fields stay None, which tells a reference from an inline description."""
    item = _object(value, path, problems, required=True)
    if item is None:
        return None
    at = f"{path}.".lstrip(".")  # a body that is the item itself has no path of its own
    return ProductSpec(
        path=path,
        external_id=_string(item.get("externalId"), f"{at}externalId", problems, numbers=True),
        title=_text(item.get("title"), f"{at}title", problems, MAX_TITLE_LENGTH),
        description=_text(
            item.get("description"), f"{at}description", problems, MAX_DESCRIPTION_LENGTH
        ),
        images=_images(_images_given(item), f"{at}images", problems),
        metadata=_metadata(item.get("metadata"), f"{at}metadata", problems),
    )


def _metadata(value: Any, path: str, problems: _Problems) -> dict | None:
    metadata = _object(value, path, problems)
    if metadata is not None and len(json.dumps(metadata)) > MAX_METADATA_BYTES:
        problems.add(path, f"At most {MAX_METADATA_BYTES} bytes of JSON.")
        return None
    return metadata


def _images_given(item: dict) -> Any:
    """`images`, or the deprecated `imageUrls` (plain URLs) when `images` is absent."""
    return item.get("images") if item.get("images") is not None else item.get("imageUrls")


def product_body_parse(body: Any) -> ProductSpec:
    """The body of `POST /v1/products`: a named product with its images."""
    problems = _Problems()
    spec = product_item_parse(body, "", problems)
    if spec is not None and spec.external_id is None:
        problems.add("externalId", "This field is required.")
    problems.raise_if_any()
    assert spec is not None
    if not spec.images:
        raise ProductImagesRequired(
            details=[{"path": "images", "message": "Give 1 to 5 image URLs."}]
        )
    return spec


def _person(value: Any, problems: _Problems) -> PersonSource | None:
    person = _object(value, "person", problems)
    if person is None:
        return None
    image = _object(person.get("image"), "person.image", problems)
    if image is None:
        return None
    return _source(image.get("source"), "person.image.source", problems)


def _source(value: Any, path: str, problems: _Problems) -> PersonSource | None:
    source = value if isinstance(value, dict) else {}
    given = [kind for kind in SOURCE_KINDS if source.get(kind) is not None]
    if len(given) != 1:
        problems.add(path, _ONE_SOURCE)
        return None
    kind = given[0]
    text = _string(source[kind], f"{path}.{kind}", problems, max_length=SOURCE_MAX_LENGTHS[kind])
    return PersonSource(kind, text, path) if text is not None else None


def _images(value: Any, path: str, problems: _Problems) -> list[ImageSpec] | None:
    """Each image as Genlook's clients send it: `{url}` or `{fileKey}` with an optional `role`
    (also nested as `{source: {url | fileKey}}`), or a plain URL string (the older shape)."""
    if value is None:
        return None
    if not isinstance(value, list):
        problems.add(path, "Must be an array of images ({url} or {fileKey}).")
        return None
    if len(value) > MAX_IMAGES:
        problems.add(path, f"At most {MAX_IMAGES} images.")
        return None
    images = [_image(item, f"{path}[{index}]", problems) for index, item in enumerate(value)]
    return [image for image in images if image is not None]


def _image(item: Any, path: str, problems: _Problems) -> ImageSpec | None:
    if isinstance(item, str):
        return _image_url(item, path, problems, role=None)
    if not isinstance(item, dict):
        problems.add(path, "Must be an object with url or fileKey (or a URL string).")
        return None
    role = _string(item.get("role"), f"{path}.role", problems, max_length=MAX_ROLE_LENGTH)
    source = item.get("source") if isinstance(item.get("source"), dict) else item
    given = [kind for kind in ("url", "fileKey") if source.get(kind) is not None]
    if len(given) != 1:
        problems.add(path, "Give exactly one of url or fileKey.")
        return None
    if given == ["url"]:
        return _image_url(source["url"], f"{path}.url", problems, role=role)
    key = _string(source["fileKey"], f"{path}.fileKey", problems, max_length=255)
    return ImageSpec(path=f"{path}.fileKey", file_key=key, role=role) if key else None


def _image_url(url: Any, path: str, problems: _Problems, *, role: str | None) -> ImageSpec | None:
    for _index, message in product_images_problems([url]):
        problems.add(path, message)
        return None
    if not _storable(url):
        problems.add(path, "Must not contain NUL or unpaired surrogates.")
        return None
    return ImageSpec(path=path, url=url, role=role)


# --- Scalars ---------------------------------------------------------------------------------


def _object(value: Any, path: str, problems: _Problems, *, required: bool = False) -> dict | None:
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        problems.add(path, "Must be an object.")
        return None
    return value


def _string(
    value: Any,
    path: str,
    problems: _Problems,
    *,
    max_length: int = MAX_ID_LENGTH,
    numbers: bool = False,
) -> str | None:
    """An opaque identifier: a non-blank string of printable characters (or, with `numbers`,
    an integer, since many systems' ids are numeric)."""
    if value is None:
        return None
    if numbers and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip() or not value.isprintable():
        problems.add(path, "Must be a non-blank string of printable characters.")
        return None
    if len(value) > max_length:
        problems.add(path, f"At most {max_length} characters.")
        return None
    return value


def _user_id(value: Any, path: str, problems: _Problems) -> str | None:
    return _string(value, path, problems, max_length=EXTERNAL_USER_ID_MAX_LENGTH, numbers=True)


def _storable(text: str) -> bool:
    """Whether the database can hold the text: PostgreSQL text cannot hold NUL, and neither
    database a lone surrogate (which JSON can spell as `"\\ud800"`)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def client_id_valid(value: str, *, max_length: int = MAX_ID_LENGTH) -> bool:
    """Whether a string can be a client's id: non-blank printable text (no NUL, no lone
    surrogate) of at most `max_length` characters."""
    return bool(value.strip()) and value.isprintable() and len(value) <= max_length


def _text(value: Any, path: str, problems: _Problems, max_length: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _storable(value):
        problems.add(path, "Must be a string without NUL characters or unpaired surrogates.")
        return None
    if len(value) > max_length:
        problems.add(path, f"At most {max_length} characters.")
        return None
    return value


def _boolean(value: Any, path: str, problems: _Problems, *, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        problems.add(path, "Must be true or false.")
    return bool(value)


def _keep_for_days(value: Any, path: str, problems: _Problems) -> int:
    if value is None:
        return DEFAULT_KEEP_FOR_DAYS
    if isinstance(value, bool) or value not in KEEP_FOR_DAYS_CHOICES:
        choices = ", ".join(map(str, KEEP_FOR_DAYS_CHOICES))
        problems.add(path, f"Must be one of {choices}.")
        return DEFAULT_KEEP_FOR_DAYS
    return int(value)
