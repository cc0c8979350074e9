"""The public Try-On API under /v1/: image upload, generations, customers, credits.

Views parse, call one service or selector and serialize. The API key (`request.auth` is the
account) and the per-account request budget are the `PublicApi` base's job, errors the
exception handler's.
"""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from fittingroom.api.base import (
    EXTERNAL_USER_ID_MAX_LENGTH,
    PublicApi,
    external_user_id_field,
    external_user_id_of,
    shopper_key_for,
)
from fittingroom.api.schema import IDEMPOTENCY_PARAMETERS, error_responses, path_parameter
from fittingroom.core.net import client_ip
from fittingroom.core.storage import signed_file_url
from fittingroom.generations.models import Generation
from fittingroom.generations.selectors import generation_get_or_forbidden, generations_page
from fittingroom.generations.serializers import GenerationStatusSerializer
from fittingroom.generations.services.create import DEFAULT_KEEP_FOR_DAYS, KEEP_FOR_DAYS_CHOICES
from fittingroom.generations.services.shoppers import shopper_data_delete
from fittingroom.images.models import PersonImage
from fittingroom.images.serializers import PhotoCheckSerializer
from fittingroom.images.services import person_image_upload, upload_size_check
from fittingroom.limits.shoppers import Shopper


class ImageUploadApi(PublicApi):
    """Upload a shopper's photo once; pass its `imageId` to try-ons as often as needed."""

    parser_classes = [MultiPartParser]

    class InputSerializer(serializers.Serializer):
        externalUserId = external_user_id_field(required=False)
        keepForDays = serializers.ChoiceField(
            choices=KEEP_FOR_DAYS_CHOICES,
            default=DEFAULT_KEEP_FOR_DAYS,
            help_text="Days until the photo is deleted.",
        )
        crop = serializers.BooleanField(
            default=True,
            help_text="Crop to 4:5 around the person; false keeps the framing (studio shots).",
        )

    class FormSerializer(InputSerializer):
        """The multipart form as documented; `file` is read by the service (FILE_REQUIRED)."""

        file = serializers.FileField(help_text="The photo: JPEG, PNG, WebP or HEIC.")

    class OutputSerializer(PhotoCheckSerializer):
        imageId = serializers.CharField(source="id")
        imageUrl = serializers.SerializerMethodField()

        def get_imageUrl(self, image: PersonImage) -> str:
            return signed_file_url(image.image.name)

    @extend_schema(
        operation_id="images_upload",
        summary="Upload a person image",
        request={"multipart/form-data": FormSerializer},
        parameters=IDEMPOTENCY_PARAMETERS,
        responses={201: OutputSerializer, **error_responses(400, 409, 413, 415, 422)},
    )
    def post(self, request: Request) -> Response:
        upload_size_check(declared_bytes=int(request.META.get("CONTENT_LENGTH") or 0))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        image = person_image_upload(
            account=self.account(request),
            shopper=Shopper(
                key=shopper_key_for(data.validated_data.get("externalUserId")),
                ip=client_ip(request._request, trust_forwarded=False),
            ),
            upload=request.FILES.get("file"),
            keep_for_days=data.validated_data["keepForDays"],
            crop=data.validated_data["crop"],
        )
        return Response(self.OutputSerializer(image).data, status=201)


class GenerationDetailApi(PublicApi):
    """A try-on's status; poll every 2 s until COMPLETED (with `resultImageUrl`) or FAILED."""

    class OutputSerializer(GenerationStatusSerializer):
        productExternalId = serializers.CharField(source="product_id")
        externalUserId = serializers.SerializerMethodField()

        def get_externalUserId(self, generation: Generation) -> str | None:
            return external_user_id_of(generation.shopper_key)

    @extend_schema(
        operation_id="generation_get",
        summary="Generation status",
        parameters=[path_parameter("generation_id", "The `generationId` of a try-on.")],
        responses={200: OutputSerializer, **error_responses(403, 404)},
    )
    def get(self, request: Request, generation_id: str) -> Response:
        generation = generation_get_or_forbidden(
            account=self.account(request), generation_id=generation_id
        )
        response = Response(self.OutputSerializer(generation).data)
        response["Cache-Control"] = "no-store"
        return response


class GenerationListApi(PublicApi):
    """The account's generations, newest first, a page at a time."""

    class InputSerializer(serializers.Serializer):
        cursor = serializers.CharField(
            required=False, max_length=200, help_text="`nextCursor` of the previous page."
        )
        limit = serializers.IntegerField(min_value=1, max_value=200, default=50)
        status = serializers.ChoiceField(choices=Generation.Status.choices, required=False)

    class OutputSerializer(serializers.Serializer):
        data = GenerationDetailApi.OutputSerializer(many=True)
        nextCursor = serializers.CharField(
            allow_null=True, help_text="Pass as `cursor` for the next page; null on the last."
        )

    @extend_schema(
        operation_id="generations_list",
        summary="List generations",
        parameters=[InputSerializer],
        responses={200: OutputSerializer, **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        filters = self.InputSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = generations_page(account=self.account(request), **filters.validated_data)
        return Response(
            self.OutputSerializer({"data": page.generations, "nextCursor": page.next_cursor}).data
        )


class CustomerDeleteApi(PublicApi):
    """Delete the photos and try-on results of one end user (`externalUserId`); the generation
    records stay, anonymised, for usage counts. Idempotent: deleting again answers 204 too."""

    class InputSerializer(serializers.Serializer):
        externalUserId = external_user_id_field()

    @extend_schema(
        operation_id="customer_delete",
        summary="Delete an end user's data",
        parameters=[
            path_parameter(
                "external_user_id",
                'The `externalUserId` sent with uploads and try-ons; "/" may be sent as is.',
                max_length=EXTERNAL_USER_ID_MAX_LENGTH,
                segment=False,
            )
        ],
        responses={204: None, **error_responses(400)},
    )
    def delete(self, request: Request, external_user_id: str) -> Response:
        data = self.InputSerializer(data={"externalUserId": external_user_id})
        data.is_valid(raise_exception=True)
        shopper_data_delete(
            account=self.account(request),
            shopper_key=shopper_key_for(data.validated_data["externalUserId"]),
        )
        return Response(status=204)


class CreditBalanceApi(PublicApi):
    """The account's credits: each try-on takes one, a failed one gives it back."""

    @extend_schema(
        operation_id="credits_get",
        summary="Credit balance",
        responses={
            200: inline_serializer("CreditBalance", {"creditBalance": serializers.IntegerField()})
        },
    )
    def get(self, request: Request) -> Response:
        return Response({"creditBalance": self.account(request).credit_balance})
