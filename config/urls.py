from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from fittingroom.core.admin_login import admin_login_view
from fittingroom.core.health import healthz_view
from fittingroom.core.storage import signed_file_view, signed_upload_view
from fittingroom.generations.webhooks import engine_webhook_view


def build_urlpatterns(*, debug: bool) -> list:
    patterns = [
        path("admin/login/", admin_login_view, name="admin-login"),  # with a lockout
        path("admin/", admin.site.urls),
        path("healthz", healthz_view, name="healthz"),
        path("files/<str:token>", signed_file_view, name="signed-file"),
        path("uploads/<str:token>", signed_upload_view, name="signed-upload"),
        path("proxy/public/", include("shopify_integration.proxy.urls")),
        path("shopify/", include("shopify_integration.urls")),
        path("v1/", include("fittingroom.api.urls")),
        path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
        path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
        path("engines/<slug:engine>/webhook", engine_webhook_view, name="engine-webhook"),
        path("s/", include("fittingroom.sharing.urls")),  # shared try-on results
    ]
    if debug:
        from shopify_integration.proxy.dev import dev_proxy_view

        prefix = settings.DEV_PROXY_PATH_PREFIX.strip("/")
        patterns.append(path(f"{prefix}/<path:path>", dev_proxy_view, name="dev-proxy"))
        # The Shopify admin's frame around the merchant page, for the demo shop.
        patterns.append(path("dev/shopify-admin/", include("shopify_integration.install.dev_urls")))
        # The demo storefront at /, with the widget talking to the route above.
        patterns.append(path("", include("shopify_integration.storefront.urls")))
    return patterns


urlpatterns = build_urlpatterns(debug=settings.DEV_ROUTES)
