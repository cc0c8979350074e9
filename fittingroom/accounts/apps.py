from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "fittingroom.accounts"
    label = "accounts"
    verbose_name = "Accounts"
