"""Development only: a stand-in for the Shopify admin's frame around the embedded app page, as
the development proxy stands in for Shopify's app proxy. Mounted only when DEBUG is on (see
config/urls.py); production serves none of it.

`/dev/shopify-admin` frames `/shopify/app` for the demo shop with a session token signed by the
app's (development) client secret, and gives the page a stand-in for App Bridge's `shopify`
global (`idToken()`, `toast.show()`), whose tokens come from `/dev/shopify-admin/id-token`.
"""

import time
import uuid
from urllib.parse import urlencode

import jwt
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

SESSION_TOKEN_LIFETIME = 60  # as Shopify's: App Bridge asks for a fresh one each call
DEV_STAFF_ID = "1"


def demo_session_token(*, shop: str) -> str:
    """A session token as Shopify's admin issues it (HS256, our client id as audience)."""
    now = int(time.time())
    claims = {
        "iss": f"https://{shop}/admin",
        "dest": f"https://{shop}",
        "aud": settings.SHOPIFY_API_KEY,
        "sub": DEV_STAFF_ID,
        "exp": now + SESSION_TOKEN_LIFETIME,
        "nbf": now - 1,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "sid": "dev-shopify-admin",
    }
    return jwt.encode(claims, settings.SHOPIFY_API_SECRET, algorithm="HS256")


@require_GET
def dev_admin_view(request: HttpRequest) -> HttpResponse:
    shop = settings.DEMO_SHOP_DOMAIN
    query = urlencode(
        {"shop": shop, "id_token": demo_session_token(shop=shop), "embedded": "1", "dev_admin": "1"}
    )
    return render(
        request,
        "shopify_integration/dev_admin.html",
        {"shop": shop, "app_url": f"{reverse('shopify-app')}?{query}"},
    )


@require_GET
def dev_id_token_view(request: HttpRequest) -> JsonResponse:
    response = JsonResponse({"token": demo_session_token(shop=settings.DEMO_SHOP_DOMAIN)})
    response["Cache-Control"] = "no-store"
    return response


# The part of App Bridge the app page uses. Toasts go to the frame's toast area.
APP_BRIDGE_STAND_IN = """(function () {
  "use strict";
  if (window.shopify) return;
  window.shopify = {
    idToken: function () {
      return fetch("%(token_url)s", { cache: "no-store" })
        .then(function (r) { return r.json(); })
        .then(function (body) { return body.token; });
    },
    toast: {
      show: function (message, options) {
        var area = window.parent !== window && window.parent.document.getElementById("dev-toast");
        if (!area) return;
        area.textContent = message;
        area.className = "dev-toast" + (options && options.isError ? " error" : "");
        area.hidden = false;
        clearTimeout(window.__devToastTimer);
        window.__devToastTimer = setTimeout(function () { area.hidden = true; }, 4000);
      }
    }
  };
})();
"""


@require_GET
def dev_app_bridge_view(request: HttpRequest) -> HttpResponse:
    body = APP_BRIDGE_STAND_IN % {"token_url": reverse("dev-shopify-admin-id-token")}
    return HttpResponse(body, content_type="text/javascript; charset=utf-8")
