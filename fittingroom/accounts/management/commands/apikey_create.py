from django.core.management.base import BaseCommand, CommandParser

from fittingroom.accounts.api_keys import api_key_create
from fittingroom.accounts.models import Account
from fittingroom.accounts.services import account_credit_grant


class Command(BaseCommand):
    help = "Create a public-API key for an account (created if needed); prints the key last."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", required=True, help="account name")
        parser.add_argument("--credits", type=int, default=0, help="credits to grant")

    def handle(self, *args: object, account: str, credits: int, **options: object) -> None:
        target, created = Account.objects.get_or_create(
            name=account, defaults={"kind": Account.Kind.API, "catalog_source": "inline"}
        )
        if credits:
            account_credit_grant(account=target, amount=credits, note="apikey_create")
        target.refresh_from_db()
        _, raw_key = api_key_create(account=target, name="created by apikey_create")
        self.stdout.write(
            f"account {target.name} ({'created' if created else 'existing'}), "
            f"{target.credit_balance} credits"
        )
        self.stdout.write(raw_key)
