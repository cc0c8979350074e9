"""Under /shopify/: the embedded admin page, its JSON API and the authorization-code install."""

from django.urls import path

from shopify_integration.install import apis, views

urlpatterns = [
    path("app", views.app_view, name="shopify-app"),
    path(
        "session-token-bounce",
        views.session_token_bounce_view,
        name="shopify-session-token-bounce",
    ),
    path("api/settings", apis.MerchantSettingsApi.as_view(), name="shopify-merchant-settings"),
    path("api/usage", apis.MerchantUsageApi.as_view(), name="shopify-merchant-usage"),
    path("api/watermark", apis.MerchantWatermarkApi.as_view(), name="shopify-merchant-watermark"),
    path("auth/install", views.oauth_install_view, name="shopify-oauth-install"),
    path("auth/callback", views.oauth_callback_view, name="shopify-oauth-callback"),
]
