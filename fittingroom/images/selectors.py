from django.utils import timezone

from fittingroom.accounts.models import Account
from fittingroom.core.errors import ApplicationError
from fittingroom.core.ids import looks_like_public_id
from fittingroom.images.models import PersonImage


class UserImageNotFound(ApplicationError):
    code, status, message = "USER_IMAGE_NOT_FOUND", 404, "User image not found"


def person_image_get(*, account: Account, image_id: str) -> PersonImage:
    """The account's live image with this id; another account's, an expired or an unknown id
    are all simply not found."""
    if not looks_like_public_id(image_id, "file"):
        raise UserImageNotFound()
    image = (
        PersonImage.objects.filter(account=account, id=image_id, expires_at__gt=timezone.now())
        .exclude(image="")
        .first()
    )
    if image is None:
        raise UserImageNotFound()
    return image
