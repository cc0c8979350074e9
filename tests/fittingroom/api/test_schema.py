"""The OpenAPI schema describes /v1 and /proxy/public, and the server answers as it says:
schemathesis generates requests from it and checks every answer against it."""

import itertools
import os
import time
from datetime import timedelta
from urllib.parse import urlencode

import hypothesis
import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from django.urls import get_resolver
from django.utils import timezone
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from fittingroom.accounts.api_keys import api_key_create
from fittingroom.generations.models import Generation
from fittingroom.images.models import PersonImage
from shopify_integration.proxy.signature import sign_proxy_query

pytestmark = pytest.mark.django_db
# Hypothesis keeps caches in ./.hypothesis unless told otherwise: keep them with the test data.
os.environ.setdefault(
    "HYPOTHESIS_STORAGE_DIRECTORY", str(django_settings.VAR_DIR / "test-hypothesis")
)

SCHEMA_URL = "/api/schema/?format=json"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
DEMO_PRODUCT = "gid://shopify/Product/1001"  # in the demo catalog


@pytest.fixture
def openapi(client) -> dict:
    response = client.get(SCHEMA_URL)
    assert response.status_code == 200
    return response.json()


def test_the_schema_describes_the_public_api_and_the_proxy(openapi):
    paths = set(openapi["paths"])

    assert {
        "/v1/images/upload",
        "/v1/generations",
        "/v1/generations/{generation_id}",
        "/v1/customers/{external_user_id}",
        "/v1/account/credits",
        "/proxy/public/upload-image",
        "/proxy/public/fitting-room",
        "/proxy/public/generation/{job_id}",
        "/proxy/public/check-credits",
    } <= paths
    assert all(path.startswith(("/v1/", "/proxy/public/")) for path in paths)


def test_errors_share_one_component(openapi):
    error = openapi["components"]["schemas"]["Error"]

    assert set(error["required"]) == {"code", "message", "status", "details"}
    detail = openapi["components"]["schemas"]["ErrorDetail"]
    assert set(detail["properties"]) == {"path", "message"}
    credits = openapi["paths"]["/v1/account/credits"]["get"]["responses"]
    assert credits["401"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    assert "Retry-After" in credits["429"]["headers"]


def test_the_security_schemes_are_the_api_key_and_the_proxy_signature(openapi):
    schemes = openapi["components"]["securitySchemes"]

    assert schemes["ApiKey"] == {**schemes["ApiKey"], "type": "apiKey", "in": "header"}
    assert schemes["ApiKey"]["name"] == "x-api-key"
    assert (schemes["ShopifyAppProxy"]["in"], schemes["ShopifyAppProxy"]["name"]) == (
        "query",
        "signature",
    )
    assert openapi["paths"]["/v1/generations"]["get"]["security"] == [{"ApiKey": []}]
    proxy = openapi["paths"]["/proxy/public/check-credits"]["get"]
    assert proxy["security"] == [{"ShopifyAppProxy": []}]
    assert {"shop", "timestamp"} <= {p["name"] for p in proxy["parameters"] if p.get("required")}


def test_every_idempotent_route_documents_the_idempotency_key(openapi):
    v1 = next(p for p in get_resolver().url_patterns if str(p.pattern) == "v1/")
    wrapped = [p for p in v1.url_patterns if getattr(p.callback, "idempotent", False)]

    assert wrapped
    for pattern in wrapped:
        operation = openapi["paths"][f"/v1/{pattern.pattern}"]["post"]
        names = {p["name"] for p in operation.get("parameters", [])}
        assert "Idempotency-Key" in names, pattern.pattern


def test_the_docs_page_is_served(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


# --- Schemathesis ----------------------------------------------------------------------------


# Loaded once, at collection, from the server itself. (schemathesis.pytest.from_fixture would
# load it per test, but its lazy mode fails under pytest 9: `Function` has no `_nodeid`.)
WSGI_APP = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi(
    SCHEMA_URL,
    WSGI_APP,
    config=schemathesis.Config.from_dict(
        {
            # Valid and invalid inputs both: an invalid one must get a documented 4xx.
            "generation": {"mode": "all", "database": "none"},
            "phases": {"stateful": {"enabled": False}},
        }
    ),
)


@pytest.fixture
def in_process_requests():
    """As Django's test client does, keep requests from closing the connection that holds the
    test's transaction."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def api_key(api_account, settings) -> str:
    settings.API_RATE_LIMIT_PER_MINUTE = 100_000
    return api_key_create(account=api_account, name="schemathesis")[1]


def signed(query: dict | None, shop: str) -> dict:
    """The query as Shopify's app proxy forwards it: its own parameters, then the signature."""
    own = {"shop", "timestamp", "logged_in_customer_id", "path_prefix", "signature"}
    pairs = [(key, str(value)) for key, value in (query or {}).items() if key not in own]
    pairs += [
        ("shop", shop),
        ("logged_in_customer_id", ""),
        ("path_prefix", "/apps/fitting-room"),
        ("timestamp", str(int(time.time()))),
    ]
    return dict(sign_proxy_query(pairs, django_settings.SHOPIFY_API_SECRET))


IDEMPOTENCY_KEYS = itertools.count(1)


@schema.parametrize()
@hypothesis.settings(
    # 10 examples an operation and mode: about 40 s for the whole schema on 2 cores.
    max_examples=10,
    deadline=None,
    derandomize=True,  # the same cases on every run: CI does not flake on a new one
    suppress_health_check=list(hypothesis.HealthCheck),
    database=None,
)
def test_the_server_answers_as_the_schema_says(case, in_process_requests, api_key, shop):
    if case.path.startswith("/proxy/public/"):
        case.query = signed(case.query, shop.domain)
    else:
        case.headers = {**(case.headers or {}), "x-api-key": api_key}
    if "Idempotency-Key" in case.headers:
        # Generated keys repeat, and a reused key with another body is a 422 that stops the
        # request before validation: one key a case lets every case reach the view.
        case.headers["Idempotency-Key"] = f"schemathesis-{next(IDEMPOTENCY_KEYS)}"

    case.call_and_validate(checks=CHECKS)


def test_success_answers_conform_too(in_process_requests, api_key, shop, person_jpeg):
    """Random inputs rarely name a real generation or carry a real photo: walk the happy path
    with real ones, validating each answer the same way."""
    headers = {"x-api-key": api_key}

    def call(operation_id: str, **case: object):
        response = (
            schema.find_operation_by_id(operation_id).Case(**case).call_and_validate(checks=CHECKS)
        )
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    image = call(
        "images_upload",
        headers=headers,
        body={"file": person_jpeg, "externalUserId": "user-1"},
        media_type="multipart/form-data",
    )
    generation = Generation.objects.create(
        account=PersonImage.objects.get(id=image["imageId"]).account,
        shopper_key="user:user-1",
        client_ip="203.0.113.9",
        catalog_source="inline",
        product_id="sku-1",
        garment_image_ref="https://cdn.example.com/shirt.png",
        engine="local",
        deadline_at=timezone.now() + timedelta(minutes=3),
    )
    listed = call("generations_list", headers=headers, query={"limit": 1})
    assert [item["generationId"] for item in listed["data"]] == [generation.id]
    call("generation_get", headers=headers, path_parameters={"generation_id": generation.id})
    call("credits_get", headers=headers)
    shirt = {"externalId": "shirts/linen-1", "images": ["https://cdn.example.com/shirt.png"]}
    call("product_upsert", headers=headers, body=shirt, media_type="application/json")
    call("product_upsert", headers=headers, body=shirt, media_type="application/json")
    call("products_list", headers=headers, query={"limit": 1})
    call("product_get", headers=headers, path_parameters={"external_id": "shirts/linen-1"})
    by_id = {"source": {"id": image["imageId"]}}
    call(
        "try_on_create",
        headers=headers,
        body={"products": [{"externalId": "shirts/linen-1"}], "person": {"image": by_id}},
        media_type="application/json",
    )
    call(
        "try_on_create",
        headers=headers,
        body={"product": {"externalId": "shirts/linen-1"}, "customer": by_id},
        media_type="application/json",
    )
    call(
        "try_on_create",
        headers=headers,
        body={
            "data": {
                "products": [{"title": "Skirt", "images": ["https://cdn.example.com/s.png"]}],
                "person": {"image": {"source": {"fileKey": "file"}}},
                "externalUserId": "user-1",
            },
            "file": person_jpeg,
        },
        media_type="multipart/form-data",
    )
    call("product_delete", headers=headers, path_parameters={"external_id": "shirts/linen-1"})
    call("customer_delete", headers=headers, path_parameters={"external_user_id": "user-1"})
    proxy_file = call(
        "proxy_upload_image",
        query=signed({}, shop.domain),
        body={"file": person_jpeg, "visitorId": "visitor-0001"},
        media_type="multipart/form-data",
    )
    job = call(
        "proxy_fitting_room",
        query=signed({}, shop.domain),
        body={
            "userImageId": proxy_file["fileId"],
            "productId": DEMO_PRODUCT,
            "visitorId": "visitor-0001",
        },
        media_type="application/json",
    )
    call(
        "proxy_generation_status",
        query=signed({}, shop.domain),
        path_parameters={"job_id": job["jobId"]},
    )
    call("proxy_check_credits", query=signed({}, shop.domain))


# --- What schema-driven generation does not reach ---------------------------------------------


def test_other_methods_get_the_json_405_with_csrf_checks_on(openapi, api_key, shop):
    """Schemathesis found Django's HTML 403 (CSRF) on the async status view: as a browser-less
    client sees it, every route answers other methods with the API's JSON 405."""
    client = Client(enforce_csrf_checks=True, headers={"x-api-key": api_key})
    query = urlencode(signed({}, shop.domain))
    for path, operations in openapi["paths"].items():
        url = path.replace("{", "").replace("}", "") + (f"?{query}" if "/proxy/" in path else "")
        for method in {"post", "put", "patch", "delete"} - set(operations):
            response = getattr(client, method)(url)
            assert response.status_code == 405, (method, path, response.content[:80])
            assert response.json()["code"] == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize("number", ["\u00b2", "\u0661", "9" * 5000, "-1", " 1", "1e3"])
def test_odd_numbers_in_query_parameters_never_make_a_500(number, api_key, shop):
    """Integers typed in the schema, so generation sends integers: text that str.isdigit()
    and int() read differently ("²" is a digit to one, not to the other) is sent by hand. The
    API's `limit` reads as DRF's IntegerField does (int(), bounds); the proxy's `wait` takes
    ASCII digits only."""
    client, headers = Client(), {"HTTP_X_API_KEY": api_key}
    proxy_query = urlencode(signed({"wait": number}, shop.domain))

    for path in ("/v1/generations", "/v1/products"):
        response = client.get(path, {"limit": number}, **headers)
        assert response.status_code in (200, 400), (path, response.content[:80])
    response = client.get(f"/proxy/public/generation/gen_x?{proxy_query}")
    assert (response.status_code, response.json()["code"]) == (400, "VALIDATION_FAILED")
