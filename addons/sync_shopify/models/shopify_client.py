"""A Shopify Admin GraphQL client that spends the shop's cost budget wisely.

Shopify meters GraphQL by query cost in a leaky bucket and reports the bucket
in every answer (``extensions.cost.throttleStatus``). The client remembers that
status per backend and waits, before sending, just long enough for the bucket to
hold the expected cost: pacing by the budget, not by fixed sleeps. An answer that
is throttled anyway, a 429 or a 5xx is retried with backoff; only when retries
run out does the caller see a ``SyncRateLimitError`` (retryable by the queue).
"""

import json
import threading
import time

from odoo.addons.sync_base.exceptions import (
    SyncAuthError,
    SyncNetworkError,
    SyncRateLimitError,
    SyncRemoteError,
    SyncValidationError,
)

MUTATION_COST = 10
# Used until Shopify has told us what a query costs.
DEFAULT_QUERY_COST = 50
# Longest we wait inside a job for the bucket; beyond that the queue retries later.
MAX_WAIT = 30.0


class BucketState:
    """What Shopify last said about one shop's bucket, and when."""

    def __init__(self):
        self.maximum = None
        self.available = None
        self.restore_rate = None
        self.stamp = 0.0
        self.costs = {}  # operation name -> last requested cost
        self.lock = threading.Lock()

    def update(self, status, now):
        with self.lock:
            self.maximum = float(status.get("maximumAvailable") or 0) or None
            self.available = float(status.get("currentlyAvailable") or 0)
            self.restore_rate = float(status.get("restoreRate") or 0) or None
            self.stamp = now

    def wait_for(self, cost, now):
        """Seconds to wait until ``cost`` points are in the bucket (0 if unknown or enough)."""
        with self.lock:
            if self.available is None or not self.restore_rate:
                return 0.0
            available = min(self.maximum or self.available, self.available + (now - self.stamp) * self.restore_rate)
            if cost <= available:
                # Spend it now, so that the next call paces itself without a new answer.
                self.available, self.stamp = available - cost, now
                return 0.0
            return (cost - available) / self.restore_rate


class ShopifyClient:
    _buckets = {}
    _buckets_lock = threading.Lock()

    def __init__(self, backend, *, sleep=time.sleep, clock=time.monotonic, max_retries=5, backoff=0.5):
        self.backend = backend
        self.sleep = sleep
        self.clock = clock
        self.max_retries = max_retries
        self.backoff = backoff
        key = (backend.env.cr.dbname, backend.id)
        with self._buckets_lock:
            self.bucket = self._buckets.setdefault(key, BucketState())

    @classmethod
    def forget(cls, backend):
        """Drop what we know of a backend's bucket (its URL or plan changed)."""
        cls._buckets.pop((backend.env.cr.dbname, backend.id), None)

    def execute(self, document, variables=None, *, operation, write=False, idempotent=False):
        """Send one document and return its ``data``; ``None`` when a dry run held a write back.

        ``idempotent`` writes (``@idempotent`` key) are retried after a lost answer or a
        5xx: the key makes Shopify replay the first result instead of applying twice.
        Other writes are not: the queue retries the job, which looks the object up
        again (link by SKU) before writing.
        """
        body = {"query": document, "variables": variables or {}}
        estimate = self.bucket.costs.get(operation) or (MUTATION_COST if write else DEFAULT_QUERY_COST)
        refused_token = None
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            self._pace(estimate)
            headers = self.backend._shopify_headers(renew_from=refused_token)
            try:
                response = self.backend._http(
                    "POST", self.backend._shopify_graphql_url(), json_body=body,
                    headers=headers, write=write, operation=operation,
                )
            except SyncAuthError:
                # A renewable token refused before its time (revoked, or renewed elsewhere): renew it
                # once and send again; a 401 is not processed, so this is safe for writes too.
                if refused_token or self.backend.sudo().shopify_auth_method == "static":
                    raise
                refused_token = headers["X-Shopify-Access-Token"]
                continue
            except (SyncRateLimitError, SyncRemoteError) as error:
                # A 429 was not processed; a 5xx may have been, so only what is safe to
                # send twice is retried here.
                unsafe = isinstance(error, SyncRemoteError) and write and not idempotent
                if last or unsafe:
                    raise
                self.sleep(max(error.retry_after or 0, self.backoff * 2**attempt))
                continue
            except SyncNetworkError:
                if last or (write and not idempotent):
                    raise
                self.sleep(self.backoff * 2**attempt)
                continue
            if response is None:
                return None
            self.backend._shopify_note_api_version(response.headers, operation)
            payload = self._decode(response)
            wait = self._read_cost(payload, operation)
            if self._is_throttled(payload):
                if last or wait > MAX_WAIT:
                    raise SyncRateLimitError(
                        self.backend.env._(
                            "Shopify kept throttling %(operation)s; the job will be retried in %(seconds)s s.",
                            operation=operation, seconds=round(wait),
                        ),
                        retry_after=wait,
                    )
                self.sleep(max(wait, self.backoff))
                continue
            self._raise_errors(payload, operation)
            return payload.get("data") or {}
        raise AssertionError("unreachable")  # the last attempt returns or raises

    # ------------------------------------------------------------------
    def _pace(self, cost):
        wait = self.bucket.wait_for(cost, self.clock())
        if wait > MAX_WAIT:
            raise SyncRateLimitError(
                self.backend.env._(
                    "The Shopify cost budget is exhausted; the job will be retried in %(seconds)s s.",
                    seconds=round(wait),
                ),
                retry_after=wait,
            )
        if wait > 0:
            self.sleep(wait)
            self.bucket.wait_for(cost, self.clock())

    def _decode(self, response):
        try:
            return response.json()
        except ValueError as error:
            raise SyncRemoteError(
                self.backend.env._(
                    "Shopify answered with something that is not JSON (HTTP %(status)s); the job will be retried.",
                    status=response.status_code,
                )
            ) from error

    def _read_cost(self, payload, operation):
        """Record the bucket status; return seconds until the requested cost fits."""
        cost = (payload.get("extensions") or {}).get("cost") or {}
        status = cost.get("throttleStatus")
        requested = cost.get("requestedQueryCost")
        if requested:
            self.bucket.costs[operation] = requested
        if not status:
            return 0.0
        self.bucket.update(status, self.clock())
        rate = float(status.get("restoreRate") or 0) or 1.0
        missing = float(requested or DEFAULT_QUERY_COST) - float(status.get("currentlyAvailable") or 0)
        return max(missing, 0.0) / rate

    @staticmethod
    def _is_throttled(payload):
        return any(
            (error.get("extensions") or {}).get("code") == "THROTTLED"
            for error in payload.get("errors") or []
            if isinstance(error, dict)
        )

    def _raise_errors(self, payload, operation):
        errors = payload.get("errors")
        if not errors:
            return
        if isinstance(errors, list):
            text = "; ".join(error.get("message", json.dumps(error)) for error in errors if isinstance(error, dict))
            denied = [error for error in errors
                      if isinstance(error, dict) and (error.get("extensions") or {}).get("code") == "ACCESS_DENIED"]
            if denied:
                # A scope withdrawn since the last Test connection: a matter of access, not of the data sent.
                raise SyncAuthError(self.backend.env._(
                    "Shopify refused %(operation)s for lack of access: %(errors)s %(fix)s",
                    operation=operation, errors=text, fix=self.backend._scopes_fix_hint()))
        else:
            text = json.dumps(errors)
        raise SyncValidationError(
            self.backend.env._("Shopify refused %(operation)s: %(errors)s", operation=operation, errors=text)
        )
