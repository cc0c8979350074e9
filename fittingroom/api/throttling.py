"""Abuse protection for the public API: a request budget per account and minute."""

import math
import time

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from fittingroom.accounts.models import Account
from fittingroom.core.cache_atomic import cache_incr

WINDOW_SECONDS = 60


class AccountRateThrottle(BaseThrottle):
    """At most API_RATE_LIMIT_PER_MINUTE requests per account in each clock minute.

    A fixed window counted with one atomic increment in the shared cache, so every web process
    draws on the same budget; over it, DRF answers 429 RATE_LIMITED with `Retry-After` set to
    the seconds left in the window. Requests without an account (authentication runs first and
    refuses them) are not counted.
    """

    def allow_request(self, request: Request, view: APIView) -> bool:
        account = request.auth
        if not isinstance(account, Account):
            return True
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        count = cache_incr(f"api-throttle:{account.id}:{window}", timeout=WINDOW_SECONDS + 5)
        self._wait = (window + 1) * WINDOW_SECONDS - now
        return count <= settings.API_RATE_LIMIT_PER_MINUTE

    def wait(self) -> float:
        return max(1, math.ceil(self._wait))
