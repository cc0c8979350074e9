from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from fittingroom.core.health import healthz_view
from fittingroom.core.storage import signed_file_view
from fittingroom.generations.webhooks import fashn_webhook_view


def build_urlpatterns(*, debug: bool) -> list:
    patterns = [
        path("admin/", admin.site.urls),
        path("healthz", healthz_view, name="healthz"),
        path("files/<str:token>", signed_file_view, name="signed-file"),
        path("proxy/public/", include("shopify_integration.proxy.urls")),
        path("shopify/", include("shopify_integration.urls")),
        path("v1/", include("fittingroom.api.urls")),
        path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
        path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
        path("engines/fashn/webhook", fashn_webhook_view, name="fashn-webhook"),
        path("s/", include("fittingroom.sharing.urls")),  # shared try-on results
    ]
    if debug:
        from shopify_integration.proxy.dev import dev_proxy_view

        prefix = settings.DEV_PROXY_PATH_PREFIX.strip("/")
        patterns.append(path(f"{prefix}/<path:path>", dev_proxy_view, name="dev-proxy"))
        # The demo storefront at /, with the widget talking to the route above.
        patterns.append(path("", include("shopify_integration.storefront.urls")))
    return patterns


urlpatterns = build_urlpatterns(debug=settings.DEV_ROUTES)
