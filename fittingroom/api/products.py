"""`/v1/products`: the named products an API client keeps with us (upsert, list, get, delete).

Bodies are declared in `product_shapes` (`ProductItemSerializer`), which both parses them
(`product_body_parse`) and is what the schema documents.
"""

from drf_spectacular.utils import (
    OpenApiRequest,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from fittingroom.api.base import PublicApi
from fittingroom.api.product_shapes import (
    MAX_ID_LENGTH,
    ProductItemSerializer,
    client_id_valid,
    images_field,
    product_body_parse,
)
from fittingroom.api.schema import OpaqueIdField, error_responses, path_parameter
from fittingroom.api.shapes import tryon_body
from fittingroom.api.tryon_services import product_images_resolve
from fittingroom.catalog import ProductNotFound
from fittingroom.images.services import upload_size_check
from fittingroom.products.catalog import image_source_url
from fittingroom.products.models import Product
from fittingroom.products.selectors import NOT_FOUND_MESSAGE, product_get, product_list
from fittingroom.products.services import (
    LIFETIMES,
    product_delete,
    product_upsert,
)

DEFAULT_LIMIT, MAX_LIMIT = 50, 200


class ProductImageOutputSerializer(serializers.Serializer):
    sourceUrl = serializers.CharField(
        help_text="The URL sent, or a signed URL of an image sent as a file."
    )
    role = serializers.CharField(allow_null=True)
    order = serializers.IntegerField()


class ProductOutputSerializer(serializers.Serializer):
    externalId = serializers.CharField(source="external_id")
    title = serializers.CharField()
    description = serializers.CharField()
    images = serializers.SerializerMethodField()
    metadata = serializers.DictField(allow_null=True)
    category = serializers.CharField(
        help_text="Guessed: tops, bottoms, one-pieces, or auto when unsure (the model decides)."
    )
    validForDays = serializers.SerializerMethodField(
        help_text="Days the product is kept after its last use."
    )
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    lastUsedAt = serializers.DateTimeField(
        source="last_used_at", allow_null=True, help_text="Null until a try-on uses it."
    )
    expiresAt = serializers.DateTimeField(source="expires_at")

    @extend_schema_field(ProductImageOutputSerializer(many=True))
    def get_images(self, product: Product) -> list[dict]:
        roles = list(product.image_roles or []) + [None] * len(product.images)
        return [
            {"sourceUrl": image_source_url(ref), "role": roles[order], "order": order}
            for order, ref in enumerate(product.images)
        ]

    def get_validForDays(self, product: Product) -> int:
        return LIFETIMES[product.kind].days


class ProductListCreateApi(PublicApi):
    """List the account's products, or create or replace one by its `externalId`."""

    parser_classes = [JSONParser, MultiPartParser]

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
        images = images_field()

    class OutputSerializer(serializers.Serializer):
        items = ProductOutputSerializer(many=True)
        nextCursor = serializers.CharField(
            allow_null=True, help_text="Pass as `cursor` for the next page; null on the last."
        )
        hasMore = serializers.BooleanField()
        count = serializers.IntegerField(help_text="How many items this page holds.")
        data = ProductOutputSerializer(
            many=True, help_text="Deprecated: the same as `items`.", source="items"
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
        body = {
            "items": page.products,
            "nextCursor": page.next_cursor,
            "hasMore": page.next_cursor is not None,
            "count": len(page.products),
        }
        return Response(self.OutputSerializer(body).data)

    @extend_schema(
        operation_id="product_upsert",
        summary="Create or replace a product",
        description="201 when the product was created, 200 when an existing one was replaced; "
        "either way it is kept 15 days from now.",
        request={
            "application/json": InputSerializer,
            "multipart/form-data": OpenApiRequest(
                inline_serializer(
                    "ProductForm",
                    {
                        "data": InputSerializer(),
                        "file": serializers.FileField(
                            required=False, help_text="A file part named by a `fileKey`."
                        ),
                    },
                ),
                encoding={"data": {"contentType": "application/json"}},
            ),
        },
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
        multipart = request.content_type.startswith("multipart/")
        if multipart:
            upload_size_check(declared_bytes=int(request.META.get("CONTENT_LENGTH") or 0))
        spec = product_body_parse(tryon_body(data=request.data, multipart=multipart))
        account = self.account(request)
        refs, roles = product_images_resolve(account=account, spec=spec, files=request.FILES)
        product, created = product_upsert(
            account=account,
            external_id=spec.external_id,
            title=spec.title or "",
            description=spec.description or "",
            images=refs,
            image_roles=roles,
            metadata=spec.metadata,
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
