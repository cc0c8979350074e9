from django.apps import AppConfig


class ShopifyIntegrationConfig(AppConfig):
    name = "shopify_integration"
    label = "shopify_integration"
    verbose_name = "Shopify"
