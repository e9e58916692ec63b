"""The real Shopify Admin 2026-04 schema, built once per process.

The introspection file is reference data outside the repository; the path
is relative to the project root and can be overridden with
SYNC_SHOPIFY_SCHEMA.
"""

import gzip
import json
import os
import threading

from graphql import build_client_schema, parse, validate

API_VERSION = "2026-04"
_PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SCHEMA_PATH = os.path.join(_PROJECT_ROOT, "..", "shared", "contracts", "shopify", "admin_2026-04.json.gz")

_lock = threading.Lock()
_cache = {}


def schema_path():
    return os.environ.get("SYNC_SHOPIFY_SCHEMA") or DEFAULT_SCHEMA_PATH


def get_schema():
    """Build the client schema on first use; later calls reuse it."""
    with _lock:
        if "schema" not in _cache:
            path = schema_path()
            if not os.path.exists(path):
                raise FileNotFoundError(
                    "Shopify schema not found at %s: put the shared contracts beside the project "
                    "or set SYNC_SHOPIFY_SCHEMA to admin_2026-04.json.gz" % path
                )
            with gzip.open(path) as handle:
                _cache["schema"] = build_client_schema(json.load(handle)["data"])
        return _cache["schema"]


def validate_document(document):
    """Errors (graphql-core) of a document against the schema; [] if valid."""
    return validate(get_schema(), parse(document))
