import functools

from django.utils import timezone

from fittingroom.accounts.models import Account
from fittingroom.core.db import column, columns, db_datetime, fetch_instance, table
from fittingroom.core.errors import ApplicationError
from fittingroom.core.ids import looks_like_public_id
from fittingroom.images.models import PersonImage


class UserImageNotFound(ApplicationError):
    code, status, message = "USER_IMAGE_NOT_FOUND", 404, "User image not found"


def person_image_get(*, account: Account, image_id: str) -> PersonImage:
    """The account's live image with this id; another account's, an expired or an unknown id
    are all simply not found. A prepared statement: every try-on reads its photo."""
    if not looks_like_public_id(image_id, "file"):
        raise UserImageNotFound()
    now = db_datetime(timezone.now(), using=PersonImage.objects.db)
    image = fetch_instance(
        PersonImage, ALL_FIELDS, _live_image_statement(), [image_id, account.id, now]
    )
    if image is None:
        raise UserImageNotFound()
    return image


ALL_FIELDS = tuple(field.attname for field in PersonImage._meta.concrete_fields)


@functools.cache
def _live_image_statement() -> str:
    def image(name: str) -> str:
        return column(PersonImage, name, "i")

    # Names from the model's metadata, quoted; the values are parameters.
    return (
        f"SELECT {columns(PersonImage, ALL_FIELDS, 'i')} FROM {table(PersonImage)} i"  # noqa: S608
        f" WHERE {image('id')} = %s AND {image('account')} = %s"
        f" AND {image('expires_at')} > %s AND {image('image')} <> ''"
    )
