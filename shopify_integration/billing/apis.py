"""Billing endpoints under /shopify/billing/: the embedded admin page subscribes (session token);
Shopify sends the merchant's browser back to the return URL after the approval page."""

from django.conf import settings
from django.http import HttpResponseRedirect
from django_ratelimit.core import is_ratelimited
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fittingroom.core.errors import NotFound
from shopify_integration.billing.plans import PLANS, PLANS_BY_KEY
from shopify_integration.billing.selectors import shop_installed_get
from shopify_integration.billing.services import billing_return, billing_subscribe
from shopify_integration.session_token import ShopifySessionTokenAuthentication

# Anyone can open the return URL for any shop; each visit costs an Admin API call, so only this
# many per shop actually sync (the periodic sync covers the rest).
RETURN_SYNC_RATE = "10/m"


class BillingSubscribeApi(APIView):
    authentication_classes = [ShopifySessionTokenAuthentication]

    class InputSerializer(serializers.Serializer):
        plan = serializers.ChoiceField(choices=[plan.key for plan in PLANS])

    class OutputSerializer(serializers.Serializer):
        confirmationUrl = serializers.URLField()

    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = PLANS_BY_KEY[data.validated_data["plan"]]
        confirmation_url = billing_subscribe(shop=request.auth, plan=plan)
        return Response(self.OutputSerializer({"confirmationUrl": confirmation_url}).data)


class BillingReturnApi(APIView):
    """A top-level browser visit with no session token: nothing in the query is trusted beyond
    naming the shop to re-sync from Shopify itself (`charge_id` is ignored)."""

    authentication_classes: list = []

    def get(self, request: Request) -> HttpResponseRedirect:
        shop = shop_installed_get(domain=request.query_params.get("shop", ""))
        if shop is None:
            raise NotFound("No such store.")
        if not is_ratelimited(
            request._request,
            group="shopify-billing-return",
            key=lambda group, req: shop.domain,
            rate=RETURN_SYNC_RATE,
            increment=True,
        ):
            billing_return(shop=shop)
        return HttpResponseRedirect(f"https://{shop.domain}/admin/apps/{settings.SHOPIFY_API_KEY}")
