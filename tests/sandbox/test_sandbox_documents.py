"""Every GraphQL document the sandbox's helpers and these tests send must
validate against the real Shopify 2026-04 schema."""

import ast
import os

import pytest
from graphql import parse, validate

from sandbox import shopify_documents
from sandbox.shopify_schema import get_schema


@pytest.mark.parametrize("name", sorted(shopify_documents.DOCUMENTS))
def test_sandbox_document_validates(name):
    document = shopify_documents.DOCUMENTS[name]
    assert validate(get_schema(), parse(document)) == []


def _inline_documents():
    """String literals in the test modules that look like GraphQL operations."""
    here = os.path.dirname(os.path.abspath(__file__))
    for filename in sorted(os.listdir(here)):
        if not filename.endswith(".py"):
            continue
        with open(os.path.join(here, filename)) as handle:
            tree = ast.parse(handle.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value.strip()
                if text.startswith(("{", "query", "mutation")) and "{" in text and text.count("{") == text.count("}"):
                    yield filename, text


# Documents the tests send on purpose to check how invalid ones are answered.
DELIBERATELY_INVALID = {
    "{ shop { name notAField } }",
    "{ product { id } }",
    "{ products { edges { node { nope } } } }",
}


def test_inline_documents_in_tests_validate():
    checked = 0
    for filename, text in _inline_documents():
        if text in DELIBERATELY_INVALID:
            continue
        errors = validate(get_schema(), parse(text))
        assert errors == [], (filename, text, errors)
        checked += 1
    assert checked >= 10
