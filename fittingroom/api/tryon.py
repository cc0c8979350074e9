"""`POST /v1/try-on` of the public Try-On API (tryon-api-create-try-on.txt).

Answers 201 Created with `{generationId, status, productExternalId}`: the call creates a
generation resource (its status URL is in `Location`) whose work runs asynchronously.

The body is parsed by `shapes.tryon_request_parse`, which reports every problem at the client's
own path; the input serializers here only describe it, for the OpenAPI schema.
"""

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiRequest,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from fittingroom.api.base import EXTERNAL_USER_ID_MAX_LENGTH, PublicApi
from fittingroom.api.products import ProductItemSerializer
from fittingroom.api.schema import IDEMPOTENCY_PARAMETERS, OpaqueIdField, error_responses
from fittingroom.api.shapes import SOURCE_MAX_LENGTHS, tryon_body, tryon_request_parse
from fittingroom.api.tryon_services import api_tryon_create
from fittingroom.core.net import client_ip
from fittingroom.generations.models import Generation
from fittingroom.generations.services.create import DEFAULT_KEEP_FOR_DAYS, KEEP_FOR_DAYS_CHOICES
from fittingroom.images.services import upload_size_check

# --- What the body looks like (documentation only) -------------------------------------------


class IdSourceSerializer(serializers.Serializer):
    id = serializers.CharField(
        max_length=SOURCE_MAX_LENGTHS["id"], help_text="An `imageId` from POST /v1/images/upload."
    )


class UrlSourceSerializer(serializers.Serializer):
    url = serializers.URLField(
        max_length=SOURCE_MAX_LENGTHS["url"],
        help_text="An http(s) URL the photo is downloaded from, on every call.",
    )


class FileKeySourceSerializer(serializers.Serializer):
    fileKey = serializers.CharField(
        max_length=SOURCE_MAX_LENGTHS["fileKey"],
        help_text="The name of a file part of this multipart/form-data request.",
    )


def _person_image_source() -> PolymorphicProxySerializer:
    return PolymorphicProxySerializer(
        component_name="PersonImageSource",
        serializers=[IdSourceSerializer, UrlSourceSerializer, FileKeySourceSerializer],
        resource_type_field_name=None,
        help_text="The shopper photo: exactly one of `id`, `url` or `fileKey`.",
    )


class PersonImageSerializer(serializers.Serializer):
    source = _person_image_source()


class PersonSerializer(serializers.Serializer):
    image = PersonImageSerializer()


class OutputControlsSerializer(serializers.Serializer):
    watermark = serializers.BooleanField(
        default=True, help_text="Composite the account's logo, if one is configured."
    )
    keepForDays = serializers.ChoiceField(
        choices=KEEP_FOR_DAYS_CHOICES,
        default=DEFAULT_KEEP_FOR_DAYS,
        help_text="Days until the result is deleted.",
    )


class CustomerSerializer(serializers.Serializer):
    source = _person_image_source()


def _external_user_id(**kwargs: object) -> OpaqueIdField:
    return OpaqueIdField(max_length=EXTERNAL_USER_ID_MAX_LENGTH, required=False, **kwargs)


class TryOnSerializer(serializers.Serializer):
    products = serializers.ListField(
        child=ProductItemSerializer(),
        min_length=1,
        max_length=1,
        help_text="Exactly one product for now; multi-product try-on is on the roadmap.",
    )
    person = PersonSerializer()
    externalUserId = _external_user_id(
        help_text="Your opaque id of the end user (no PII): DELETE /v1/customers/{externalUserId} "
        "erases their photos and results."
    )
    output = OutputControlsSerializer(required=False)


@extend_schema_serializer(
    deprecate_fields=["product", "customer", "customerId", "useWatermark", "retentionDays"]
)
class DeprecatedTryOnSerializer(serializers.Serializer):
    """The previous request shape, still accepted (answered with `Deprecation: true`):
    `product` is `products[0]`, `customer.source` is `person.image.source`, `customerId` is
    `externalUserId`, and `useWatermark` / `retentionDays` are `output`'s fields. The two
    shapes cannot be mixed."""

    product = ProductItemSerializer()
    customer = CustomerSerializer()
    customerId = _external_user_id()
    useWatermark = serializers.BooleanField(default=True)
    # Labelled, so that the schema names this choice set on its own (RetentionDaysEnum) rather
    # than giving KeepForDaysEnum a second name.
    retentionDays = serializers.ChoiceField(
        choices=[(days, f"{days} day{'s' * (days != 1)}") for days in KEEP_FOR_DAYS_CHOICES],
        default=DEFAULT_KEEP_FOR_DAYS,
    )


def _tryon_body() -> PolymorphicProxySerializer:
    return PolymorphicProxySerializer(
        component_name="TryOnBody",
        serializers=[TryOnSerializer, DeprecatedTryOnSerializer],
        resource_type_field_name=None,
    )


class TryOnFormSerializer(serializers.Serializer):
    """The body as multipart/form-data: the JSON document in `data`, and the photo as a file
    part named by `person.image.source.fileKey`."""

    data = _tryon_body()
    file = serializers.FileField(
        required=False,
        help_text='The photo when `fileKey` is "file"; a part of any other name works as well.',
    )


class TryOnFormScheme(OpenApiSerializerExtension):
    """The form's file parts are named by the client (`fileKey`), so they are described as
    additional properties."""

    target_class = TryOnFormSerializer

    def map_serializer(self, auto_schema: AutoSchema, direction: str) -> dict:
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        schema["additionalProperties"] = {
            "type": "string",
            "format": "binary",
            "description": "A file part: the person photo (JPEG, PNG, WebP or HEIC).",
        }
        return schema


TRYON_REQUEST = {
    "application/json": _tryon_body(),
    "multipart/form-data": OpenApiRequest(
        TryOnFormSerializer, encoding={"data": {"contentType": "application/json"}}
    ),
}


# --- The view ---------------------------------------------------------------------------------


class TryOnCreateApi(PublicApi):
    """Run a virtual try-on; poll GET /v1/generations/{id} until it is COMPLETED or FAILED."""

    parser_classes = [JSONParser, MultiPartParser]

    class OutputSerializer(serializers.Serializer):
        generationId = serializers.CharField()
        status = serializers.ChoiceField(
            choices=Generation.Status.choices, help_text="PENDING when created."
        )
        productExternalId = serializers.CharField(
            help_text="The product's external id: the one sent, or for a one-shot product a "
            "server-generated one (`_anon_…`) to reference it by later."
        )

    @extend_schema(
        operation_id="try_on_create",
        summary="Create a try-on",
        description="Runs asynchronously and takes one credit (given back if it fails).",
        request=TRYON_REQUEST,
        parameters=[
            *IDEMPOTENCY_PARAMETERS,
            OpenApiParameter(
                "Location",
                str,
                OpenApiParameter.HEADER,
                description="The generation's status URL.",
                response=[201],
            ),
            OpenApiParameter(
                "Deprecation",
                {"type": "string", "enum": ["true"]},
                OpenApiParameter.HEADER,
                description="Present when the request used the deprecated shape.",
                response=[201],
            ),
        ],
        responses={
            201: OutputSerializer,
            **error_responses(
                400,
                402,
                404,
                409,
                413,
                415,
                422,
                descriptions={
                    400: "`VALIDATION_FAILED` (see `details`), `PRODUCT_IMAGES_REQUIRED`, "
                    "`CUSTOMER_IMAGE_REQUIRED`, `CUSTOMER_IMAGE_FETCH_FAILED`, "
                    "`MULTIPART_FILE_NOT_FOUND` or `INVALID_IMAGE`.",
                    402: "`INSUFFICIENT_CREDITS`: the account is out of credits.",
                    404: "`PRODUCT_NOT_FOUND` (retry with the full inline product) or "
                    "`CUSTOMER_IMAGE_NOT_FOUND`.",
                    409: "`RESERVED_EXTERNAL_ID` (`_anon_` ids are the server's), or "
                    "`IDEMPOTENCY_KEY_IN_USE`.",
                },
            ),
        },
    )
    def post(self, request: Request) -> Response:
        multipart = request.content_type.startswith("multipart/")
        if multipart:
            upload_size_check(declared_bytes=int(request.META.get("CONTENT_LENGTH") or 0))
        shape = tryon_request_parse(tryon_body(data=request.data, multipart=multipart))
        generation, product_external_id = api_tryon_create(
            account=self.account(request),
            request_shape=shape,
            files=request.FILES,
            # API clients call us directly: X-Forwarded-For would be theirs to write.
            ip=client_ip(request, trust_forwarded=False),
        )
        headers = {"Location": f"/v1/generations/{generation.id}"}
        if shape.deprecated:
            headers["Deprecation"] = "true"
        body = {
            "generationId": generation.id,
            "status": generation.status,
            "productExternalId": product_external_id,
        }
        return Response(self.OutputSerializer(body).data, status=201, headers=headers)
