"""POST /proxy/public/tracking/events: the widget's funnel events, in batches of 1 to 50.

Parsing and storing are the core's (fittingroom/analytics); here the proxy context says which
shop, and which shopper (the logged-in customer, else the widget's visitor id; never the
address, which only keys the flood throttle)."""

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from fittingroom.analytics.events import MAX_EVENTS, batch_parse
from fittingroom.analytics.services import events_ingest
from fittingroom.api.schema import error_responses
from fittingroom.limits.shoppers import Shopper
from shopify_integration.proxy.apis import ProxyApi


class _EventSerializer(serializers.Serializer):
    """The OpenAPI shape of one event (the view parses batches in plain Python)."""

    event = serializers.CharField(help_text="`category:action`, snake case.")
    properties = serializers.DictField(required=False)
    timestamp = serializers.DateTimeField()

    def get_fields(self) -> dict:
        fields = super().get_fields()
        fields["$insert_id"] = serializers.CharField(help_text="Unique per event: the dedupe key.")
        return fields


class TrackingEventsApi(ProxyApi):
    @extend_schema(
        operation_id="proxy_tracking_events",
        summary="Send funnel events",
        description=f"1 to {MAX_EVENTS} events; an event already received (same `$insert_id`) "
        "is ignored. Names outside the documented list are kept and flagged. `context` carries "
        "`$current_url`, `$session_id`, `$pageview_id`, `fr_client_id`, `fr_product_id`, "
        "`fr_variant_id`, `fr_lib_version` (Genlook's `genlook_…` keys are read too).",
        request=inline_serializer(
            "TrackingBatch",
            {
                "events": _EventSerializer(many=True),
                "context": serializers.DictField(required=False),
            },
        ),
        responses={
            200: inline_serializer("TrackingAccepted", {"success": serializers.BooleanField()}),
            **error_responses(400, 401, 429),
        },
    )
    def post(self, request: Request) -> Response:
        context = self.proxy(request)
        self.rate_check(
            request,
            group="proxy-tracking",
            rate=settings.TRACKING_RATE_LIMIT,
            who=context.ip,
            message="Too many tracking requests.",
        )
        batch = batch_parse(request.data)
        shopper = Shopper.identify(
            customer_id=context.customer_id, visitor_id=batch.visitor_id, ip=context.ip
        )
        shopper_key = "" if shopper.key.startswith("ip:") else shopper.key
        events_ingest(account=context.shop.account, batch=batch, shopper_key=shopper_key)
        return Response({"success": True})
