"""What every /v1 view shares: the account named by the API key, the per-account request budget,
and how an API client's end user (`externalUserId`) becomes a shopper key."""

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from fittingroom.accounts.models import Account
from fittingroom.api.authentication import ApiKeyAuthentication
from fittingroom.api.throttling import AccountRateThrottle
from fittingroom.generations.models import Generation
from fittingroom.images.models import PersonImage
from fittingroom.limits.shoppers import API_SHOPPER_KEY, USER_KEY_PREFIX

# The public API allows 255; `user:{id}` must also fit the shopper_key columns, so that erasing
# the end user (DELETE /v1/customers/{id}) finds everything of theirs.
EXTERNAL_USER_ID_MAX_LENGTH = min(
    255,
    *(
        model._meta.get_field("shopper_key").max_length - len(USER_KEY_PREFIX)
        for model in (PersonImage, Generation)
    ),
)


def shopper_key_for(external_user_id: str | None) -> str:
    """The shopper key of an API end user: `user:{externalUserId}`, or `api` without one."""
    return f"{USER_KEY_PREFIX}{external_user_id}" if external_user_id else API_SHOPPER_KEY


def external_user_id_of(shopper_key: str) -> str | None:
    """The `externalUserId` a shopper key was made from; None for `api` and other keys."""
    if shopper_key.startswith(USER_KEY_PREFIX):
        return shopper_key.removeprefix(USER_KEY_PREFIX)
    return None


def _printable_and_not_blank(value: str) -> None:
    if not value.strip() or not value.isprintable():
        raise serializers.ValidationError("Must be a non-blank string of printable characters.")


def external_user_id_field(**kwargs: object) -> serializers.CharField:
    """An end user's opaque id, kept exactly as sent (the same rules as the try-on body)."""
    return serializers.CharField(
        max_length=EXTERNAL_USER_ID_MAX_LENGTH,
        trim_whitespace=False,
        validators=[_printable_and_not_blank],
        **kwargs,
    )


class PublicApi(APIView):
    """Base of every /v1 view: `x-api-key` names the account (`request.auth`), and each
    account has a request budget per minute (API_RATE_LIMIT_PER_MINUTE)."""

    authentication_classes = [ApiKeyAuthentication]
    throttle_classes = [AccountRateThrottle]

    def account(self, request: Request) -> Account:
        return request.auth
