from django.urls import path

from shopify_integration.webhooks.apis import WebhookReceiveApi

urlpatterns = [
    path("webhooks", WebhookReceiveApi.as_view(), name="shopify-webhooks"),
]
