import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fittingroom.accounts.models import Account, CreditLedgerEntry
from fittingroom.images.services import person_image_upload
from fittingroom.limits.shoppers import Shopper


@pytest.fixture
def api_account(db, person_jpeg):
    """A public-API customer with credits: every charge and refund is a ledger entry."""
    account = Account.objects.create(
        name="api-customer", kind=Account.Kind.API, catalog_source="demo", credit_balance=100
    )
    CreditLedgerEntry.objects.create(
        account=account, delta=100, reason=CreditLedgerEntry.Reason.GRANT
    )
    image = person_image_upload(
        account=account,
        shopper=Shopper(key="api", ip="127.0.0.1"),
        upload=SimpleUploadedFile("me.jpg", person_jpeg),
    )
    return account, image
