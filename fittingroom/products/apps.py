from django.apps import AppConfig


class ProductsConfig(AppConfig):
    name = "fittingroom.products"
    label = "products"
    verbose_name = "Products (public API)"
