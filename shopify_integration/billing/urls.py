from django.urls import path

from shopify_integration.billing import apis

urlpatterns = [
    path("billing/subscribe", apis.BillingSubscribeApi.as_view(), name="shopify-billing-subscribe"),
    path("billing/return", apis.BillingReturnApi.as_view(), name="shopify-billing-return"),
]
