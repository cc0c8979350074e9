"""Development only: plays the part of Shopify's app proxy, so the widget's code runs unchanged
against `make run`. Mounted only when DEBUG is on (see config/urls.py)."""

import time
from urllib.parse import parse_qsl, urlencode

from asgiref.sync import async_to_sync, iscoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import resolve
from django.views.decorators.csrf import csrf_exempt

from shopify_integration.proxy.signature import SINGLE_VALUED, sign_proxy_query


@csrf_exempt
def dev_proxy_view(request: HttpRequest, path: str) -> HttpResponse:
    """Sign the request as the demo shop and hand `/apps/fitting-room/<path>` to `/proxy/<path>`
    in-process, as Shopify forwards to the app proxy URL (an HTTP hop to ourselves could deadlock a
    single sync worker)."""
    pairs = [
        (key, value)
        for key, value in parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True)
        if key not in SINGLE_VALUED
    ]
    pairs += [
        ("shop", settings.DEMO_SHOP_DOMAIN),
        ("logged_in_customer_id", ""),
        ("path_prefix", settings.DEV_PROXY_PATH_PREFIX),
        ("timestamp", str(int(time.time()))),
    ]
    query = urlencode(sign_proxy_query(pairs, settings.SHOPIFY_API_SECRET))
    target = f"/proxy/{path}"
    request.META["QUERY_STRING"] = query
    request.META["HTTP_X_FORWARDED_FOR"] = request.META.get("REMOTE_ADDR", "")
    request.GET = QueryDict(query)
    request.path = request.path_info = target
    match = resolve(target)
    view = async_to_sync(match.func) if iscoroutinefunction(match.func) else match.func
    return view(request, *match.args, **match.kwargs)
