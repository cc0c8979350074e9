"""HTML for merchants: the embedded admin page and the authorization-code install flow."""

import logging
import time
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from fittingroom.core.errors import ApplicationError, Unauthorized
from fittingroom.engines.preview import engine_is_preview
from shopify_integration.identifiers import shop_domain_valid
from shopify_integration.install.apis import merchant_settings_data
from shopify_integration.install.oauth import (
    InvalidOAuthRequest,
    oauth_authorize_url,
    oauth_callback_verify,
    oauth_query_verify,
    oauth_state_matches,
    oauth_state_new,
)
from shopify_integration.install.services import shop_authorize, shop_install
from shopify_integration.session_token import (
    InvalidSessionToken,
    SessionTokenExpired,
    decode_session_token,
)

logger = logging.getLogger(__name__)

STATE_COOKIE, STATE_SALT, STATE_MAX_AGE = "shopify_oauth_state", "fittingroom.oauth-state", 600
CALLBACK_MAX_AGE = 24 * 3600
# Before the session token is verified we do not know which shop frames us.
ANY_SHOP_ADMIN = "frame-ancestors https://*.myshopify.com https://admin.shopify.com;"
OPEN_FROM_ADMIN = "Open the app from your Shopify admin (Apps → Fitting Room)."


def _secrets() -> list[str]:
    return [settings.SHOPIFY_API_SECRET, settings.SHOPIFY_API_SECRET_PREVIOUS]


def _message_page(request: HttpRequest, *, status: int, title: str, message: str) -> HttpResponse:
    response = render(
        request,
        "shopify_integration/message.html",
        {"title": title, "message": message},
        status=status,
    )
    response["Content-Security-Policy"] = ANY_SHOP_ADMIN
    response["Cache-Control"] = "no-store"
    return response


@xframe_options_exempt
@require_GET
def app_view(request: HttpRequest) -> HttpResponse:
    """The embedded admin page. Shopify loads it in the admin's iframe with a session token
    (`id_token`); loading it installs the shop and obtains its offline token if needed."""
    id_token = request.GET.get("id_token", "")
    try:
        claims = decode_session_token(id_token)
    except InvalidSessionToken as error:
        if _bounce_can_help(request, id_token=id_token, error=error):
            return _bounce_redirect(request)
        return _app_refused(request, error)
    try:
        if request.GET.get("shop", claims.shop).lower() != claims.shop:
            raise Unauthorized("The session token is for another store.")
        shop = shop_install(domain=claims.shop, id_token=id_token)
    except ApplicationError as error:
        return _app_refused(request, error)
    # Opened from the development stand-in for the admin (DEBUG only): its App Bridge, its frame.
    dev_admin = settings.DEV_ROUTES and request.GET.get("dev_admin") == "1"
    context = {
        "api_key": settings.SHOPIFY_API_KEY,
        "shop": shop,
        "initial": merchant_settings_data(shop),
        "dev_admin": dev_admin,
        "engine_is_preview": engine_is_preview(account=shop.account),
    }
    response = render(request, "shopify_integration/app.html", context)
    response["Content-Security-Policy"] = (
        f"frame-ancestors https://{shop.domain} https://admin.shopify.com"
        + (" 'self';" if dev_admin else ";")
    )
    response["Cache-Control"] = "no-store"
    return response


def _app_refused(request: HttpRequest, error: ApplicationError) -> HttpResponse:
    logger.info("embedded page refused: %s", error.code)
    title = "Could not open Fitting Room"
    message = OPEN_FROM_ADMIN if error.status == 401 else error.message
    return _message_page(request, status=error.status, title=title, message=message)


def _bounce_can_help(request: HttpRequest, *, id_token: str, error: InvalidSessionToken) -> bool:
    """A document request from a shop's admin with no id token, or an expired one: App Bridge
    can fetch a fresh one. Any other bad token would come back just as bad."""
    if not shop_domain_valid(request.GET.get("shop", "").lower()):
        return False
    return not id_token or isinstance(error, SessionTokenExpired)


def _bounce_redirect(request: HttpRequest) -> HttpResponse:
    """To the bounce page, which App Bridge reloads as `shopify-reload` with a fresh id token
    (Shopify's app-home guidance). The target is our own origin, never the request's Host."""
    query = [(key, value) for key, value in request.GET.items() if key != "id_token"]
    target = f"{settings.PUBLIC_BASE_URL}{request.path}?{urlencode(query)}"
    bounce = reverse("shopify-session-token-bounce")
    response = HttpResponseRedirect(f"{bounce}?{urlencode([*query, ('shopify-reload', target)])}")
    response["Cache-Control"] = "no-store"
    return response


@xframe_options_exempt
@require_GET
def session_token_bounce_view(request: HttpRequest) -> HttpResponse:
    """Nothing but App Bridge: it reads `shopify-reload`, fetches a fresh session token and
    loads that URL with it as `id_token`."""
    response = render(
        request, "shopify_integration/bounce.html", {"api_key": settings.SHOPIFY_API_KEY}
    )
    response["Content-Security-Policy"] = ANY_SHOP_ADMIN
    response["Cache-Control"] = "no-store"
    return response


def _state_cookie_path() -> str:
    """The folder of the install and callback URLs (/shopify/auth/): the state cookie goes
    nowhere else."""
    return reverse("shopify-oauth-callback").rsplit("/", 1)[0] + "/"


@require_GET
def oauth_install_view(request: HttpRequest) -> HttpResponse:
    """Start an authorization-code install: send the merchant to Shopify to approve our scopes,
    with a state nonce we also keep in a signed cookie."""
    shop = request.GET.get("shop", "").strip().lower()
    if not shop_domain_valid(shop):
        return _message_page(
            request, status=400, title="Unknown store", message="Give a *.myshopify.com domain."
        )
    if "hmac" in request.GET:  # from Shopify's admin: it must be Shopify's
        try:
            oauth_query_verify(request.META.get("QUERY_STRING", ""), secrets=_secrets())
        except InvalidOAuthRequest as error:
            logger.info("install request refused: %s", error)
            return _message_page(
                request, status=error.status, title="Install refused", message=OPEN_FROM_ADMIN
            )
    state = oauth_state_new()
    response = HttpResponseRedirect(oauth_authorize_url(shop=shop, state=state))
    response.set_signed_cookie(
        STATE_COOKIE,
        state,
        salt=STATE_SALT,
        max_age=STATE_MAX_AGE,
        path=_state_cookie_path(),
        httponly=True,
        secure=not settings.DEBUG,
        samesite="Lax",
    )
    return response


@require_GET
def oauth_callback_view(request: HttpRequest) -> HttpResponse:
    """Shopify's redirect back: check hmac, timestamp, domain and state, trade the code for an
    offline token, then open the app in the shop's admin."""
    try:
        callback = oauth_callback_verify(
            request.META.get("QUERY_STRING", ""),
            secrets=_secrets(),
            now=time.time(),
            max_age=CALLBACK_MAX_AGE,
        )
    except InvalidOAuthRequest as error:
        logger.info("install callback refused: %s", error)
        return _message_page(
            request, status=error.status, title="Install refused", message=OPEN_FROM_ADMIN
        )
    expected = request.get_signed_cookie(
        STATE_COOKIE, default="", salt=STATE_SALT, max_age=STATE_MAX_AGE
    )
    if not oauth_state_matches(expected, callback.state):
        logger.info("install callback refused: state mismatch for %s", callback.shop)
        message = "This install link expired or was opened in another browser. Start again."
        return _message_page(request, status=401, title="Install refused", message=message)
    try:
        shop = shop_authorize(domain=callback.shop, code=callback.code)
    except ApplicationError as error:
        logger.info("install callback refused: %s for %s", error.code, callback.shop)
        status = 400 if error.status == 401 else error.status
        return _message_page(request, status=status, title="Install failed", message=error.message)
    response = HttpResponseRedirect(f"https://{shop.domain}/admin/apps/{settings.SHOPIFY_API_KEY}")
    response.delete_cookie(STATE_COOKIE, path=_state_cookie_path(), samesite="Lax")
    return response
