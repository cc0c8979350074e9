from django.apps import AppConfig


class ShopifyIntegrationConfig(AppConfig):
    name = "shopify_integration"
    label = "shopify_integration"
    verbose_name = "Shopify"

    def ready(self) -> None:
        # Registers the "shopify" catalog source with the core.
        import shopify_integration.catalog  # noqa: F401
