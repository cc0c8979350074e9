"""The status body, built directly for the widget's polls, is what DRF's fields would render."""

import pytest
from rest_framework import serializers

from fittingroom.api.apis import GenerationDetailApi
from fittingroom.generations.models import Generation
from fittingroom.generations.selectors import generation_get
from fittingroom.generations.serializers import GenerationStatusSerializer
from shopify_integration.proxy.apis import ProxyGenerationStatusApi
from tests.fittingroom.api.test_uploads_and_generations import make_generation

pytestmark = pytest.mark.django_db


def field_by_field(serializer_class, generation: Generation) -> dict:
    serializer = serializer_class(generation)
    return dict(serializers.Serializer.to_representation(serializer, generation))


@pytest.mark.parametrize(
    "fields",
    [
        {"status": Generation.Status.PENDING},
        {"status": Generation.Status.COMPLETED, "result_image": "results/a.jpg", "reused": True},
        {"status": Generation.Status.FAILED, "error_code": "X", "error_message": "Why."},
    ],
)
@pytest.mark.parametrize(
    "serializer_class",
    [
        GenerationStatusSerializer,
        ProxyGenerationStatusApi.OutputSerializer,
        GenerationDetailApi.OutputSerializer,
    ],
)
def test_the_body_is_what_the_fields_render(api_account, fields, serializer_class):
    account, _ = api_account
    generation = make_generation(account, **fields)
    reads = [Generation.objects.get(id=generation.id)]
    if serializer_class is not GenerationDetailApi.OutputSerializer:  # it shows more fields
        reads.append(generation_get(account_id=account.id, generation_id=generation.id))
    for read in reads:
        body = serializer_class(read).data
        assert body == field_by_field(serializer_class, read)
        assert list(body) == list(serializer_class().fields)
