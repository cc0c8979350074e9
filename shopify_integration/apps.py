from django.apps import AppConfig


class ShopifyIntegrationConfig(AppConfig):
    name = "shopify_integration"
    label = "shopify_integration"
    verbose_name = "Shopify"

    def ready(self) -> None:
        # Registers the "shopify" catalog source, and Shopify's checks for the operators'
        # retry and erasure actions, with the core.
        from shopify_integration import catalog, operators  # noqa: F401
        from shopify_integration.shop_cache import invalidate_on_save_and_delete

        invalidate_on_save_and_delete()
