"""/shopify/…: what Shopify and merchants call (webhooks, install, the embedded page, billing)."""

from django.urls import include, path

urlpatterns = [
    path("", include("shopify_integration.install.urls")),
    path("", include("shopify_integration.webhooks.urls")),
    path("", include("shopify_integration.billing.urls")),
    path("", include("shopify_integration.analytics.urls")),
]
