"""`POST /v1/try-on` of the public Try-On API (tryon-api-create-try-on.txt).

Answers 201 Created with `{generationId, status, productExternalId}`: the call creates a
generation resource (its status URL is in `Location`) whose work runs asynchronously.
"""

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fittingroom.api.authentication import ApiKeyAuthentication
from fittingroom.api.shapes import tryon_body, tryon_request_parse
from fittingroom.api.tryon_services import api_tryon_create
from fittingroom.core.net import client_ip
from fittingroom.images.services import upload_size_check


class TryOnCreateApi(APIView):
    authentication_classes = [ApiKeyAuthentication]

    def post(self, request: Request) -> Response:
        multipart = request.content_type.startswith("multipart/")
        if multipart:
            upload_size_check(declared_bytes=int(request.META.get("CONTENT_LENGTH") or 0))
        shape = tryon_request_parse(tryon_body(data=request.data, multipart=multipart))
        generation, product_external_id = api_tryon_create(
            account=request.auth,
            request_shape=shape,
            files=request.FILES,
            # API clients call us directly: X-Forwarded-For would be theirs to write.
            ip=client_ip(request, trust_forwarded=False),
        )
        headers = {"Location": f"/v1/generations/{generation.id}"}
        if shape.deprecated:
            headers["Deprecation"] = "true"
        body = {
            "generationId": generation.id,
            "status": generation.status,
            "productExternalId": product_external_id,
        }
        return Response(body, status=201, headers=headers)
