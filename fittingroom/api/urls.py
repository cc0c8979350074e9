"""The public Try-On API, mounted at /v1/."""

from django.urls import path, register_converter

from fittingroom.api import apis, products, sync, tryon
from fittingroom.api.idempotency import idempotent


class OpaqueIdConverter:
    """A client's own id in the path: any text, "/" included (SKUs hold it) and even line breaks
    (which no stored id has), so that every id reaches its view and gets the API's own answer
    rather than a bare 404 from the URL resolver."""

    regex = "(?s:.+)"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(OpaqueIdConverter, "opaque")

urlpatterns = [
    path("images/upload", idempotent(apis.ImageUploadApi.as_view())),
    path("try-on", idempotent(tryon.TryOnCreateApi.as_view())),
    path("try-on/sync", sync.tryon_sync_view),
    path("generations", apis.GenerationListApi.as_view()),
    path("generations/<str:generation_id>", apis.GenerationDetailApi.as_view()),
    path("products", products.ProductListCreateApi.as_view()),
    path("products/<opaque:external_id>", products.ProductDetailApi.as_view()),
    path("customers/<opaque:external_user_id>", apis.CustomerDeleteApi.as_view()),
    path("account/credits", apis.CreditBalanceApi.as_view()),
]
