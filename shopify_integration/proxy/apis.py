"""The shopper-facing API under /proxy/public/, reached through Shopify's app proxy.

Views parse, call one service and serialize; authentication (the proxy signature) is the
authentication class's job, errors the exception handler's.
"""

from django.conf import settings
from django_ratelimit.core import is_ratelimited
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fittingroom.api.schema import RETRY_AFTER, JobErrorSerializer, error_responses
from fittingroom.core.errors import RateLimited
from fittingroom.core.storage import signed_file_url
from fittingroom.generations.selectors import generation_get, generation_typical_seconds
from fittingroom.generations.serializers import GenerationStatusSerializer
from fittingroom.images.services import person_image_upload, upload_size_check
from fittingroom.limits.shoppers import Shopper
from shopify_integration.proxy.authentication import (
    ProxyContext,
    ShopifyProxySignatureAuthentication,
)
from shopify_integration.services import proxy_generation_create, shop_try_on_allowed

PRODUCT_GID = r"^gid://shopify/Product/[0-9]{1,20}$"
VARIANT_GID = r"^gid://shopify/ProductVariant/[0-9]{1,20}$"
VISITOR_ID = r"^[A-Za-z0-9_-]{8,64}$"


class ProxyApi(APIView):
    authentication_classes = [ShopifyProxySignatureAuthentication]

    def proxy(self, request: Request) -> ProxyContext:
        return request.auth

    def shopper(self, request: Request, visitor_id: str | None) -> Shopper:
        context = self.proxy(request)
        return Shopper.identify(
            customer_id=context.customer_id, visitor_id=visitor_id, ip=context.ip
        )


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
            201: inline_serializer(
                "ProxyImageUpload",
                {
                    "fileId": serializers.CharField(),
                    "fileUrl": serializers.CharField(),
                    "imageWidth": serializers.IntegerField(),
                    "imageHeight": serializers.IntegerField(),
                },
            ),
            **error_responses(400, 403, 404, 413, 415, 429),
        },
    )
    def post(self, request: Request) -> Response:
        upload_size_check(declared_bytes=int(request.META.get("CONTENT_LENGTH") or 0))
        context = self.proxy(request)
        if is_ratelimited(
            request._request,
            group="proxy-upload",
            increment=True,
            key=lambda group, req: f"{context.shop.domain}:{context.ip}",
            rate=settings.UPLOAD_RATE_LIMIT,
        ):
            raise RateLimited("Too many uploads. Try again later.", headers={"Retry-After": "60"})
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        image = person_image_upload(
            account=context.shop.account,
            shopper=self.shopper(request, data.validated_data.get("visitorId")),
            upload=request.FILES.get("file"),
        )
        return Response(
            {
                "fileId": image.id,
                "fileUrl": signed_file_url(image.image.name),
                "imageWidth": image.width,
                "imageHeight": image.height,
            },
            status=201,
        )


class ProxyFittingRoomApi(ProxyApi):
    # The seed's shape for a blocked request: {jobId: null, message, code}.
    error_extra = {"jobId": None}

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
                400, 401, 402, 403, 404, 415, 429, 503, serializer=JobErrorSerializer
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
        responses={
            200: inline_serializer(
                "ProxyCheckCredits",
                {
                    "allowed": serializers.BooleanField(),
                    "code": serializers.CharField(
                        required=False, help_text="Why not: BILLING_NOT_ALLOWED, QUOTA_EXCEEDED."
                    ),
                    "typicalSeconds": serializers.FloatField(
                        allow_null=True,
                        help_text="Median seconds from request to result of the shop's recent "
                        "try-ons (null before the first), for a progress estimate.",
                    ),
                    "retentionDays": serializers.IntegerField(
                        help_text="Days after which an uploaded photo is deleted."
                    ),
                },
            ),
            **error_responses(403, 404),
        },
    )
    def get(self, request: Request) -> Response:
        shop = self.proxy(request).shop
        blocked_by = shop_try_on_allowed(shop=shop)
        body = {"allowed": blocked_by is None}
        if blocked_by:
            body["code"] = blocked_by
        typical = generation_typical_seconds(account=shop.account)
        body["typicalSeconds"] = round(typical, 1) if typical is not None else None
        body["retentionDays"] = settings.IMAGE_RETENTION_DAYS
        return Response(body)
