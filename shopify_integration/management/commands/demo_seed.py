from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from fittingroom.accounts.models import Account
from shopify_integration.models import Shop
from shopify_integration.tokens import IssuedToken, shop_tokens_store

DEMO_QUOTA = 500
DEMO_ACCESS_TOKEN = "demo-shop-no-admin-api"  # noqa: S105 (not a secret: see handle)


class Command(BaseCommand):
    help = "Create the demo shop (installed, active plan, quota 500) if missing; keeps its data."

    def handle(self, *args: object, **options: object) -> None:
        domain = settings.DEMO_SHOP_DOMAIN
        account, _ = Account.objects.get_or_create(
            name=domain,
            defaults={
                "kind": Account.Kind.SHOP,
                "catalog_source": "demo",
                "quota_limit": DEMO_QUOTA,
            },
        )
        shop, created = Shop.objects.get_or_create(
            domain=domain,
            defaults={
                "account": account,
                "installed_at": timezone.now(),
                "plan_name": "Demo",
                "billing_status": Shop.Billing.ACTIVE,
            },
        )
        self.stdout.write(f"demo shop {domain}: {'created' if created else 'already there'}")
        if not shop.access_token_encrypted:
            # The demo shop never calls the Admin API (demo catalog, billed outside Shopify), so
            # a stand-in token only lets its app page open without a token exchange with
            # Shopify, which a local run cannot reach (see /dev/shopify-admin/).
            shop_tokens_store(shop=shop, token=IssuedToken(access_token=DEMO_ACCESS_TOKEN))
        if settings.DEBUG and not get_user_model().objects.filter(is_superuser=True).exists():
            # Local runs only: an operator account so /admin/ can be opened straight away.
            get_user_model().objects.create_superuser("admin", "admin@localhost", "admin")
            self.stdout.write("admin user created: admin / admin (local development only)")
