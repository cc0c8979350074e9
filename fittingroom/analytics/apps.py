from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "fittingroom.analytics"
    label = "analytics"
    verbose_name = "Analytics"
