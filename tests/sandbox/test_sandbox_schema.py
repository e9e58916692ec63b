"""Where the Shopify emulator finds Shopify's schema, and what it does when it cannot.

The project does not carry the schema: a newcomer who cloned only the project gets it downloaded
once, at a pinned revision, checked against a pinned SHA-256. Without it the emulator would answer
every call with an error, so it refuses to start and says what to do.
"""

import hashlib

import pytest
import requests
from werkzeug.wrappers import Response

from sandbox import ShopifySandbox, shopify_schema
from sandbox.core import HttpServer


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """No schema in the environment, beside the project or in the cache; the cache is a temporary one."""
    real = shopify_schema.schema_path()
    monkeypatch.delenv("SYNC_SHOPIFY_SCHEMA", raising=False)
    monkeypatch.setattr(shopify_schema, "SHARED_SCHEMA_PATH", tmp_path / "no-shared" / shopify_schema.SCHEMA_FILE)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(shopify_schema, "_cache", {})
    return real.read_bytes()


@pytest.fixture
def source(monkeypatch):
    """A local stand-in for the schema's public address, serving what the test puts in ``body``."""
    served = {"body": b"", "hits": 0}

    def app(environ, start_response):
        served["hits"] += 1
        return Response(served["body"], content_type="application/octet-stream")(environ, start_response)

    server = HttpServer(app, name="schema-source")
    monkeypatch.setattr(shopify_schema, "SCHEMA_URL", server.url + "/admin_2026-04.json.gz")
    yield served
    server.stop()


def test_the_schema_is_downloaded_once_checked_and_kept_in_the_cache(nowhere, source, tmp_path):
    source["body"] = nowhere
    assert hashlib.sha256(nowhere).hexdigest() == shopify_schema.SCHEMA_SHA256, "the pinned hash is the file's"
    shop = ShopifySandbox(products=1, customers=0, seed=1).start()
    try:
        answer = requests.post(shop.graphql_url, json={"query": "{ shop { name } }"},
                               headers={"X-Shopify-Access-Token": shop.access_token}, timeout=10)
        assert answer.status_code == 200 and answer.json()["data"]["shop"]["name"]
    finally:
        shop.stop()
    cached = tmp_path / "cache" / "sync-suite" / shopify_schema.SCHEMA_FILE
    assert cached.read_bytes() == nowhere
    shopify_schema._cache.clear()
    assert shopify_schema.schema_path() == cached
    assert source["hits"] == 1, "found in the cache the second time"


def test_a_download_that_is_not_the_pinned_file_is_refused(nowhere, source, tmp_path):
    source["body"] = nowhere[:-10] + b"0123456789"
    with pytest.raises(shopify_schema.SchemaUnavailable, match="not the pinned"):
        shopify_schema.get_schema()
    assert not (tmp_path / "cache" / "sync-suite" / shopify_schema.SCHEMA_FILE).exists()


def test_without_a_schema_the_emulator_refuses_to_start_and_says_what_to_do(nowhere, monkeypatch):
    monkeypatch.setattr(shopify_schema, "SCHEMA_URL", "http://127.0.0.1:9/admin_2026-04.json.gz")
    shop = ShopifySandbox(products=1, customers=0, seed=1)
    with pytest.raises(shopify_schema.SchemaUnavailable) as refused:
        shop.start()
    message = str(refused.value)
    assert "SYNC_SHOPIFY_SCHEMA" in message and shopify_schema.SCHEMA_SHA256 in message
    assert shop.url is None, "no server was started"


def test_the_path_in_the_environment_comes_first(nowhere, monkeypatch, tmp_path):
    chosen = tmp_path / "mine.json.gz"
    chosen.write_bytes(nowhere)
    monkeypatch.setenv("SYNC_SHOPIFY_SCHEMA", str(chosen))
    assert shopify_schema.schema_path() == chosen
