"""What operators do to generations from the admin: retry a failed one, refund one, erase a
shopper. Each takes ids and returns counts by outcome, so the admin only reports them.

Platform adapters add their own rules without the core importing them: a retry check (e.g. the
shop must still be installed and billed) and an erasure hook (e.g. drop exports kept for the
merchant), registered at start-up like catalog sources.
"""

from collections import Counter
from collections.abc import Callable, Iterable

from django.db import IntegrityError, transaction
from django.db.models import Count

from fittingroom.accounts.models import Account
from fittingroom.catalog import Garment
from fittingroom.core.errors import ApplicationError
from fittingroom.generations.models import Generation
from fittingroom.generations.services.create import generation_create
from fittingroom.generations.services.lifecycle import generation_refund
from fittingroom.generations.services.shoppers import REDACTED_SHOPPER_KEY, shopper_data_delete
from fittingroom.images.models import PersonImage
from fittingroom.images.selectors import person_image_get
from fittingroom.limits.shoppers import Shopper

Status = Generation.Status
RETRIED, REFUNDED = "RETRIED", "REFUNDED"

RetryCheck = Callable[[Account], None]
ErasureHook = Callable[[Account, str], None]
_retry_checks: list[RetryCheck] = []
_erasure_hooks: list[ErasureHook] = []


def register_retry_check(check: RetryCheck) -> None:
    """`check(account)` raises an ApplicationError when the account may not take a try-on now."""
    if check not in _retry_checks:
        _retry_checks.append(check)


def register_shopper_erasure_hook(hook: ErasureHook) -> None:
    """`hook(account, shopper_key)` deletes what an adapter keeps about that shopper."""
    if hook not in _erasure_hooks:
        _erasure_hooks.append(hook)


class RetryRefused(ApplicationError):
    status = 409

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# --- retry -------------------------------------------------------------------------------------


def generation_retry(*, generation_id: str) -> Generation:
    """A new attempt at a FAILED generation: a new generation with the same photo, garment and
    output options, created by generation_create, so it passes the same limits and pays its
    own quota or credit (the failed one was refunded when it failed). At most one retry per
    failed generation (a one-to-one link, checked under the failed row's lock).

    Raises RetryRefused (NOT_FAILED, ALREADY_RETRIED, SHOPPER_DATA_DELETED), USER_IMAGE_NOT_FOUND
    when the photo expired or was deleted, and whatever the rules raise (RATE_LIMIT_EXCEEDED,
    QUOTA_EXCEEDED, INSUFFICIENT_CREDITS, the adapters' checks); nothing is charged when it
    raises.
    """
    try:
        with transaction.atomic():
            failed = (
                Generation.objects.select_for_update(of=("self",))
                .select_related("account")
                .get(id=generation_id)
            )
            _retry_check(failed)
            retry = _retry_create(failed)
            # The unique link is the last write: a concurrent retry that got past the check
            # (SQLite has no row locks) fails here and rolls its charge back.
            Generation.objects.filter(id=retry.id).update(retry_of=failed)
    except IntegrityError as error:
        raise RetryRefused("ALREADY_RETRIED", "This generation was already retried.") from error
    retry.retry_of = failed
    return retry


def _retry_check(failed: Generation) -> None:
    if failed.status != Status.FAILED:
        raise RetryRefused("NOT_FAILED", "Only a failed generation can be retried.")
    if Generation.objects.filter(retry_of=failed).exists():
        raise RetryRefused("ALREADY_RETRIED", "This generation was already retried.")
    if failed.shopper_key == REDACTED_SHOPPER_KEY:
        raise RetryRefused("SHOPPER_DATA_DELETED", "The shopper's data was deleted.")
    for check in _retry_checks:
        check(failed.account)


def _retry_create(failed: Generation) -> Generation:
    account = failed.account
    person_image = person_image_get(account=account, image_id=failed.person_image_id or "")
    garment = Garment(
        product_id=failed.product_id,
        variant_id=failed.variant_id,
        title=failed.garment_title,
        category=failed.garment_category,
        image_ref=failed.garment_image_ref,
    )
    return generation_create(
        account=account,
        shopper=Shopper(key=failed.shopper_key, ip=failed.client_ip),
        person_image=person_image,
        garment=garment,
        catalog_source=failed.catalog_source,
        watermark=failed.watermark,
        keep_for_days=failed.keep_for_days,
    )


def generations_retry(*, generation_ids: Iterable[str]) -> Counter[str]:
    """Retry each; returns how many were RETRIED and, for the others, how many per error code."""
    outcomes: Counter[str] = Counter()
    for generation_id in generation_ids:
        try:
            generation_retry(generation_id=generation_id)
        except ApplicationError as error:
            outcomes[error.code] += 1
        else:
            outcomes[RETRIED] += 1
    return outcomes


# --- refund ------------------------------------------------------------------------------------


def generations_refund(*, generation_ids: Iterable[str]) -> Counter[str]:
    """Give back what finished generations were charged (a credit, or one try-on of the quota
    period it was taken from while that period runs) and the shopper's weekly slot, exactly
    once per generation: the same compare-and-set as the automatic refund of failures, so a
    failed generation is never refunded twice.

    Returns counts: REFUNDED, and NOT_FINISHED, NOT_CHARGED, ALREADY_REFUNDED for the others.
    Overage already billed through a platform (Shopify usage charges) is not reversed here.
    """
    outcomes: Counter[str] = Counter()
    rows = Generation.objects.filter(id__in=list(generation_ids)).only(
        "id", "status", "credit_charged", "quota_period_end", "refunded_at"
    )
    for generation in rows:
        outcomes[_refund_one(generation)] += 1
    return outcomes


def _refund_one(generation: Generation) -> str:
    if not generation.is_finished:
        return "NOT_FINISHED"
    if not generation.credit_charged and generation.quota_period_end is None:
        return "NOT_CHARGED"
    with transaction.atomic():
        refunded = generation_refund(generation_id=generation.id)
    return REFUNDED if refunded else "ALREADY_REFUNDED"


# --- erasure -----------------------------------------------------------------------------------


def generation_shoppers(*, generation_ids: Iterable[str]) -> list[tuple[Account, str]]:
    """The distinct (account, shopper key) pairs behind these generations, already-erased ones
    left out."""
    rows = (
        Generation.objects.filter(id__in=list(generation_ids))
        .exclude(shopper_key=REDACTED_SHOPPER_KEY)
        .values_list("account_id", "shopper_key")
        .distinct()
    )
    pairs = sorted(set(rows))
    accounts = Account.objects.in_bulk({account_id for account_id, _ in pairs})
    return [(accounts[account_id], key) for account_id, key in pairs]


def shoppers_data_delete(*, shoppers: Iterable[tuple[Account, str]]) -> Counter[str]:
    """Erase each shopper as a privacy request does (shopper_data_delete: photos and results
    deleted, generation rows anonymised, unfinished ones failed and refunded), then run the
    adapters' hooks. Credit ledger entries are kept unchanged: they hold an amount and a
    generation id, nothing about the person, and are the account's billing record.

    Returns summed counts: shoppers, person_images, results, generations. Idempotent.
    """
    totals: Counter[str] = Counter()
    for account, shopper_key in shoppers:
        if shopper_key == REDACTED_SHOPPER_KEY:
            continue
        totals.update(shopper_data_delete(account=account, shopper_key=shopper_key))
        for hook in _erasure_hooks:
            hook(account, shopper_key)
        totals["shoppers"] += 1
    return totals


def shoppers_data_summary(*, shoppers: list[tuple[Account, str]]) -> list[dict]:
    """What erasing these shoppers would delete: per shopper, `{account, shopper_key,
    person_images, generations}`, in two grouped queries whatever the number of shoppers."""
    account_ids = {account.id for account, _ in shoppers}
    keys = {key for _, key in shoppers}

    def counted(model: type) -> dict[tuple[str, str], int]:
        rows = (
            model.objects.filter(account_id__in=account_ids, shopper_key__in=keys)
            .values_list("account_id", "shopper_key")
            .annotate(n=Count("pk"))
        )
        return {(account_id, key): n for account_id, key, n in rows}

    photos, generations = counted(PersonImage), counted(Generation)
    return [
        {
            "account": account,
            "shopper_key": key,
            "person_images": photos.get((account.id, key), 0),
            "generations": generations.get((account.id, key), 0),
        }
        for account, key in shoppers
    ]
