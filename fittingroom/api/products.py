"""`/v1/products`: the named products an API client keeps with us (upsert, list, get, delete).

Bodies are parsed by `shapes.product_body_parse`; the input serializers here only describe
them, for the OpenAPI schema.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from fittingroom.api.base import PublicApi
from fittingroom.api.schema import OpaqueIdField, error_responses, path_parameter
from fittingroom.api.shapes import (
    MAX_DESCRIPTION_LENGTH,
    MAX_ID_LENGTH,
    MAX_TITLE_LENGTH,
    client_id_valid,
    product_body_parse,
)
from fittingroom.catalog import ProductNotFound
from fittingroom.products.models import Product
from fittingroom.products.selectors import NOT_FOUND_MESSAGE, product_get, product_list
from fittingroom.products.services import (
    MAX_IMAGE_URL_LENGTH,
    MAX_IMAGES,
    product_delete,
    product_upsert,
)

DEFAULT_LIMIT, MAX_LIMIT = 50, 200


def _images_field(**kwargs: object) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.URLField(max_length=MAX_IMAGE_URL_LENGTH),
        min_length=1,
        max_length=MAX_IMAGES,
        help_text="1 to 5 http(s) image URLs; the first is tried on.",
        **kwargs,
    )


class ProductItemSerializer(serializers.Serializer):
    """A product to try on: `{externalId}` alone references a stored product; with title,
    description and images it is created or updated (kept 15 days from its last use); without
    `externalId` it is a one-shot product (kept 7 days) that gets a server-generated id."""

    externalId = OpaqueIdField(
        max_length=MAX_ID_LENGTH,
        required=False,
        help_text="Your id of the product (a SKU, say). Ids starting with `_anon_` are reserved.",
    )
    title = serializers.CharField(max_length=MAX_TITLE_LENGTH, required=False, allow_blank=True)
    description = serializers.CharField(
        max_length=MAX_DESCRIPTION_LENGTH, required=False, allow_blank=True
    )
    images = _images_field(required=False)


class ProductOutputSerializer(serializers.Serializer):
    externalId = serializers.CharField(source="external_id")
    title = serializers.CharField()
    description = serializers.CharField()
    images = serializers.ListField(child=serializers.CharField())
    category = serializers.CharField(
        help_text="Guessed: tops, bottoms, one-pieces, or auto when unsure (the model decides)."
    )
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    lastUsedAt = serializers.DateTimeField(
        source="last_used_at", allow_null=True, help_text="Null until a try-on uses it."
    )
    expiresAt = serializers.DateTimeField(source="expires_at")


class ProductListCreateApi(PublicApi):
    """List the account's products, or create or replace one by its `externalId`."""

    parser_classes = [JSONParser]

    class FilterSerializer(serializers.Serializer):
        limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)
        cursor = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=100,
            help_text="`nextCursor` of the previous page.",
        )

    class InputSerializer(ProductItemSerializer):
        """A named product: your `externalId`, and 1 to 5 images (title and description help
        guess its category)."""

        externalId = OpaqueIdField(max_length=MAX_ID_LENGTH, help_text="Your id of the product.")
        images = _images_field()

    class OutputSerializer(serializers.Serializer):
        data = ProductOutputSerializer(many=True)
        nextCursor = serializers.CharField(
            allow_null=True, help_text="Pass as `cursor` for the next page; null on the last."
        )

    @extend_schema(
        operation_id="products_list",
        summary="List products",
        description="The account's live named products, newest first (one-shot ones are not "
        "listed).",
        parameters=[FilterSerializer],
        responses={200: OutputSerializer, **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = product_list(
            account=self.account(request),
            limit=filters.validated_data["limit"],
            cursor=filters.validated_data.get("cursor") or None,
        )
        return Response(
            self.OutputSerializer({"data": page.products, "nextCursor": page.next_cursor}).data
        )

    @extend_schema(
        operation_id="product_upsert",
        summary="Create or replace a product",
        description="201 when the product was created, 200 when an existing one was replaced; "
        "either way it is kept 15 days from now.",
        request=InputSerializer,
        responses={
            200: ProductOutputSerializer,
            201: ProductOutputSerializer,
            **error_responses(
                400,
                409,
                415,
                descriptions={
                    400: "`VALIDATION_FAILED` (see `details`) or `PRODUCT_IMAGES_REQUIRED`.",
                    409: "`RESERVED_EXTERNAL_ID`: ids starting with `_anon_` are the server's.",
                },
            ),
        },
    )
    def post(self, request: Request) -> Response:
        spec = product_body_parse(request.data)
        product, created = product_upsert(
            account=self.account(request),
            external_id=spec.external_id,
            title=spec.title or "",
            description=spec.description or "",
            images=spec.images or [],
            kind=Product.Kind.INLINE,
        )
        return Response(ProductOutputSerializer(product).data, status=201 if created else 200)


EXTERNAL_ID_PARAMETER = path_parameter(
    "external_id",
    'The product\'s `externalId`; "/" (SKUs hold it) may be sent as is.',
    max_length=MAX_ID_LENGTH,
    segment=False,
)
NOT_FOUND = {404: "`PRODUCT_NOT_FOUND`: no such product, or it has expired."}


class ProductDetailApi(PublicApi):
    """One of the account's live products, by its `externalId`."""

    @extend_schema(
        operation_id="product_get",
        summary="Get a product",
        parameters=[EXTERNAL_ID_PARAMETER],
        responses={200: ProductOutputSerializer, **error_responses(404, descriptions=NOT_FOUND)},
    )
    def get(self, request: Request, external_id: str) -> Response:
        product = product_get(account=self.account(request), external_id=_stored(external_id))
        return Response(ProductOutputSerializer(product).data)

    @extend_schema(
        operation_id="product_delete",
        summary="Delete a product",
        description="Past generations keep their own copy of the product.",
        parameters=[EXTERNAL_ID_PARAMETER],
        responses={204: None, **error_responses(404, descriptions=NOT_FOUND)},
    )
    def delete(self, request: Request, external_id: str) -> Response:
        product_delete(account=self.account(request), external_id=_stored(external_id))
        return Response(status=204)


def _stored(external_id: str) -> str:
    """The path's id, if a product can have it. One that no product can have (say, with a NUL,
    which PostgreSQL would refuse to compare) is not found without asking the database."""
    if not client_id_valid(external_id):
        raise ProductNotFound(NOT_FOUND_MESSAGE)
    return external_id
