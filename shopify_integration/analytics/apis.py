"""The merchant's analytics (/shopify/api/analytics) and e-mail capture setting
(/shopify/api/email-capture), behind the embedded page's session token like the other
merchant endpoints: every read is confined to the token's shop."""

import csv
import io

from django.http import HttpResponse
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from fittingroom.analytics.selectors import DAYS_DEFAULT, DAYS_MAX, shop_analytics
from shopify_integration.customers.models import EmailCaptureSetting
from shopify_integration.customers.services import email_capture_setting, email_capture_update
from shopify_integration.install.apis import MerchantApi


class DaysSerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=DAYS_MAX, default=DAYS_DEFAULT)


class MerchantAnalyticsApi(MerchantApi):
    """GET `?days=N` (1 to 90, default 30): `{funnel: {buttonClicks, uploads, generations,
    results, addToCarts, orders}, assistedOrders, revenue: [{currency, direct, …}], conversion,
    topProducts, daily: [{date, tryOns, results, addToCarts, orders}]}`."""

    def get(self, request: Request) -> Response:
        query = DaysSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = shop_analytics(account=self.shop(request).account, **query.validated_data)
        response = Response(data)
        response["Cache-Control"] = "no-store"
        return response


class MerchantAnalyticsExportApi(MerchantApi):
    """GET `?days=N`: the daily series as CSV (one row per UTC day)."""

    def get(self, request: Request) -> HttpResponse:
        query = DaysSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = shop_analytics(account=self.shop(request).account, **query.validated_data)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["date", "try_ons", "results", "add_to_carts", "orders"])
        for day in data["daily"]:
            writer.writerow(
                [day["date"], day["tryOns"], day["results"], day["addToCarts"], day["orders"]]
            )
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        filename = f"fitting-room-analytics-{data['days']}d.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        return response


class MerchantEmailCaptureApi(MerchantApi):
    """GET / PATCH `{enabled, askWhen: "after_first_result" | "never"}`."""

    class InputSerializer(serializers.Serializer):
        enabled = serializers.BooleanField(required=False)
        askWhen = serializers.ChoiceField(EmailCaptureSetting.AskWhen.values, required=False)

    def get(self, request: Request) -> Response:
        return self._answer(request)

    def patch(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email_capture_update(
            shop=self.shop(request),
            enabled=data.validated_data.get("enabled"),
            ask_when=data.validated_data.get("askWhen"),
        )
        return self._answer(request)

    def _answer(self, request: Request) -> Response:
        setting = email_capture_setting(shop=self.shop(request))
        response = Response({"enabled": setting.enabled, "askWhen": setting.ask_when})
        response["Cache-Control"] = "no-store"
        return response
