"""The shopper-facing API under /proxy/public/, reached through Shopify's app proxy.

Views parse, call one service and serialize; authentication (the proxy signature) is the
authentication class's job, errors the exception handler's.
"""

import re

from django.conf import settings
from django_ratelimit.core import is_ratelimited
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fittingroom.api.schema import RETRY_AFTER, JobErrorSerializer, error_responses
from fittingroom.core.errors import ApplicationError, RateLimited
from fittingroom.core.storage import signed_file_url
from fittingroom.generations.selectors import generation_get, generation_typical_seconds
from fittingroom.generations.serializers import GenerationStatusSerializer
from fittingroom.images.direct import direct_upload_complete, direct_upload_prepare
from fittingroom.images.serializers import PhotoCheckSerializer
from fittingroom.images.services import person_image_upload, upload_size_check
from fittingroom.limits.shoppers import VISITOR_ID_PATTERN, Shopper
from shopify_integration.customers.services import email_capture_ask
from shopify_integration.identifiers import PRODUCT_GID_REGEX, VARIANT_GID_REGEX
from shopify_integration.proxy.authentication import (
    ProxyContext,
    ShopifyProxySignatureAuthentication,
)
from shopify_integration.services import (
    product_try_on_blocked,
    proxy_generation_create,
    shop_try_on_blocker,
)

PRODUCT_GID = f"^{PRODUCT_GID_REGEX}$"
VARIANT_GID = f"^{VARIANT_GID_REGEX}$"
VISITOR_ID = VISITOR_ID_PATTERN.pattern


class ProxyApi(APIView):
    authentication_classes = [ShopifyProxySignatureAuthentication]

    def proxy(self, request: Request) -> ProxyContext:
        return request.auth

    def rate_check(
        self, request: Request, *, group: str, rate: str, who: str, message: str | None = None
    ) -> None:
        """At most `rate` calls of `group` for one shop and one `who` (a client address or a
        shopper key): RATE_LIMITED past it."""
        shop_domain = self.proxy(request).shop.domain
        if is_ratelimited(
            request._request,
            group=group,
            increment=True,
            key=lambda group, req: f"{shop_domain}:{who}",
            rate=rate,
        ):
            raise RateLimited(message, headers={"Retry-After": "60"})

    def upload_rate_check(self, request: Request) -> None:
        """Uploads per shop and address (prepare-upload and upload-image share the budget)."""
        self.rate_check(
            request,
            group="proxy-upload",
            rate=settings.UPLOAD_RATE_LIMIT,
            who=self.proxy(request).ip,
            message="Too many uploads. Try again later.",
        )

    def shopper(self, request: Request, visitor_id: str | None) -> Shopper:
        context = self.proxy(request)
        return Shopper.identify(
            customer_id=context.customer_id, visitor_id=visitor_id, ip=context.ip
        )


class ProxyUploadedImageSerializer(PhotoCheckSerializer):
    """The seed's `{fileId, fileUrl}` and the photo check (Genlook's upload-complete answer)."""

    fileId = serializers.CharField(source="id")
    fileUrl = serializers.SerializerMethodField()

    def get_fileUrl(self, image) -> str:
        return signed_file_url(image.image.name)


class ProxyImageUploadApi(ProxyApi):
    class InputSerializer(serializers.Serializer):
        visitorId = serializers.RegexField(VISITOR_ID, required=False)

    @extend_schema(
        operation_id="proxy_upload_image",
        summary="Upload the shopper's photo",
        request={
            "multipart/form-data": inline_serializer(
                "ProxyImageUploadForm",
                {
                    "file": serializers.FileField(help_text="JPEG, PNG, WebP or HEIC photo."),
                    "visitorId": serializers.RegexField(VISITOR_ID, required=False),
                },
            )
        },
        parameters=[RETRY_AFTER],
        responses={
            201: ProxyUploadedImageSerializer,
            **error_responses(400, 403, 404, 413, 415, 429),
        },
    )
    def post(self, request: Request) -> Response:
        upload_size_check(declared_bytes=int(request.META.get("CONTENT_LENGTH") or 0))
        context = self.proxy(request)
        self.upload_rate_check(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        image = person_image_upload(
            account=context.shop.account,
            shopper=self.shopper(request, data.validated_data.get("visitorId")),
            upload=request.FILES.get("file"),
        )
        return Response(ProxyUploadedImageSerializer(image).data, status=201)


class ProxyPrepareUploadApi(ProxyApi):
    """Step 1 of the direct upload: where to PUT the photo, and the key to complete it with."""

    @extend_schema(
        operation_id="proxy_prepare_upload",
        summary="Prepare a direct upload",
        request=None,
        parameters=[RETRY_AFTER],
        responses={
            200: inline_serializer(
                "ProxyPreparedUpload",
                {
                    "uploadUrl": serializers.CharField(
                        help_text="PUT the raw photo here (Content-Type: "
                        "application/octet-stream, at most 20 MB) within 10 minutes."
                    ),
                    "uploadKey": serializers.CharField(
                        help_text="Single-use; for upload-complete."
                    ),
                },
            ),
            **error_responses(403, 404, 429),
        },
    )
    def post(self, request: Request) -> Response:
        self.upload_rate_check(request)
        upload, url = direct_upload_prepare(account=self.proxy(request).shop.account)
        return Response({"uploadUrl": url, "uploadKey": upload.key})


class ProxyUploadCompleteApi(ProxyApi):
    """Step 3 of the direct upload: process the photo PUT to `uploadUrl` (as upload-image)."""

    class InputSerializer(serializers.Serializer):
        uploadKey = serializers.CharField(max_length=64)
        visitorId = serializers.RegexField(VISITOR_ID, required=False)

    @extend_schema(
        operation_id="proxy_upload_complete",
        summary="Complete a direct upload",
        request=InputSerializer,
        responses={201: ProxyUploadedImageSerializer, **error_responses(400, 403, 404, 413)},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        image = direct_upload_complete(
            account=self.proxy(request).shop.account,
            shopper=self.shopper(request, data.validated_data.get("visitorId")),
            upload_key=data.validated_data["uploadKey"],
        )
        return Response(ProxyUploadedImageSerializer(image).data, status=201)


class CreationFailed(ApplicationError):
    code, status = "CREATION_FAILED", 500
    message = "The try-on could not be created. Nothing was charged; try again."


class ProxyFittingRoomApi(ProxyApi):
    # The seed's shape for a blocked request: {jobId: null, message, code}.
    error_extra = {"jobId": None}
    unexpected_error = CreationFailed

    class InputSerializer(serializers.Serializer):
        userImageId = serializers.CharField(max_length=64)
        productId = serializers.RegexField(PRODUCT_GID, max_length=100)
        variantId = serializers.RegexField(
            VARIANT_GID, max_length=100, required=False, allow_null=True, allow_blank=True
        )
        visitorId = serializers.RegexField(VISITOR_ID, required=False, allow_null=True)

    @extend_schema(
        operation_id="proxy_fitting_room",
        summary="Create a try-on",
        request=InputSerializer,
        responses={
            200: inline_serializer(
                "ProxyFittingRoomJob",
                {"jobId": serializers.CharField(), "message": serializers.CharField()},
            ),
            **error_responses(
                400,
                401,
                402,
                403,
                404,
                415,
                429,
                500,
                503,
                serializer=JobErrorSerializer,
                descriptions={
                    400: "`PHOTO_REJECTED` (the photo's issues in `details`) or validation.",
                    500: "`CREATION_FAILED`: the job could not be created; nothing was charged.",
                },
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        generation = proxy_generation_create(
            shop=self.proxy(request).shop,
            shopper=self.shopper(request, values.get("visitorId")),
            user_image_id=values["userImageId"],
            product_id=values["productId"],
            variant_id=values.get("variantId") or None,
        )
        return Response({"jobId": generation.id, "message": "Generation job created successfully"})


class ProxyGenerationStatusApi(ProxyApi):
    class OutputSerializer(GenerationStatusSerializer):
        pass

    @extend_schema(
        operation_id="proxy_generation_status",
        summary="Try-on status",
        parameters=[
            OpenApiParameter(
                "wait",
                {"type": "integer", "minimum": 0},
                description="Answer as soon as the status changes, or after this many seconds "
                "(at most 25).",
            )
        ],
        responses={200: OutputSerializer, **error_responses(400, 403, 404)},
    )
    def get(self, request: Request, job_id: str) -> Response:
        shop = self.proxy(request).shop
        generation = generation_get(account_id=shop.account_id, generation_id=job_id)
        response = Response(self.OutputSerializer(generation).data)
        response["Cache-Control"] = "no-store"
        return response


class ProxyCheckCreditsApi(ProxyApi):
    @extend_schema(
        operation_id="proxy_check_credits",
        summary="Whether the shop can take try-ons now",
        parameters=[
            OpenApiParameter(
                "productId",
                {"type": "string"},
                description="The product the button is for (a Product GID): also whether it "
                "can be tried on (known, with a usable image).",
            )
        ],
        responses={
            200: inline_serializer(
                "ProxyCheckCredits",
                {
                    "allowed": serializers.BooleanField(),
                    "code": serializers.CharField(
                        required=False,
                        help_text="Why not: BILLING_NOT_ALLOWED, SHOP_REAUTH_REQUIRED, "
                        "QUOTA_EXCEEDED (what fitting-room would answer); with productId also "
                        "PRODUCT_NOT_FOUND, PRODUCT_IMAGES_REQUIRED.",
                    ),
                    "typicalSeconds": serializers.FloatField(
                        allow_null=True,
                        help_text="Median seconds from request to result of the shop's recent "
                        "try-ons (null before the first), for a progress estimate.",
                    ),
                    "retentionDays": serializers.IntegerField(
                        help_text="Days after which an uploaded photo is deleted."
                    ),
                    "emailCapture": serializers.CharField(
                        required=False,
                        help_text="When to ask for the shopper's e-mail (after_first_result); "
                        "absent: do not ask.",
                    ),
                },
            ),
            **error_responses(403, 404),
        },
    )
    def get(self, request: Request) -> Response:
        shop = self.proxy(request).shop
        blocker = shop_try_on_blocker(shop=shop)
        body = {"allowed": blocker is None}
        if blocker is not None:
            body["code"] = blocker.code
        # With the product the button is for: can this product be tried on at all?
        product_id = request.query_params.get("productId", "")
        if blocker is None and re.fullmatch(PRODUCT_GID, product_id):
            product_blocked_by = product_try_on_blocked(shop=shop, product_id=product_id)
            if product_blocked_by:
                body = {"allowed": False, "code": product_blocked_by}
        typical = generation_typical_seconds(account=shop.account)
        body["typicalSeconds"] = round(typical, 1) if typical is not None else None
        body["retentionDays"] = settings.IMAGE_RETENTION_DAYS
        if ask := email_capture_ask(shop=shop):  # issue 15: when the widget asks for an e-mail
            body["emailCapture"] = ask
        return Response(body)
