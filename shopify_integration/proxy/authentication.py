import logging
import time
from dataclasses import dataclass

from django.conf import settings
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from fittingroom.core.errors import Unauthorized
from fittingroom.core.net import client_ip
from shopify_integration.models import Shop
from shopify_integration.proxy.signature import (
    InvalidProxySignature,
    ProxyParams,
    verify_proxy_query,
)
from shopify_integration.selectors import shop_for_proxy

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProxyContext:
    """What a verified proxy request tells us: the shop, the customer Shopify vouches for (blank
    when nobody is logged in) and the client's address (None when unknown)."""

    shop: Shop
    customer_id: str
    ip: str | None


def proxy_params(query_string: str) -> ProxyParams:
    """What Shopify's proxy signed in `query_string`, checked with the app's secrets and clock
    (InvalidProxySignature if it fails)."""
    return verify_proxy_query(
        query_string,
        secrets=[settings.SHOPIFY_API_SECRET, settings.SHOPIFY_API_SECRET_PREVIOUS],
        now=time.time(),
        max_skew=settings.SHOPIFY_PROXY_MAX_CLOCK_SKEW,
    )


class ShopifyProxySignatureAuthentication(BaseAuthentication):
    """Accepts only requests signed by Shopify's app proxy; sets `request.auth` to ProxyContext."""

    def authenticate(self, request: Request) -> tuple[None, ProxyContext]:
        try:
            params = proxy_params(request.META.get("QUERY_STRING", ""))
        except InvalidProxySignature as error:
            logger.info("proxy request refused: %s", error)
            raise Unauthorized("Invalid signature.") from error
        shop = shop_for_proxy(domain=params.shop)
        ip = client_ip(request._request, trust_forwarded=True)
        return None, ProxyContext(shop=shop, customer_id=params.logged_in_customer_id, ip=ip)

    def authenticate_header(self, request: Request) -> str:
        return "ShopifyAppProxy"
