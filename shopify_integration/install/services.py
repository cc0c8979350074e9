"""Installing the app on a shop (its account, its offline token) and the merchant's settings."""

import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from fittingroom.accounts.models import Account
from fittingroom.core.errors import ApplicationError, ValidationFailed
from fittingroom.images.services import InvalidImage
from shopify_integration.install.logo import LogoRejected, logo_png
from shopify_integration.models import Shop
from shopify_integration.tokens import IssuedToken, decrypt, request_token, shop_tokens_store

CUSTOM_PLAN_NAME = "Custom"  # custom apps (shop_connect) are not billed through Shopify
SHOPPER_WEEKLY_LIMIT_MIN, SHOPPER_WEEKLY_LIMIT_MAX = 1, 100
WIDGET_PRODUCT_TAG_MAX = 255
LOGO_MAX_BYTES = 2 * 1024 * 1024


class ShopTokenRefused(ApplicationError):
    code, status = "SHOP_TOKEN_REFUSED", 401
    message = "Shopify refused to issue an access token. Open the app again from the Shopify admin."


class LogoRequired(ApplicationError):
    code, status, message = "FILE_REQUIRED", 400, "Send the logo as the multipart field 'file'."


class LogoTooLarge(ApplicationError):
    code, status = "FILE_TOO_LARGE", 413
    message = f"The logo is larger than {LOGO_MAX_BYTES // (1024 * 1024)} MB."


# --- installation ---------------------------------------------------------------------------


def shop_install(*, domain: str, id_token: str) -> Shop:
    """Install (or reinstall) the app on the shop a verified session token names, creating its
    account on first sight. When the shop holds no usable offline token, the session token is
    traded for one (token exchange).

    Raises SHOP_TOKEN_REFUSED or SHOPIFY_UNAVAILABLE; creates and stores nothing when it raises.
    """
    domain = domain.lower()
    shop = Shop.objects.filter(domain=domain).first()
    token = None
    # After an uninstall Shopify has revoked whatever token we kept: always exchange anew.
    if shop is None or not shop.is_installed or not _token_usable(shop):
        grant = {
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": id_token,
            "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
            "requested_token_type": "urn:shopify:params:oauth:token-type:offline-access-token",
            "expiring": "1",
        }
        token = _token_grant(domain=domain, grant=grant)
    return _shop_register(domain=domain, token=token)


def shop_authorize(*, domain: str, code: str) -> Shop:
    """Finish an authorization-code install: trade the code for an expiring offline token and
    install the app. Raises SHOP_TOKEN_REFUSED or SHOPIFY_UNAVAILABLE, storing nothing."""
    domain = domain.lower()
    token = _token_grant(domain=domain, grant={"code": code, "expiring": "1"})
    return _shop_register(domain=domain, token=token)


@transaction.atomic
def shop_connect(*, domain: str, access_token: str, quota: int | None = None) -> tuple[Shop, bool]:
    """Register or update a custom-app shop with a static Admin API token (no expiry), billed
    outside Shopify. `quota` (generations per period) applies when given; a new shop otherwise
    gets the free allowance. Returns (shop, created)."""
    domain = domain.lower()
    shop, created = _shop_get_or_create(domain=domain)
    account = shop.account
    account.catalog_source = "shopify"
    if quota is not None:
        account.quota_limit = quota
    account.save(update_fields=["catalog_source", "quota_limit"])
    shop.plan_name, shop.billing_status = CUSTOM_PLAN_NAME, Shop.Billing.ACTIVE
    shop.save(update_fields=["plan_name", "billing_status", "updated_at"])
    shop_tokens_store(shop=shop, token=IssuedToken(access_token=access_token))
    return shop, created


def _token_usable(shop: Shop) -> bool:
    """Whether the stored token can serve Admin API calls now or after a refresh."""
    if shop.needs_reauth:
        return False
    now = timezone.now()
    expires = shop.access_token_expires_at
    if decrypt(shop.access_token_encrypted) and (expires is None or expires > now):
        return True
    refresh_expires = shop.refresh_token_expires_at
    return bool(decrypt(shop.refresh_token_encrypted)) and (
        refresh_expires is None or refresh_expires > now
    )


def _token_grant(*, domain: str, grant: dict[str, str]) -> IssuedToken:
    body = request_token(shop=domain, grant=grant)
    if body is None:
        raise ShopTokenRefused()
    return IssuedToken.from_response(body)


@transaction.atomic
def _shop_register(*, domain: str, token: IssuedToken | None) -> Shop:
    shop, _ = _shop_get_or_create(domain=domain)
    if token is not None:
        shop_tokens_store(shop=shop, token=token)
    return shop


def _shop_get_or_create(*, domain: str) -> tuple[Shop, bool]:
    """The shop (locked for this transaction) and its account, created on first sight with the
    free allowance and no plan; marked installed either way."""
    shops = Shop.objects.select_for_update().select_related("account")
    now = timezone.now()
    shop, created = shops.filter(domain=domain).first(), False
    if shop is None:
        account, _ = Account.objects.get_or_create(
            name=domain,
            defaults={
                "kind": Account.Kind.SHOP,
                "catalog_source": "shopify",
                "quota_limit": settings.FREE_MONTHLY_ALLOWANCE,
            },
        )
        # get_or_create again: a concurrent first install may have won the race.
        shop, created = shops.get_or_create(
            domain=domain,
            defaults={"account": account, "installed_at": now, "billing_status": Shop.Billing.NONE},
        )
    if not shop.is_installed or shop.installed_at is None:
        shop.is_installed, shop.installed_at, shop.uninstalled_at = True, now, None
        shop.save(update_fields=["is_installed", "installed_at", "uninstalled_at", "updated_at"])
    return shop, created


# --- merchant settings ----------------------------------------------------------------------


@transaction.atomic
def merchant_settings_update(
    *,
    shop: Shop,
    shopper_weekly_limit: int | None = None,
    watermark_enabled: bool | None = None,
    widget_product_tag: str | None = None,
    result_reuse_enabled: bool | None = None,
) -> Shop:
    """Change the settings that were given (None leaves one as it is). Raises VALIDATION_FAILED."""
    problems = _settings_problems(shopper_weekly_limit, widget_product_tag)
    if problems:
        raise ValidationFailed(details=problems)
    account = shop.account
    if shopper_weekly_limit is not None:
        account.shopper_weekly_limit = shopper_weekly_limit
    if watermark_enabled is not None:
        account.watermark_enabled = watermark_enabled
    if result_reuse_enabled is not None:
        account.result_reuse_enabled = result_reuse_enabled
    account.save(
        update_fields=["shopper_weekly_limit", "watermark_enabled", "result_reuse_enabled"]
    )
    if widget_product_tag is not None:
        shop.widget_product_tag = widget_product_tag.strip()
        shop.save(update_fields=["widget_product_tag", "updated_at"])
    return shop


def _settings_problems(limit: int | None, tag: str | None) -> list[dict[str, str]]:
    problems = []
    if limit is not None and not SHOPPER_WEEKLY_LIMIT_MIN <= limit <= SHOPPER_WEEKLY_LIMIT_MAX:
        message = f"Between {SHOPPER_WEEKLY_LIMIT_MIN} and {SHOPPER_WEEKLY_LIMIT_MAX}."
        problems.append({"path": "shopperWeeklyLimit", "message": message})
    if tag is not None and len(tag.strip()) > WIDGET_PRODUCT_TAG_MAX:
        message = f"At most {WIDGET_PRODUCT_TAG_MAX} characters."
        problems.append({"path": "widgetProductTag", "message": message})
    return problems


def merchant_watermark_size_check(*, declared_bytes: int) -> None:
    """Refuse an oversized upload from its declared size, before any of it is parsed."""
    if declared_bytes > LOGO_MAX_BYTES + 64 * 1024:  # multipart framing adds a little
        raise LogoTooLarge()


def merchant_watermark_upload(*, shop: Shop, upload: UploadedFile | None) -> Shop:
    """Store the merchant's logo as a PNG of at most 512 px, replacing any earlier one.
    Raises FILE_REQUIRED, FILE_TOO_LARGE or INVALID_IMAGE; nothing changes when it raises."""
    if upload is None:
        raise LogoRequired()
    if upload.size is None or upload.size > LOGO_MAX_BYTES:
        raise LogoTooLarge()
    upload.seek(0)
    try:
        png = logo_png(upload)
    except LogoRejected as error:
        raise InvalidImage(error.reason) from error
    account = shop.account
    previous = account.watermark_logo.name
    account.watermark_logo.save(f"{secrets.token_hex(16)}.png", ContentFile(png), save=False)
    try:
        account.save(update_fields=["watermark_logo"])
    except Exception:
        account.watermark_logo.delete(save=False)
        raise
    if previous:
        default_storage.delete(previous)
    return shop


def merchant_watermark_delete(*, shop: Shop) -> Shop:
    """Remove the merchant's logo (a no-op when there is none)."""
    account = shop.account
    previous = account.watermark_logo.name
    if previous:
        account.watermark_logo = ""
        account.save(update_fields=["watermark_logo"])
        default_storage.delete(previous)
    return shop
