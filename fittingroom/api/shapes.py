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
    OneOf,
    Problems,
    Token,
    TokenUrl,
)
from fittingroom.api.product_shapes import ProductItemSerializer, ProductSpec
from fittingroom.catalog import ProductImagesRequired
from fittingroom.core.errors import ApplicationError, ValidationFailed
from fittingroom.generations.services.create import DEFAULT_KEEP_FOR_DAYS, KEEP_FOR_DAYS_CHOICES

SOURCE_MAX_LENGTHS = {"id": 64, "url": 2048, "fileKey": 255}
MAX_DATA_FIELD_BYTES = 1024 * 1024


class CustomerImageRequired(ApplicationError):
    code, status, message = "CUSTOMER_IMAGE_REQUIRED", 400, "The person image is missing."


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

    # Both shapes build (product, person source, user id, watermark, days to keep): either may
    # still lack the person, which `tryon_request_parse` answers with its own code.
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
