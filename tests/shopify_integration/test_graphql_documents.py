"""Every GraphQL document we send to Shopify validates against Shopify's real Admin schema.

The schema is Shopify's own introspection of Admin API 2025-01 (`shared/data/` beside the
project; see its README). Documents are found, not listed: every module-level string in
shopify_integration/ that parses as a GraphQL operation is checked, so a new one cannot be
forgotten. Our API version is newer (2026-10); every field these documents use exists in 2025-01.
"""

import gzip
import importlib
import json
import pkgutil
from functools import cache
from pathlib import Path

import pytest
from graphql import GraphQLSchema, OperationDefinitionNode, build_client_schema, parse, validate
from graphql.error import GraphQLSyntaxError

import shopify_integration

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_NAME = "shopify-admin-2025-01.json.gz"


def _schema_file() -> Path:
    # The project root's `../shared/data/`; from a worktree nested deeper, the nearest one up.
    for folder in ROOT.parents:
        candidate = folder / "shared" / "data" / SCHEMA_NAME
        if candidate.exists():
            return candidate
    raise AssertionError(f"{SCHEMA_NAME} not found in shared/data/ above {ROOT}")


@cache
def admin_schema() -> GraphQLSchema:
    with gzip.open(_schema_file()) as handle:
        introspection = json.load(handle)["data"]
    return build_client_schema(introspection, assume_valid=True)


def documents() -> dict[str, str]:
    found = {}
    for module_info in pkgutil.walk_packages(shopify_integration.__path__, "shopify_integration."):
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if isinstance(value, str) and name.isupper() and _is_operation(value):
                found[f"{module_info.name}.{name}"] = value
    return found


def _is_operation(text: str) -> bool:
    stripped = text.lstrip()
    if not stripped.startswith(("query", "mutation")):
        return False
    try:
        return any(isinstance(d, OperationDefinitionNode) for d in parse(text).definitions)
    except GraphQLSyntaxError:
        return True  # an operation that does not even parse: let the test say so


ALL_DOCUMENTS = documents()


def test_the_documents_we_send_are_found():
    names = set(ALL_DOCUMENTS)
    assert "shopify_integration.customers.documents.CUSTOMER_CREATE" in names
    assert "shopify_integration.admin_api.PRODUCT_IMAGE_QUERY" in names
    assert len(names) >= 8


@pytest.mark.parametrize("name", sorted(ALL_DOCUMENTS))
def test_each_document_validates_against_shopifys_admin_schema(name):
    errors = validate(admin_schema(), parse(ALL_DOCUMENTS[name]))

    assert [error.message for error in errors] == []
