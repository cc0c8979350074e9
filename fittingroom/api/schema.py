"""OpenAPI description of the public surfaces (/v1/ and /proxy/public/), with drf-spectacular.

Views describe their own bodies with `extend_schema`; what every view shares is added here:
the one `Error` component, 401 on authenticated views, 429 and `Retry-After` on throttled ones,
the security schemes, and operation names that don't collide across nested serializers.
"""

from typing import Any

from django.utils.module_loading import import_string
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.generators import EndpointEnumerator
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from fittingroom.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from fittingroom.api.idempotency import MAX_KEY_LENGTH, REPLAYED_HEADER
from fittingroom.api.throttling import AccountRateThrottle

PUBLIC_PATH_PREFIXES = ("/v1/", "/proxy/public/")
TAGS = {"/v1/": "Try-On API", "/proxy/public/": "App proxy"}

ERROR_DESCRIPTIONS = {
    400: "Refused: `VALIDATION_FAILED` (see `details`) or a more specific code.",
    401: "`UNAUTHORIZED`: missing or invalid credentials.",
    402: "Payment required: out of credits, quota or billing.",
    403: "Forbidden: another account's resource, or the app is not installed.",
    404: "Not found.",
    409: "`IDEMPOTENCY_KEY_IN_USE`: a request with this Idempotency-Key is still running.",
    413: "Too large: `FILE_TOO_LARGE` or `PAYLOAD_TOO_LARGE`.",
    415: "`UNSUPPORTED_MEDIA_TYPE`.",
    422: "`IDEMPOTENCY_KEY_REUSED`: the Idempotency-Key was used with another request.",
    429: "Too many requests (see `code`); retry after `Retry-After` seconds when given.",
    503: "Temporarily unavailable; retry later.",
}


class ErrorDetailSerializer(serializers.Serializer):
    path = serializers.CharField(help_text="The offending field (`products[0].images`), or empty.")
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """Every error of the API: a stable `code`, a human `message`, the HTTP `status`."""

    code = serializers.CharField(help_text="Stable machine-readable code, e.g. VALIDATION_FAILED.")
    message = serializers.CharField()
    status = serializers.IntegerField()
    details = ErrorDetailSerializer(many=True)


class JobErrorSerializer(ErrorSerializer):
    """The proxy's `fitting-room` keeps the seed's shape for refused requests: `jobId` is null."""

    jobId = serializers.CharField(allow_null=True)


def error_responses(
    *statuses: int,
    serializer: type = ErrorSerializer,
    descriptions: dict[int, str] | None = None,
) -> dict[int, Any]:
    """`extend_schema(responses=...)` entries for these error statuses; `descriptions` replaces
    the shared wording where an operation answers a status for reasons of its own."""
    described = {**ERROR_DESCRIPTIONS, **(descriptions or {})}
    return {
        status: OpenApiResponse(serializer, description=described[status]) for status in statuses
    }


def path_parameter(
    name: str, description: str, *, max_length: int | None = None, segment: bool = True
) -> OpenApiParameter:
    """A string path parameter; `segment`: one path segment, without "/" (`<str:…>`)."""
    schema: dict = {"type": "string", "minLength": 1}
    if segment:
        schema["pattern"] = "^[^/]+$"
    if max_length is not None:
        schema["maxLength"] = max_length
    return OpenApiParameter(name, schema, OpenApiParameter.PATH, description=description)


class OpaqueIdField(serializers.Field):
    """Describes a client's own identifier as `body_fields.ClientId` reads it: a non-blank
    string of printable characters, or an integer (many systems' ids are numeric)."""

    def __init__(self, *, max_length: int, **kwargs: Any) -> None:
        self.max_length = max_length
        super().__init__(**kwargs)


class OpaqueIdFieldScheme(OpenApiSerializerFieldExtension):
    target_class = OpaqueIdField
    match_subclasses = True  # body_fields.ClientId, which also parses it

    def map_serializer_field(self, auto_schema: SpectacularAutoSchema, direction: str) -> dict:
        return {
            "oneOf": [
                {"type": "string", "minLength": 1, "maxLength": self.target.max_length},
                {"type": "integer"},
            ]
        }


IDEMPOTENCY_PARAMETERS = [
    OpenApiParameter(
        IDEMPOTENCY_HEADER,
        {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
        OpenApiParameter.HEADER,
        description="Retry safely: a repeat with the same key and request gets the first "
        "answer again (kept 24 h) instead of doing the work twice.",
    ),
    OpenApiParameter(
        REPLAYED_HEADER,
        {"type": "string", "enum": ["true"]},
        OpenApiParameter.HEADER,
        description="Present on an answer replayed for a repeated Idempotency-Key.",
        response=[200, 201, 400, 402, 404, 409, 413, 415],  # kept and replayed answers
    ),
]


RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    int,
    OpenApiParameter.HEADER,
    description="Seconds to wait before retrying.",
    response=[429],
)


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "fittingroom.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: SpectacularAutoSchema) -> dict:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "x-api-key",
            "description": "Your API key (`fr_live_…`), shown once when it was created.",
        }


class ShopifyProxySignatureScheme(OpenApiAuthenticationExtension):
    """Shopify's app proxy signs the whole query string: `signature` is an HMAC-SHA256 of the
    other parameters, which are documented as parameters of each operation."""

    # A string, so the core imports nothing of the Shopify adapter.
    target_class = "shopify_integration.proxy.authentication.ShopifyProxySignatureAuthentication"
    name = "ShopifyAppProxy"
    signed_parameters = [
        OpenApiParameter(
            "shop",
            {"type": "string", "pattern": r"^[a-zA-Z0-9][a-zA-Z0-9-]*\.myshopify\.com$"},
            required=True,
            description="The shop's myshopify.com domain, added by Shopify's app proxy.",
        ),
        OpenApiParameter(
            "timestamp",
            int,
            required=True,
            description="Unix time the proxy forwarded the request; refused when stale.",
        ),
        OpenApiParameter(
            "logged_in_customer_id",
            str,
            description="The storefront's logged-in customer, blank for guests.",
        ),
        OpenApiParameter("path_prefix", str, description="The app proxy's storefront path."),
    ]

    def get_security_definition(self, auto_schema: SpectacularAutoSchema) -> dict:
        return {
            "type": "apiKey",
            "in": "query",
            "name": "signature",
            "description": "Lowercase hex HMAC-SHA256, with the app's client secret, of the "
            "other query parameters as `key=value` strings (values of a repeated key joined "
            "with `,`), sorted and concatenated. Added by Shopify's app proxy.",
        }


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema with what all our views share (see the module docstring)."""

    def get_serializer_name(self, serializer: serializers.Serializer, direction: str) -> str:
        # `GenerationDetailApi.OutputSerializer` → `GenerationDetailOutput`: nested serializers
        # are all called Input/Output, so the outer class names the component.
        outer, _, inner = type(serializer).__qualname__.rpartition(".")
        if outer and "<locals>" not in outer:
            return outer.rpartition(".")[2].removesuffix("Api") + inner
        return super().get_serializer_name(serializer, direction)

    def get_tags(self) -> list[str]:
        for prefix, tag in TAGS.items():
            if self.path.startswith(prefix):
                return [tag]
        return super().get_tags()

    def get_override_parameters(self) -> list:
        parameters = list(super().get_override_parameters())
        for authenticator in self.view.get_authenticators():
            scheme = OpenApiAuthenticationExtension.get_match(authenticator)
            parameters += getattr(scheme, "signed_parameters", [])
        if self._throttled():
            parameters.append(RETRY_AFTER)
        return parameters

    def _get_response_bodies(self, direction: str = "response") -> dict:
        # A private hook of drf-spectacular (pinned): the one place that sees the final set of
        # responses, whether or not a view declared them with extend_schema.
        responses = super()._get_response_bodies(direction)
        shared = [401] if self.view.get_authenticators() else []
        shared += [429] if self._throttled() else []
        for status in shared:
            if str(status) not in responses:
                entry = error_responses(status)[status]
                responses[str(status)] = self._get_response_for_code(
                    entry, str(status), direction=direction
                )
        return responses

    def _throttled(self) -> bool:
        return any(isinstance(t, AccountRateThrottle) for t in self.view.get_throttles())


# Plain Django views that answer exactly as a DRF view does, documented as that view (dotted
# paths, so the core imports nothing of the Shopify adapter).
STAND_INS = {
    "shopify_integration.proxy.waiting.generation_status_view": (
        "shopify_integration.proxy.apis.ProxyGenerationStatusApi"
    ),
}


class _StandInEnumerator(EndpointEnumerator):
    def should_include_endpoint(self, path: str, callback: Any) -> bool:
        return _dotted(callback) in STAND_INS

    def get_allowed_methods(self, callback: Any) -> list[str]:
        return super().get_allowed_methods(_stand_in(callback))


def _dotted(callback: Any) -> str:
    return f"{getattr(callback, '__module__', '')}.{getattr(callback, '__qualname__', '')}"


def _stand_in(callback: Any) -> Any:
    return import_string(STAND_INS[_dotted(callback)]).as_view()


def public_endpoints(endpoints: list[tuple]) -> list[tuple]:
    """drf-spectacular PREPROCESSING_HOOK: only the public surfaces, stand-ins included."""
    stand_ins = [
        (path, path_regex, method, _stand_in(callback))
        for path, path_regex, method, callback in _StandInEnumerator()._get_api_endpoints(None, "")
    ]
    return [
        endpoint
        for endpoint in [*endpoints, *stand_ins]
        if endpoint[0].startswith(PUBLIC_PATH_PREFIXES)
    ]
