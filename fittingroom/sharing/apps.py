from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "fittingroom.sharing"
    label = "sharing"
    verbose_name = "Share links"
