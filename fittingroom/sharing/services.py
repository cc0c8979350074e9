"""Share links: created by the shopper for a completed try-on of their shop, reused while live,
revoked by the shopper, erased with the shopper's or shop's data, deleted when expired."""

import re
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from fittingroom.accounts.models import Account
from fittingroom.core.errors import ApplicationError, NotFound
from fittingroom.core.ids import looks_like_public_id
from fittingroom.generations.models import Generation
from fittingroom.sharing.models import ShareLink

HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
PRODUCT_PATH = re.compile(r"^/(?!/)[A-Za-z0-9/_.~%-]{0,500}$")


class GenerationNotFound(ApplicationError):
    code, status, message = "GENERATION_NOT_FOUND", 404, "Generation not found"


class GenerationNotCompleted(ApplicationError):
    code, status, message = "GENERATION_NOT_COMPLETED", 409, "The try-on has not completed."


class ShareLinkNotFound(ApplicationError):
    code, status, message = "SHARE_LINK_NOT_FOUND", 404, "Share link not found"


def share_link_create(
    *, account: Account, generation_id: str, domain: str, product_path: str = ""
) -> ShareLink:
    """The live link of a completed generation of this account, created on first call (with a
    copy of the result) and returned as is afterwards. `domain` is the storefront's host the
    link points back to; `product_path` the product page's path on it ("" = the home page)."""
    generation = _generation(account=account, generation_id=generation_id)
    existing = ShareLink.objects.filter(generation=generation).first()
    if existing is not None and existing.is_live:
        return existing
    if existing is not None:
        share_links_delete(links=ShareLink.objects.filter(token=existing.token))
    path = product_path if PRODUCT_PATH.match(product_path or "") else "/"
    link = ShareLink(
        account=account,
        generation=generation,
        product_title=generation.garment_title[:255],
        product_url=f"https://{domain}{path}",
        expires_at=timezone.now() + timedelta(days=settings.SHARE_LINK_DAYS),
    )
    try:
        with generation.result_image.open("rb") as result:
            link.image.save("share.jpg", ContentFile(result.read()), save=False)
    except FileNotFoundError as error:  # erased between the check and the copy
        raise GenerationNotFound("The try-on result is no longer available.") from error
    try:
        with transaction.atomic():
            link.save(force_insert=True)
    except IntegrityError:  # a concurrent call of the same shopper won: theirs is the link
        link.image.delete(save=False)
        return ShareLink.objects.get(generation=generation)
    return link


def _generation(*, account: Account, generation_id: str) -> Generation:
    if not looks_like_public_id(generation_id, "gen"):
        raise GenerationNotFound()
    generation = Generation.objects.filter(account=account, id=generation_id).first()
    if generation is None:
        raise GenerationNotFound()
    if generation.status != Generation.Status.COMPLETED:
        raise GenerationNotCompleted()
    if not generation.result_image:  # past its retention or erased
        raise GenerationNotFound("The try-on result is no longer available.")
    return generation


def share_link_revoke(*, account: Account, token: str) -> None:
    """Delete the account's link and its image; another shop's token is not found."""
    links = ShareLink.objects.filter(account=account, token=token)
    if not looks_like_public_id(token, "shr") or not links.exists():
        raise ShareLinkNotFound()
    share_links_delete(links=links)


def share_link_view(*, token: str) -> ShareLink:
    """The live link for the public page, counting one view. Expired or unknown: not found."""
    if not looks_like_public_id(token, "shr"):
        raise NotFound()
    updated = ShareLink.objects.filter(token=token, expires_at__gt=timezone.now()).update(
        views=F("views") + 1
    )
    if not updated:
        raise NotFound()
    return ShareLink.objects.get(token=token)


def share_link_live(*, token: str) -> ShareLink:
    """The live link (for its image), without counting a view."""
    link = ShareLink.objects.filter(token=token, expires_at__gt=timezone.now()).first()
    if not looks_like_public_id(token, "shr") or link is None:
        raise NotFound()
    return link


def share_links_delete(*, links: QuerySet[ShareLink]) -> int:
    """Delete these links and their images (images first: a retry finds what is left)."""
    count = 0
    for token, name in list(links.values_list("token", "image")):
        if name:
            ShareLink._meta.get_field("image").storage.delete(name)
        ShareLink.objects.filter(token=token).delete()
        count += 1
    return count


def share_links_of_generations(generations: QuerySet[Generation]) -> QuerySet[ShareLink]:
    return ShareLink.objects.filter(generation__in=generations)


def share_links_expire(*, batch_size: int = 500) -> int:
    expired = ShareLink.objects.filter(expires_at__lte=timezone.now())
    tokens = list(expired.values_list("token", flat=True)[:batch_size])
    return share_links_delete(links=ShareLink.objects.filter(token__in=tokens))
