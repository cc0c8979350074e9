from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "shopify_integration.customers"
    label = "shopify_customers"
    verbose_name = "Shopify e-mail capture"
