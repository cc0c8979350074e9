"""The merchant JSON API behind the embedded admin page (/shopify/api/…).

The page sends a fresh App Bridge session token as `Authorization: Bearer`; the authentication
class turns it into the shop (request.auth), so every write here is confined to that shop.
"""

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shopify_integration.install.selectors import (
    USAGE_DAYS_DEFAULT,
    USAGE_DAYS_MAX,
    merchant_settings_get,
    shop_daily_usage,
)
from shopify_integration.install.services import (
    SHOPPER_WEEKLY_LIMIT_MAX,
    SHOPPER_WEEKLY_LIMIT_MIN,
    WIDGET_PRODUCT_TAG_MAX,
    merchant_settings_update,
    merchant_watermark_delete,
    merchant_watermark_size_check,
    merchant_watermark_upload,
)
from shopify_integration.models import Shop
from shopify_integration.session_token import ShopifySessionTokenAuthentication


class MerchantSettingsOutputSerializer(serializers.Serializer):
    """`{plan, usage, shopperWeeklyLimit, …, plans}`: what the page renders, from every endpoint."""

    class PlanSerializer(serializers.Serializer):
        name = serializers.CharField(source="plan_name", allow_null=True)
        status = serializers.CharField(source="billing_status")

    class UsageSerializer(serializers.Serializer):
        used = serializers.IntegerField()
        quota = serializers.IntegerField(allow_null=True)
        periodEnd = serializers.DateTimeField(source="period_end", allow_null=True)
        included = serializers.IntegerField(allow_null=True)
        overageUsed = serializers.IntegerField(source="overage_used")
        overagePrice = serializers.DecimalField(
            source="overage_price", max_digits=8, decimal_places=2, allow_null=True
        )
        freeAllowance = serializers.IntegerField(source="free_allowance", allow_null=True)

    class PlanOptionSerializer(serializers.Serializer):
        key = serializers.CharField()
        name = serializers.CharField()
        price = serializers.DecimalField(max_digits=8, decimal_places=2)
        monthlyQuota = serializers.IntegerField(source="monthly_quota")
        overagePrice = serializers.DecimalField(
            source="overage_price", max_digits=8, decimal_places=2, allow_null=True
        )

    plan = PlanSerializer(source="*")
    usage = UsageSerializer(source="*")
    shopperWeeklyLimit = serializers.IntegerField(source="shopper_weekly_limit")
    watermarkEnabled = serializers.BooleanField(source="watermark_enabled")
    resultReuseEnabled = serializers.BooleanField(source="result_reuse_enabled")
    hasWatermarkLogo = serializers.BooleanField(source="has_watermark_logo")
    widgetProductTag = serializers.CharField(source="widget_product_tag")
    themeEditorUrl = serializers.CharField(source="theme_editor_url")
    plans = PlanOptionSerializer(many=True)


def merchant_settings_data(shop: Shop) -> dict:
    return MerchantSettingsOutputSerializer(merchant_settings_get(shop=shop)).data


class MerchantApi(APIView):
    authentication_classes = [ShopifySessionTokenAuthentication]

    def shop(self, request: Request) -> Shop:
        return request.auth

    def settings_response(self, shop: Shop) -> Response:
        response = Response(merchant_settings_data(shop))
        response["Cache-Control"] = "no-store"
        return response


class MerchantSettingsApi(MerchantApi):
    """GET reads the settings, PATCH changes some of them; both answer with all of them."""

    class InputSerializer(serializers.Serializer):
        shopperWeeklyLimit = serializers.IntegerField(
            min_value=SHOPPER_WEEKLY_LIMIT_MIN, max_value=SHOPPER_WEEKLY_LIMIT_MAX, required=False
        )
        watermarkEnabled = serializers.BooleanField(required=False)
        resultReuseEnabled = serializers.BooleanField(required=False)
        widgetProductTag = serializers.CharField(
            max_length=WIDGET_PRODUCT_TAG_MAX, allow_blank=True, required=False
        )

    def get(self, request: Request) -> Response:
        return self.settings_response(self.shop(request))

    def patch(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        shop = merchant_settings_update(
            shop=self.shop(request),
            shopper_weekly_limit=values.get("shopperWeeklyLimit"),
            watermark_enabled=values.get("watermarkEnabled"),
            result_reuse_enabled=values.get("resultReuseEnabled"),
            widget_product_tag=values.get("widgetProductTag"),
        )
        return self.settings_response(shop)


class MerchantWatermarkApi(MerchantApi):
    """POST (multipart `file`) replaces the watermark logo, DELETE removes it."""

    def post(self, request: Request) -> Response:
        merchant_watermark_size_check(declared_bytes=int(request.META.get("CONTENT_LENGTH") or 0))
        shop = merchant_watermark_upload(shop=self.shop(request), upload=request.FILES.get("file"))
        return self.settings_response(shop)

    def delete(self, request: Request) -> Response:
        return self.settings_response(merchant_watermark_delete(shop=self.shop(request)))


class MerchantUsageApi(MerchantApi):
    """GET `?days=N` (1 to 90, default 30): `{days: [{date, tryOns, failed}], total}`, one entry per
    UTC day, oldest first, today last; days without try-ons are zeros."""

    class InputSerializer(serializers.Serializer):
        days = serializers.IntegerField(
            min_value=1, max_value=USAGE_DAYS_MAX, default=USAGE_DAYS_DEFAULT
        )

    class OutputSerializer(serializers.Serializer):
        date = serializers.DateField(source="day")
        tryOns = serializers.IntegerField(source="try_ons")
        failed = serializers.IntegerField()

    def get(self, request: Request) -> Response:
        query = self.InputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        days = shop_daily_usage(shop=self.shop(request), days=query.validated_data["days"])
        body = {
            "days": self.OutputSerializer(days, many=True).data,
            "total": sum(day.try_ons for day in days),
        }
        response = Response(body)
        response["Cache-Control"] = "no-store"
        return response
