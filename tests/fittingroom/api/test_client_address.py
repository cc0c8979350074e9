"""/v1/try-on when the server hands Django a REMOTE_ADDR that is no IP (a Unix socket, or
uvicorn's copy of a trusted peer's X-Forwarded-For): the try-on is created, not a 500."""

import json

import pytest

from fittingroom.generations.models import Generation
from fittingroom.limits.shoppers import UNKNOWN_ADDRESS
from tests.fittingroom.api.conftest import try_on_body

pytestmark = pytest.mark.django_db
SHIRT = {"externalId": "sku-1", "title": "Shirt", "images": ["https://cdn.example.com/s.png"]}


@pytest.mark.parametrize("remote", ["not-an-address", "unix:"])
def test_a_try_on_from_no_valid_address_is_created(api_client, person_image_id, remote):
    body = json.dumps(try_on_body(person_image_id, **SHIRT))

    response = api_client.client.post(
        "/v1/try-on", body, content_type="application/json", REMOTE_ADDR=remote
    )

    assert response.status_code == 201, response.content
    assert Generation.objects.get().client_ip == UNKNOWN_ADDRESS
