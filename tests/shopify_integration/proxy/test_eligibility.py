"""check-credits and fitting-room give one answer for every shop state: both ask
shop_try_on_blocker, in its one order (installed, billing, token, quota)."""

import itertools
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fittingroom.images.services import person_image_upload
from fittingroom.limits.shoppers import Shopper
from shopify_integration.models import Shop
from tests.conftest import PERSON_PHOTO, SignedProxyClient, make_shop

pytestmark = pytest.mark.django_db
QUOTA = 500
USED = {"fresh": 0, "allowance-used": None, "exhausted": QUOTA}  # None: the free allowance
STATES = list(
    itertools.product(
        [True, False],  # installed
        [choice.value for choice in Shop.Billing],
        sorted(USED),
        [False, True],  # needs_reauth
    )
)


def expected(installed: bool, billing: str, used: str, needs_reauth: bool) -> str:
    """Written out from the rule's documentation, independently of the code under test."""
    allowance_left = used == "fresh"
    if not installed:
        return "SHOP_NOT_INSTALLED"
    if billing != Shop.Billing.ACTIVE and not allowance_left:
        return "BILLING_NOT_ALLOWED"
    if needs_reauth:
        return "SHOP_REAUTH_REQUIRED"
    if used == "exhausted":
        return "QUOTA_EXCEEDED"
    return "ok"


def _outcome(response, *, allowed_key: bool) -> str:
    body = response.json()
    if response.status_code == 200 and allowed_key:
        return "ok" if body["allowed"] else body["code"]
    return "ok" if response.status_code == 200 else body["code"]


@pytest.mark.parametrize(("installed", "billing", "used", "needs_reauth"), STATES)
def test_check_credits_and_fitting_room_agree(client, installed, billing, used, needs_reauth):
    shop = make_shop(quota=QUOTA, billing_status=billing, needs_reauth=needs_reauth)
    account = shop.account
    account.quota_used = settings.FREE_MONTHLY_ALLOWANCE if USED[used] is None else USED[used]
    account.quota_period_end = timezone.now() + timedelta(days=10)
    account.save()
    image = person_image_upload(
        account=account,
        shopper=Shopper(key="visitor:visitor-0001", ip="203.0.113.7"),
        upload=SimpleUploadedFile("p.jpg", PERSON_PHOTO.read_bytes(), content_type="image/jpeg"),
    )
    Shop.objects.filter(id=shop.id).update(is_installed=installed)
    proxy = SignedProxyClient(client, shop=shop.domain)

    credits = _outcome(proxy.get("check-credits"), allowed_key=True)
    body = {"userImageId": image.id, "productId": "gid://shopify/Product/1001"}
    fitting_room = _outcome(proxy.post_json("fitting-room", body), allowed_key=False)

    assert credits == fitting_room == expected(installed, billing, used, needs_reauth)
