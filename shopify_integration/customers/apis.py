"""POST /proxy/public/collect-email: the widget's e-mail ask. Answers at once; the customer is
created or updated in the shop by a task, so Shopify being away never shows the shopper an
error."""

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from fittingroom.api.schema import error_responses
from shopify_integration.customers.services import email_collect
from shopify_integration.proxy.apis import ProxyApi


class CollectEmailApi(ProxyApi):
    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(max_length=254)
        marketingConsent = serializers.BooleanField(default=False)

    @extend_schema(
        operation_id="proxy_collect_email",
        summary="Leave an e-mail with the shop",
        description="Creates or updates the shop's customer (tag `fitting-room`; e-mail "
        "marketing SUBSCRIBED, single opt-in, only when `marketingConsent` is true), in the "
        "background. 403 EMAIL_CAPTURE_DISABLED when the merchant turned capture off.",
        request=InputSerializer,
        responses={
            200: inline_serializer(
                "CollectEmail",
                {"success": serializers.BooleanField(), "message": serializers.CharField()},
            ),
            **error_responses(400, 401, 403, 429),
        },
    )
    def post(self, request: Request) -> Response:
        context = self.proxy(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        self.rate_check(
            request,
            group="proxy-collect-email",
            rate=settings.EMAIL_CAPTURE_RATE_LIMIT,
            who=context.ip,
        )
        email_collect(
            shop=context.shop,
            email=data.validated_data["email"],
            marketing_consent=data.validated_data["marketingConsent"],
        )
        return Response({"success": True, "message": "Email collected successfully"})
