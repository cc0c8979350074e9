"""Development-only routes of the Shopify admin stand-in (mounted when DEBUG is on)."""

from django.urls import path

from shopify_integration.install import dev

urlpatterns = [
    path("", dev.dev_admin_view, name="dev-shopify-admin"),
    path("id-token", dev.dev_id_token_view, name="dev-shopify-admin-id-token"),
    path("app-bridge.js", dev.dev_app_bridge_view, name="dev-shopify-admin-app-bridge"),
]
