from django.urls import path

from shopify_integration.analytics import apis

urlpatterns = [
    path("api/analytics", apis.MerchantAnalyticsApi.as_view(), name="shopify-merchant-analytics"),
    path(
        "api/analytics/export",
        apis.MerchantAnalyticsExportApi.as_view(),
        name="shopify-merchant-analytics-export",
    ),
    path(
        "api/email-capture",
        apis.MerchantEmailCaptureApi.as_view(),
        name="shopify-merchant-email-capture",
    ),
]
