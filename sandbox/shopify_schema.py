"""The real Shopify Admin 2026-04 schema, found (or fetched once) and built once per process.

The project does not carry the schema (Shopify's file, MIT). It is looked up, in this order:

1. the path in ``SYNC_SHOPIFY_SCHEMA``;
2. ``../shared/contracts/shopify/admin_2026-04.json.gz`` beside the project;
3. the user cache (``$XDG_CACHE_HOME/sync-suite``, default ``~/.cache/sync-suite``);
4. downloaded once from its public source at a pinned revision into the user cache, and kept only
   when its SHA-256 is the pinned one.

When it can be neither found nor fetched, ``SchemaUnavailable`` says exactly what to do, and the
Shopify emulator refuses to start (it never answers a call it cannot validate).
"""

import gzip
import hashlib
import json
import os
import tempfile
import threading
import urllib.request
from pathlib import Path

from graphql import build_client_schema, parse, validate

API_VERSION = "2026-04"
SCHEMA_FILE = "admin_%s.json.gz" % API_VERSION
# Shopify's published introspection result, in Shopify/Shopify-AI-Toolkit (MIT), at the commit of
# 2026-04-24 the project was built against; the hash is that file's.
SCHEMA_REVISION = "fedd51537360e09f29cde90618e17613285feb4b"
SCHEMA_URL = (
    "https://raw.githubusercontent.com/Shopify/Shopify-AI-Toolkit/%s/skills/shopify-admin/assets/%s"
    % (SCHEMA_REVISION, SCHEMA_FILE)
)
SCHEMA_SHA256 = "860cd22ab667513c70d136371c2cdfe996c08af4c89df44bda9a0fea7fa2ec47"
_PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_SCHEMA_PATH = _PROJECT_ROOT.parent / "shared" / "contracts" / "shopify" / SCHEMA_FILE

_lock = threading.Lock()
_cache = {}

UNAVAILABLE = """\
The Shopify Admin API schema ({file}) was not found and could not be downloaded ({reason}).
Looked at: {looked}.
The Shopify emulator validates every GraphQL document against it and cannot start without it. Either:
  - download {url}
    (SHA-256 {sha}) and set SYNC_SHOPIFY_SCHEMA to its path, or put it in {cache};
  - or give this machine access to that address once: the file is then kept in {cache}."""


class SchemaUnavailable(RuntimeError):
    """The schema is nowhere to be found and cannot be fetched: the message says what to do."""


def cache_dir():
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sync-suite"


def candidate_paths():
    """Where the schema may already be, in the order looked at."""
    paths = [Path(os.environ["SYNC_SHOPIFY_SCHEMA"])] if os.environ.get("SYNC_SHOPIFY_SCHEMA") else []
    return [*paths, SHARED_SCHEMA_PATH, cache_dir() / SCHEMA_FILE]


def schema_path():
    """The path of the schema file: found, or downloaded now into the user cache."""
    candidates = candidate_paths()
    for path in candidates:
        if path.is_file():
            return path
    try:
        return download(cache_dir() / SCHEMA_FILE)
    except (OSError, ValueError) as error:
        raise SchemaUnavailable(UNAVAILABLE.format(
            file=SCHEMA_FILE, reason=error, looked=", ".join(str(path) for path in candidates),
            url=SCHEMA_URL, sha=SCHEMA_SHA256, cache=cache_dir(),
        )) from error


def download(target, timeout=60):
    """Fetch the schema into ``target``; a file whose hash is not the pinned one is refused."""
    with urllib.request.urlopen(SCHEMA_URL, timeout=timeout) as answer:
        content = answer.read()
    digest = hashlib.sha256(content).hexdigest()
    if digest != SCHEMA_SHA256:
        raise ValueError(
            "the file downloaded from %s has SHA-256 %s, not the pinned %s" % (SCHEMA_URL, digest, SCHEMA_SHA256)
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written aside, then renamed: two processes starting at once never read half a file.
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as partial:
        partial.write(content)
    os.replace(partial.name, target)
    return target


def get_schema():
    """Build the client schema on first use; later calls reuse it."""
    with _lock:
        if "schema" not in _cache:
            with gzip.open(schema_path()) as handle:
                _cache["schema"] = build_client_schema(json.load(handle)["data"])
        return _cache["schema"]


def validate_document(document):
    """Errors (graphql-core) of a document against the schema; [] if valid."""
    return validate(get_schema(), parse(document))
