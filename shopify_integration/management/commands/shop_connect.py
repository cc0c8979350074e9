from django.core.management.base import BaseCommand, CommandError, CommandParser

from shopify_integration.identifiers import shop_domain_valid
from shopify_integration.install.services import shop_connect


class Command(BaseCommand):
    help = (
        "Register (or update) a shop with a static Admin API token from a custom app: installed, "
        "catalog from Shopify, billed outside Shopify (plan 'Custom')."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--shop", required=True, help="the store's NAME.myshopify.com domain")
        parser.add_argument("--token", required=True, help="the custom app's Admin API token")
        parser.add_argument(
            "--quota", type=int, help="try-ons per 30-day period (new shops: the free allowance)"
        )

    def handle(self, *args: object, **options: object) -> None:
        domain = str(options["shop"]).strip().lower()
        token = str(options["token"]).strip()
        quota = options["quota"]
        assert quota is None or isinstance(quota, int)  # argparse's type=int
        if not shop_domain_valid(domain):
            raise CommandError(f"{domain!r} is not a NAME.myshopify.com domain.")
        if not token:
            raise CommandError("--token is empty.")
        if quota is not None and quota < 0:
            raise CommandError("--quota must be 0 or more.")
        shop, created = shop_connect(domain=domain, access_token=token, quota=quota)
        limit = shop.account.quota_limit
        self.stdout.write(
            f"shop {shop.domain}: {'created' if created else 'updated'}; token stored (encrypted), "
            f"plan {shop.plan_name}, quota "
            f"{'unlimited' if limit is None else f'{limit} per 30 days'}"
        )
