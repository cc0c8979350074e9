"""`POST /v1/try-on` of the public Try-On API (tryon-api-create-try-on.txt).

Answers 201 Created with `{generationId, status, productExternalId}`: the call creates a
generation resource (its status URL is in `Location`) whose work runs asynchronously.

The body is declared once, in `shapes`: its serializers are what the schema documents, and
`shapes.tryon_request_parse` parses it with them, reporting every problem at the client's own path.
"""

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiRequest,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import serializers
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from fittingroom.api.base import PublicApi
from fittingroom.api.schema import IDEMPOTENCY_PARAMETERS, error_responses
from fittingroom.api.shapes import (
    DeprecatedTryOnSerializer,
    TryOnSerializer,
    tryon_body,
    tryon_request_parse,
)
from fittingroom.api.tryon_services import api_tryon_create
from fittingroom.core.net import client_ip
from fittingroom.generations.models import Generation
from fittingroom.images.services import upload_size_check

# --- The body, as `shapes` declares and parses it ---------------------------------------------


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
