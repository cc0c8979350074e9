"""The public Try-On API, mounted at /v1/."""

from django.urls import path

from fittingroom.api import apis, products, tryon
from fittingroom.api.idempotency import idempotent

urlpatterns = [
    path("images/upload", idempotent(apis.ImageUploadApi.as_view())),
    path("try-on", idempotent(tryon.TryOnCreateApi.as_view())),
    path("generations", apis.GenerationListApi.as_view()),
    path("generations/<str:generation_id>", apis.GenerationDetailApi.as_view()),
    path("products", products.ProductListCreateApi.as_view()),
    path("products/<str:external_id>", products.ProductDetailApi.as_view()),
    path("customers/<str:external_user_id>", apis.CustomerDeleteApi.as_view()),
    path("account/credits", apis.CreditBalanceApi.as_view()),
]
