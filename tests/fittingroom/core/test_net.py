"""The client-address helper: a valid IP string or None, whatever the headers and the server
put in REMOTE_ADDR (uvicorn copies a trusted peer's X-Forwarded-For there unchecked)."""

import json

import pytest
from django.test import RequestFactory

from fittingroom.core.net import client_ip
from fittingroom.generations.models import Generation
from fittingroom.limits.shoppers import UNKNOWN_ADDRESS
from tests.conftest import io_file

NOT_AN_ADDRESS = "not-an-address"


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "expected"),
    [
        ("198.51.100.2", "203.0.113.7, 10.0.0.1", True, "203.0.113.7"),
        ("198.51.100.2", "203.0.113.7", False, "198.51.100.2"),
        ("198.51.100.2", NOT_AN_ADDRESS, True, "198.51.100.2"),
        (NOT_AN_ADDRESS, NOT_AN_ADDRESS, True, None),
        (NOT_AN_ADDRESS, "", False, None),
        ("", "", True, None),
        ("2001:DB8::1", "", False, "2001:db8::1"),
        (NOT_AN_ADDRESS, " 2001:db8::2 ", True, "2001:db8::2"),
    ],
)
def test_the_address_is_a_valid_ip_or_none(remote, forwarded, trusted, expected):
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request, trust_forwarded=trusted) == expected


@pytest.mark.django_db
def test_fitting_room_with_no_valid_address_creates_the_job(client, proxy, person_jpeg):
    """What uvicorn hands Django for `X-Forwarded-For: not-an-address` from a trusted peer."""
    shopper = proxy.as_(ip=NOT_AN_ADDRESS)
    upload = client.post(
        shopper.url("upload-image"),
        {"file": _file(person_jpeg)},
        REMOTE_ADDR=NOT_AN_ADDRESS,
        HTTP_X_FORWARDED_FOR=NOT_AN_ADDRESS,
    )
    assert upload.status_code == 201, upload.content
    body = {"userImageId": upload.json()["fileId"], "productId": "gid://shopify/Product/1001"}

    response = client.post(
        shopper.url("fitting-room"),
        json.dumps(body),
        content_type="application/json",
        REMOTE_ADDR=NOT_AN_ADDRESS,
        HTTP_X_FORWARDED_FOR=NOT_AN_ADDRESS,
    )

    assert response.status_code == 200, response.content
    generation = Generation.objects.get(id=response.json()["jobId"])
    assert generation.client_ip == UNKNOWN_ADDRESS
    assert generation.shopper_key == f"ip:{UNKNOWN_ADDRESS}"


def _file(content: bytes):
    return io_file(content, "photo.jpg")
