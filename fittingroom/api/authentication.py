from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from fittingroom.accounts.api_keys import account_for_api_key
from fittingroom.accounts.models import Account


class ApiKeyAuthentication(BaseAuthentication):
    """`x-api-key: <key>` → request.auth = the key's Account."""

    def authenticate(self, request: Request) -> tuple[None, Account]:
        return None, account_for_api_key(raw_key=request.META.get("HTTP_X_API_KEY", "").strip())

    def authenticate_header(self, request: Request) -> str:
        return "x-api-key"
