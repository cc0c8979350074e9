"""The public Try-On API under /v1/: image upload, generations, customers, credits.

Views parse, call one service or selector and serialize. The API key (`request.auth` is the
account) and the per-account request budget are the `PublicApi` base's job, errors the
exception handler's.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.db.models.fields import Field
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fittingroom.accounts.models import Account
from fittingroom.api.authentication import ApiKeyAuthentication
from fittingroom.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from fittingroom.api.idempotency import MAX_KEY_LENGTH, REPLAYED_HEADER
from fittingroom.api.schema import error_responses
from fittingroom.api.throttling import AccountRateThrottle
from fittingroom.core.errors import ApplicationError, ValidationFailed
from fittingroom.core.net import client_ip
from fittingroom.core.storage import signed_file_url
from fittingroom.generations.models import Generation
from fittingroom.generations.selectors import GenerationNotFound
from fittingroom.generations.services.create import DEFAULT_KEEP_FOR_DAYS, KEEP_FOR_DAYS_CHOICES
from fittingroom.generations.services.shoppers import shopper_data_delete
from fittingroom.images.models import PersonImage
from fittingroom.images.services import person_image_upload, upload_size_check
from fittingroom.limits.shoppers import Shopper

USER_KEY_PREFIX = "user:"
API_SHOPPER_KEY = "api"  # generations and photos of the API without an externalUserId
_SHOPPER_KEY_COLUMNS: list[Field] = [
    PersonImage._meta.get_field("shopper_key"),
    Generation._meta.get_field("shopper_key"),
]
# The public API allows 255; `user:{id}` must also fit the shopper_key columns (100 today).
EXTERNAL_USER_ID_MAX_LENGTH = min(
    255, *(column.max_length - len(USER_KEY_PREFIX) for column in _SHOPPER_KEY_COLUMNS)
)

IDEMPOTENCY_PARAMETERS = [
    OpenApiParameter(
        IDEMPOTENCY_HEADER,
        {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
        OpenApiParameter.HEADER,
        description="Retry safely: a repeat with the same key and request gets the first "
        "answer again (kept 24 h) instead of doing the work twice.",
    ),
    OpenApiParameter(
        REPLAYED_HEADER,
        {"type": "string", "enum": ["true"]},
        OpenApiParameter.HEADER,
        description="Present on an answer replayed for a repeated Idempotency-Key.",
        response=[201, 400, 413, 415],  # the statuses that are kept and replayed
    ),
]


def shopper_key_for(external_user_id: str | None) -> str:
    """The shopper key of an API end user: `user:{externalUserId}`, or `api` without one."""
    return f"{USER_KEY_PREFIX}{external_user_id}" if external_user_id else API_SHOPPER_KEY


def external_user_id_of(shopper_key: str) -> str | None:
    return (
        shopper_key.removeprefix(USER_KEY_PREFIX)
        if shopper_key.startswith(USER_KEY_PREFIX)
        else None
    )


def _printable_and_not_blank(value: str) -> None:
    if not value.strip() or not value.isprintable():
        raise serializers.ValidationError("Must be a non-blank string of printable characters.")


def external_user_id_field(**kwargs: object) -> serializers.CharField:
    """An end user's opaque id, kept exactly as sent (the same rules as the try-on body)."""
    return serializers.CharField(
        max_length=EXTERNAL_USER_ID_MAX_LENGTH,
        trim_whitespace=False,
        validators=[_printable_and_not_blank],
        **kwargs,
    )


def _path_parameter(
    name: str, description: str, *, max_length: int | None = None
) -> OpenApiParameter:
    schema: dict = {"type": "string", "pattern": "^[^/]+$"}  # one path segment
    if max_length is not None:
        schema["maxLength"] = max_length
    return OpenApiParameter(name, schema, OpenApiParameter.PATH, description=description)


class Forbidden(ApplicationError):
    code, status, message = "FORBIDDEN", 403, "This belongs to another account."


class PublicApi(APIView):
    """Base of every /v1 view: `x-api-key` names the account (`request.auth`), and each
    account has a request budget per minute (API_RATE_LIMIT_PER_MINUTE)."""

    authentication_classes = [ApiKeyAuthentication]
    throttle_classes = [AccountRateThrottle]

    def account(self, request: Request) -> Account:
        return request.auth


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

    class FormSerializer(InputSerializer):
        """The multipart form as documented; `file` is read by the service (FILE_REQUIRED)."""

        file = serializers.FileField(help_text="The photo: JPEG, PNG, WebP or HEIC.")

    class OutputSerializer(serializers.Serializer):
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
        image = _person_image_upload(
            account=self.account(request),
            shopper=Shopper(
                key=shopper_key_for(data.validated_data.get("externalUserId")),
                ip=client_ip(request._request, trust_forwarded=False),
            ),
            upload=request.FILES.get("file"),
            keep_for_days=data.validated_data["keepForDays"],
        )
        return Response(self.OutputSerializer(image).data, status=201)


def _person_image_upload(
    *, account: Account, shopper: Shopper, upload: UploadedFile | None, keep_for_days: int
) -> PersonImage:
    # TODO(images): belongs in person_image_upload(keep_for_days=...) (images/services.py).
    image = person_image_upload(account=account, shopper=shopper, upload=upload)
    image.expires_at = image.created_at + timedelta(days=keep_for_days)
    PersonImage.objects.filter(id=image.id).update(expires_at=image.expires_at)
    return image


class GenerationDetailApi(PublicApi):
    """A try-on's status; poll every 2 s until COMPLETED (with `resultImageUrl`) or FAILED."""

    class OutputSerializer(serializers.Serializer):
        generationId = serializers.CharField(source="id")
        status = serializers.ChoiceField(choices=Generation.Status.choices)
        resultImageUrl = serializers.SerializerMethodField()
        errorCode = serializers.SerializerMethodField()
        errorMessage = serializers.SerializerMethodField()
        productExternalId = serializers.CharField(source="product_id")
        externalUserId = serializers.SerializerMethodField()
        createdAt = serializers.DateTimeField(source="created_at")
        updatedAt = serializers.DateTimeField(source="updated_at")

        def get_resultImageUrl(self, generation: Generation) -> str | None:
            if generation.status != Generation.Status.COMPLETED or not generation.result_image:
                return None
            return signed_file_url(generation.result_image.name)

        def get_errorCode(self, generation: Generation) -> str | None:
            return generation.error_code or None

        def get_errorMessage(self, generation: Generation) -> str | None:
            return generation.error_message or None

        def get_externalUserId(self, generation: Generation) -> str | None:
            return external_user_id_of(generation.shopper_key)

    @extend_schema(
        operation_id="generation_get",
        summary="Generation status",
        parameters=[_path_parameter("generation_id", "The `generationId` of a try-on.")],
        responses={200: OutputSerializer, **error_responses(403, 404)},
    )
    def get(self, request: Request, generation_id: str) -> Response:
        generation = _generation_get(account=self.account(request), generation_id=generation_id)
        response = Response(self.OutputSerializer(generation).data)
        response["Cache-Control"] = "no-store"
        return response


def _generation_get(*, account: Account, generation_id: str) -> Generation:
    """The account's generation. Unlike `generation_get`, another account's is FORBIDDEN rather
    than not found (the public API's contract; ids are unguessable)."""
    # TODO(generations): belongs in generations/selectors.py.
    generation = Generation.objects.filter(id=generation_id).first()
    if generation is None:
        raise GenerationNotFound()
    if generation.account_id != account.id:
        raise Forbidden()
    return generation


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
        page = _generations_page(account=self.account(request), **filters.validated_data)
        return Response(
            self.OutputSerializer({"data": page.generations, "nextCursor": page.next_cursor}).data
        )


@dataclass(frozen=True)
class GenerationsPage:
    generations: list[Generation]
    next_cursor: str | None


def _generations_page(
    *, account: Account, limit: int, cursor: str | None = None, status: str | None = None
) -> GenerationsPage:
    """One page of the account's generations, newest first (`created_at`, then `id`: a total
    order, so rows created in the same microsecond are neither skipped nor repeated)."""
    # TODO(generations): belongs in generations/selectors.py.
    generations = Generation.objects.filter(account=account).order_by("-created_at", "-id")
    if status:
        generations = generations.filter(status=status)
    if cursor:
        created_at, last_id = _cursor_decode(cursor)
        generations = generations.filter(
            Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=last_id)
        )
    rows = list(generations[: limit + 1])
    if len(rows) <= limit:
        return GenerationsPage(generations=rows, next_cursor=None)
    last = rows[limit - 1]
    return GenerationsPage(generations=rows[:limit], next_cursor=_cursor_encode(last))


def _cursor_encode(generation: Generation) -> str:
    raw = json.dumps([generation.created_at.isoformat(), generation.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_decode(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, last_id = json.loads(raw)
        position = datetime.fromisoformat(created_at), str(last_id)
    except (binascii.Error, ValueError, TypeError) as error:
        raise _bad_cursor() from error
    if position[0].tzinfo is None:
        raise _bad_cursor()
    return position


def _bad_cursor() -> ValidationFailed:
    return ValidationFailed(
        details=[{"path": "cursor", "message": "Not a cursor this API returned."}]
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
            _path_parameter(
                "external_user_id",
                "The `externalUserId` sent with uploads and try-ons.",
                max_length=EXTERNAL_USER_ID_MAX_LENGTH,
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
