"""The bodies of the public API, declared once: these serializers are what the OpenAPI schema
documents, and their fields (`body_fields`) parse a body into plain values, with every problem
reported at the client's own path (`products[0].images[1]`, `output.keepForDays`).

`POST /v1/try-on` takes two shapes: the current one (`products`, `person.image.source`,
`externalUserId`, `output`) and the deprecated one (`product`, `customer.source`, `customerId`,
`useWatermark`, `retentionDays`). Both parse to the same `TryOnRequest`; mixing them is refused.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from fittingroom.api.base import EXTERNAL_USER_ID_MAX_LENGTH
from fittingroom.api.body_fields import (
    BodyObject,
    Choice,
    ClientId,
    ExactlyOne,
    Flag,
    JsonObject,
    OneOf,
    Problems,
    Text,
    Token,
    TokenUrl,
    url_problem,
)
from fittingroom.catalog import ProductImagesRequired
from fittingroom.core.errors import ApplicationError, ValidationFailed
from fittingroom.generations.services.create import DEFAULT_KEEP_FOR_DAYS, KEEP_FOR_DAYS_CHOICES
from fittingroom.products.services import MAX_IMAGE_URL_LENGTH, MAX_IMAGES

__all__ = ["EXTERNAL_USER_ID_MAX_LENGTH"]  # imported from here as well

SOURCE_MAX_LENGTHS = {"id": 64, "url": 2048, "fileKey": 255}
MAX_ID_LENGTH = 255
MAX_TITLE_LENGTH = 255
MAX_DESCRIPTION_LENGTH = 5000
MAX_DATA_FIELD_BYTES = 1024 * 1024
MAX_ROLE_LENGTH = 64
MAX_METADATA_BYTES = 8192


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


# --- Products --------------------------------------------------------------------------------


class ProductImageInputSerializer(serializers.Serializer):
    """One product image: exactly one of `url` or `fileKey` (a plain URL string is accepted
    too, the older shape), with an optional `role` (say `top-back`)."""

    url = serializers.URLField(max_length=MAX_IMAGE_URL_LENGTH, required=False)
    fileKey = Token(
        max_length=255,
        required=False,
        help_text="The name of a file part of this multipart/form-data request.",
    )
    role = Token(max_length=MAX_ROLE_LENGTH, required=False, allow_null=True)


class ProductImages(serializers.ListField):
    """Each image as Genlook's clients send it: `{url}` or `{fileKey}` with an optional `role`
    (also nested as `{source: {url | fileKey}}`), or a plain URL string (the older shape)."""

    def parse(self, value: Any, path: str, problems: Problems) -> list[ImageSpec] | None:
        if value is None:
            return None
        if not isinstance(value, list):
            problems.add(path, "Must be an array of images ({url} or {fileKey}).")
            return None
        if len(value) > self.max_length:
            problems.add(path, f"At most {self.max_length} images.")
            return None
        images = [
            self._image(item, f"{path}[{index}]", problems) for index, item in enumerate(value)
        ]
        return [image for image in images if image is not None]

    def _image(self, item: Any, path: str, problems: Problems) -> ImageSpec | None:
        if isinstance(item, str):
            return _image_url(item, path, problems, role=None)
        if not isinstance(item, dict):
            problems.add(path, "Must be an object with url or fileKey (or a URL string).")
            return None
        fields = type(self.child)._declared_fields
        role = fields["role"].parse(item.get("role"), f"{path}.role", problems)
        source = item.get("source") if isinstance(item.get("source"), dict) else item
        given = [kind for kind in ("url", "fileKey") if source.get(kind) is not None]
        if len(given) != 1:
            problems.add(path, "Give exactly one of url or fileKey.")
            return None
        if given == ["url"]:
            return _image_url(source["url"], f"{path}.url", problems, role=role)
        key = fields["fileKey"].parse(source["fileKey"], f"{path}.fileKey", problems)
        return ImageSpec(path=f"{path}.fileKey", file_key=key, role=role) if key else None


def _image_url(url: Any, path: str, problems: Problems, *, role: str | None) -> ImageSpec | None:
    problem = url_problem(url)
    if problem is not None:
        problems.add(path, problem)
        return None
    return ImageSpec(path=path, url=url, role=role)


def images_field(**kwargs: Any) -> ProductImages:
    return ProductImages(
        child=ProductImageInputSerializer(),
        min_length=1,
        max_length=MAX_IMAGES,
        help_text="1 to 5 images; the first is tried on.",
        **kwargs,
    )


class ProductItemSerializer(BodyObject):
    """A product to try on: `{externalId}` alone references a stored product; with title,
    description and images it is created or updated (kept 15 days from its last use); without
    `externalId` it is a one-shot product (kept 7 days) that gets a server-generated id."""

    object_required = True
    fallbacks = {"images": "imageUrls"}

    externalId = ClientId(
        max_length=MAX_ID_LENGTH,
        required=False,
        help_text="Your id of the product (a SKU, say). Ids starting with `_anon_` are reserved.",
    )
    title = Text(max_length=MAX_TITLE_LENGTH, required=False, allow_blank=True)
    description = Text(max_length=MAX_DESCRIPTION_LENGTH, required=False, allow_blank=True)
    images = images_field(required=False)
    imageUrls = serializers.ListField(
        child=serializers.URLField(max_length=MAX_IMAGE_URL_LENGTH),
        required=False,
        help_text="Deprecated: plain image URLs; use `images`.",
    )
    metadata = JsonObject(
        max_bytes=MAX_METADATA_BYTES,
        required=False,
        allow_null=True,
        help_text="Your own JSON object, kept as is (8 KB).",
    )

    def build(self, values: dict[str, Any], *, path: str) -> ProductSpec:
        return ProductSpec(
            path=path,
            external_id=values["externalId"],
            title=values["title"],
            description=values["description"],
            images=values["images"],
            metadata=values["metadata"],
        )


# --- The person and the output ---------------------------------------------------------------


class IdSourceSerializer(serializers.Serializer):
    id = Token(
        max_length=SOURCE_MAX_LENGTHS["id"], help_text="An `imageId` from POST /v1/images/upload."
    )


class UrlSourceSerializer(serializers.Serializer):
    url = TokenUrl(
        max_length=SOURCE_MAX_LENGTHS["url"],
        help_text="An http(s) URL the photo is downloaded from, on every call.",
    )


class FileKeySourceSerializer(serializers.Serializer):
    fileKey = Token(
        max_length=SOURCE_MAX_LENGTHS["fileKey"],
        help_text="The name of a file part of this multipart/form-data request.",
    )


class PersonImageSource(OneOf):
    def parse(self, value: Any, path: str, problems: Problems) -> PersonSource | None:
        given = super().parse(value, path, problems)
        return PersonSource(*given, path) if given is not None else None


def _person_image_source() -> PersonImageSource:
    return PersonImageSource(
        component_name="PersonImageSource",
        serializers=[IdSourceSerializer, UrlSourceSerializer, FileKeySourceSerializer],
        resource_type_field_name=None,
        help_text="The shopper photo: exactly one of `id`, `url` or `fileKey`.",
    )


class PersonImageSerializer(BodyObject):
    source = _person_image_source()


class PersonSerializer(BodyObject):
    image = PersonImageSerializer()


class OutputControlsSerializer(BodyObject):
    absent_as_empty = True

    watermark = Flag(default=True, help_text="Composite the account's logo, if one is configured.")
    keepForDays = Choice(
        choices=KEEP_FOR_DAYS_CHOICES,
        default=DEFAULT_KEEP_FOR_DAYS,
        help_text="Days until the result is deleted.",
    )


class CustomerSerializer(BodyObject):
    source = _person_image_source()


def _external_user_id(**kwargs: Any) -> ClientId:
    return ClientId(max_length=EXTERNAL_USER_ID_MAX_LENGTH, required=False, **kwargs)


# --- The try-on body -------------------------------------------------------------------------


class TryOnSerializer(BodyObject):
    required_keys = ("products",)

    products = ExactlyOne(
        child=ProductItemSerializer(),
        refusal="Give exactly one product; multi-product try-on is not available.",
        help_text="Exactly one product for now; multi-product try-on is on the roadmap.",
    )
    person = PersonSerializer()
    externalUserId = _external_user_id(
        help_text="Your opaque id of the end user (no PII): DELETE /v1/customers/{externalUserId} "
        "erases their photos and results."
    )
    output = OutputControlsSerializer(required=False)

    def build(self, values: dict[str, Any], *, path: str) -> tuple:
        image = (values["person"] or {}).get("image") or {}
        output = values["output"]
        return (
            values["products"],
            image.get("source"),
            values["externalUserId"],
            output["watermark"],
            output["keepForDays"],
        )


@extend_schema_serializer(
    deprecate_fields=["product", "customer", "customerId", "useWatermark", "retentionDays"]
)
class DeprecatedTryOnSerializer(BodyObject):
    """The previous request shape, still accepted (answered with `Deprecation: true`):
    `product` is `products[0]`, `customer.source` is `person.image.source`, `customerId` is
    `externalUserId`, and `useWatermark` / `retentionDays` are `output`'s fields. The two
    shapes cannot be mixed."""

    required_keys = ("product",)

    product = ProductItemSerializer()
    customer = CustomerSerializer()
    customerId = _external_user_id()
    useWatermark = Flag(default=True)
    # Labelled, so that the schema names this choice set on its own (RetentionDaysEnum) rather
    # than giving KeepForDaysEnum a second name.
    retentionDays = Choice(
        choices=[(days, f"{days} day{'s' * (days != 1)}") for days in KEEP_FOR_DAYS_CHOICES],
        default=DEFAULT_KEEP_FOR_DAYS,
    )

    def build(self, values: dict[str, Any], *, path: str) -> tuple:
        return (
            values["product"],
            (values["customer"] or {}).get("source"),
            values["customerId"],
            values["useWatermark"],
            values["retentionDays"],
        )


CURRENT_KEYS = tuple(TryOnSerializer._declared_fields)
DEPRECATED_KEYS = tuple(DeprecatedTryOnSerializer._declared_fields)


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
    shape = DeprecatedTryOnSerializer() if deprecated else TryOnSerializer()
    problems = Problems()
    product, person, user_id, watermark, keep = shape.parse(body, "", problems)
    problems.raise_if_any()
    if person is None:
        detail = {
            "path": "customer" if deprecated else "person",
            "message": "Give the person image.",
        }
        raise CustomerImageRequired(details=[detail])
    if not product.is_reference and not product.images:
        raise ProductImagesRequired(
            "Give the product's images (1 to 5 URLs): it is not a reference to a stored one.",
            details=[{"path": f"{product.path}.images", "message": "Give 1 to 5 image URLs."}],
        )
    return TryOnRequest(product, person, user_id, watermark, keep, bool(deprecated))


def product_body_parse(body: Any) -> ProductSpec:
    """The body of `POST /v1/products`: a named product with its images."""
    problems = Problems()
    spec = ProductItemSerializer().parse(body, "", problems)
    if spec is not None and spec.external_id is None:
        problems.add("externalId", "This field is required.")
    problems.raise_if_any()
    assert spec is not None
    if not spec.images:
        raise ProductImagesRequired(
            details=[{"path": "images", "message": "Give 1 to 5 image URLs."}]
        )
    return spec


def client_id_valid(value: str, *, max_length: int = MAX_ID_LENGTH) -> bool:
    """Whether a string can be a client's id: non-blank printable text (no NUL, no lone
    surrogate) of at most `max_length` characters."""
    return bool(value.strip()) and value.isprintable() and len(value) <= max_length
