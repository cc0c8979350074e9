from django.apps import AppConfig


class ProductsConfig(AppConfig):
    name = "fittingroom.products"
    label = "products"
    verbose_name = "Products (public API)"

    def ready(self) -> None:
        # Registers the "inline" catalog source.
        import fittingroom.products.catalog  # noqa: F401
