"""/admin/login/ with a lockout: failed logins are counted per client address and per username
in the shared cache (Redis in production), so guessing passwords stops after a few tries from
one address, or against one account from many addresses, until the window passes."""

import hashlib

from django.conf import settings
from django.contrib import admin
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from fittingroom.core.cache_atomic import cache_incr
from fittingroom.core.net import client_ip

LOCKED_PAGE = (
    "<!doctype html><title>Too many failed logins</title>"
    "<p>Too many failed logins. Try again in {minutes} minutes.</p>"
)


def _address_key(ip: str | None) -> str:
    return f"admin-login-failures:ip:{ip or 'unknown'}"


def _username_key(username: str) -> str:
    # Hashed: any text fits a cache key. Case-folded: "Admin" and "admin" share one count.
    digest = hashlib.sha256(username.strip().casefold().encode()).hexdigest()
    return f"admin-login-failures:user:{digest}"


def admin_login_locked(*, ip: str | None, username: str) -> bool:
    """Whether this address, or this username, has used up its failed logins."""
    by_address = cache.get(_address_key(ip), 0)
    by_username = cache.get(_username_key(username), 0)
    return (
        by_address >= settings.ADMIN_LOGIN_MAX_FAILURES_PER_ADDRESS
        or by_username >= settings.ADMIN_LOGIN_MAX_FAILURES
    )


def admin_login_failed(*, ip: str | None, username: str) -> None:
    """Count a failed login; each count lasts ADMIN_LOGIN_LOCKOUT_SECONDS from its first failure."""
    timeout = settings.ADMIN_LOGIN_LOCKOUT_SECONDS
    cache_incr(_address_key(ip), timeout=timeout)
    cache_incr(_username_key(username), timeout=timeout)


def admin_login_succeeded(*, username: str) -> None:
    cache.delete(_username_key(username))


def admin_login_view(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
    """Django admin's own login view, behind the lockout. A locked request is refused before
    its password is checked, so a right guess during the lockout teaches nothing."""
    if request.method != "POST":
        return admin.site.login(request, extra_context)
    ip = client_ip(request, trust_forwarded=False)
    username = request.POST.get("username", "")
    if admin_login_locked(ip=ip, username=username):
        minutes = max(1, settings.ADMIN_LOGIN_LOCKOUT_SECONDS // 60)
        return HttpResponse(
            LOCKED_PAGE.format(minutes=minutes),
            status=429,
            headers={"Retry-After": str(settings.ADMIN_LOGIN_LOCKOUT_SECONDS)},
        )
    response = admin.site.login(request, extra_context)
    if request.user.is_authenticated:
        admin_login_succeeded(username=username)
    else:
        admin_login_failed(ip=ip, username=username)
    return response
