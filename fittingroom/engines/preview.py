"""Whether an account's try-ons are a no-AI preview, so the pages that show them can say so."""

from django.conf import settings

from fittingroom.accounts.models import Account
from fittingroom.engines.local import LocalEngine


def engine_is_preview(*, account: Account | None) -> bool:
    """True when the account renders with the local engine, which pastes the product's packshot
    over the photo (no AI model): useful offline and in tests, not a measure of try-on quality."""
    name = (account.engine if account is not None else "") or settings.TRYON_ENGINE
    return name == LocalEngine.name
