"""`/v1/products`: the named products an API client keeps with us (upsert, list, get, delete)."""

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fittingroom.api.authentication import ApiKeyAuthentication
from fittingroom.api.shapes import product_body_parse
from fittingroom.products.models import Product
from fittingroom.products.selectors import product_get, product_list
from fittingroom.products.services import product_delete, product_upsert

DEFAULT_LIMIT, MAX_LIMIT = 50, 200


class ProductOutputSerializer(serializers.Serializer):
    externalId = serializers.CharField(source="external_id")
    title = serializers.CharField()
    description = serializers.CharField()
    images = serializers.ListField(child=serializers.CharField())
    category = serializers.CharField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    lastUsedAt = serializers.DateTimeField(source="last_used_at")
    expiresAt = serializers.DateTimeField(source="expires_at")


class ProductListCreateApi(APIView):
    authentication_classes = [ApiKeyAuthentication]

    class FilterSerializer(serializers.Serializer):
        limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)
        cursor = serializers.CharField(required=False, allow_blank=True, max_length=100)

    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = product_list(
            account=request.auth,
            limit=filters.validated_data["limit"],
            cursor=filters.validated_data.get("cursor") or None,
        )
        data = ProductOutputSerializer(page.products, many=True).data
        return Response({"data": data, "nextCursor": page.next_cursor})

    def post(self, request: Request) -> Response:
        """201 when the product was created, 200 when an existing one was replaced."""
        spec = product_body_parse(request.data)
        product, created = product_upsert(
            account=request.auth,
            external_id=spec.external_id,
            title=spec.title or "",
            description=spec.description or "",
            images=spec.images or [],
            kind=Product.Kind.INLINE,
        )
        return Response(ProductOutputSerializer(product).data, status=201 if created else 200)


class ProductDetailApi(APIView):
    authentication_classes = [ApiKeyAuthentication]

    def get(self, request: Request, external_id: str) -> Response:
        product = product_get(account=request.auth, external_id=external_id)
        return Response(ProductOutputSerializer(product).data)

    def delete(self, request: Request, external_id: str) -> Response:
        product_delete(account=request.auth, external_id=external_id)
        return Response(status=204)
