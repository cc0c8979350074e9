"""Share links from the widget: create (`POST share-generation`) and revoke
(`DELETE share-generation/<token>`), both confined to the proxy's shop."""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from fittingroom.api.schema import error_responses
from fittingroom.sharing.services import HOSTNAME, share_link_create, share_link_revoke
from shopify_integration.proxy.apis import VISITOR_ID, ProxyApi


class ShareGenerationApi(ProxyApi):
    class InputSerializer(serializers.Serializer):
        generationId = serializers.CharField(max_length=64)
        effectiveDomain = serializers.CharField(max_length=253, required=False, allow_blank=True)
        productPath = serializers.CharField(max_length=500, required=False, allow_blank=True)
        visitorId = serializers.RegexField(VISITOR_ID, required=False)

    class OutputSerializer(serializers.Serializer):
        shareToken = serializers.CharField(source="token")
        shareUrl = serializers.SerializerMethodField()
        expiresAt = serializers.DateTimeField(source="expires_at")

        def get_shareUrl(self, link) -> str:
            return settings.PUBLIC_BASE_URL + reverse("share-page", args=[link.token])

    @extend_schema(
        operation_id="proxy_share_generation",
        summary="Share a completed try-on",
        description="A public link (`/s/{shareToken}`, Open Graph and Twitter Card tags, a view "
        "counter) to a COMPLETED try-on of this shop; the same try-on gives back the same live "
        "link. `effectiveDomain` is the storefront's domain the page links back to (default: the "
        "shop's); `productPath` the product page's path there. Expires after SHARE_LINK_DAYS.",
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(400, 401, 404, 409, 429)},
    )
    def post(self, request: Request) -> Response:
        context = self.proxy(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        shopper = self.shopper(request, values.get("visitorId"))
        self.rate_check(
            request,
            group="proxy-share",
            rate=settings.SHARE_RATE_LIMIT,
            who=shopper.key,
            message="Too many share links. Try again later.",
        )
        link = share_link_create(
            account=context.shop.account,
            generation_id=values["generationId"],
            domain=_domain(values.get("effectiveDomain", ""), context.shop.domain),
            product_path=values.get("productPath", ""),
        )
        return Response(self.OutputSerializer(link).data)


def _domain(effective: str, shop_domain: str) -> str:
    effective = effective.strip().lower().removeprefix("https://").rstrip("/")
    return effective if HOSTNAME.match(effective) else shop_domain


class ShareGenerationRevokeApi(ProxyApi):
    @extend_schema(
        operation_id="proxy_share_generation_revoke",
        summary="Revoke a share link",
        description="The page and its image are deleted at once. Another shop's token: 404.",
        responses={204: None, **error_responses(401, 404)},
    )
    def delete(self, request: Request, token: str) -> Response:
        share_link_revoke(account=self.proxy(request).shop.account, token=token)
        return Response(status=204)
