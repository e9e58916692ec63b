"""ShopifySandbox: the Admin GraphQL API 2026-04 over real HTTP."""

import datetime
import json
import random
import re

from werkzeug.wrappers import Response

from . import shopify_api, shopify_mutations, shopify_order_fields  # noqa: F401  (register their resolvers)
from .core import SandboxServer, hmac_b64, json_response, new_uuid
from .shopify_auth import AUTHORIZE_PATH, DEFAULT_SCOPES, TOKEN_PATH, ShopifyAuth
from .shopify_cost import LeakyBucket
from .shopify_schema import API_VERSION, get_schema
from .shopify_store import ShopifyStore, gid_number
from .shopify_webhooks import build_payload, render, topic_enum

SHOP_ID = 954889  # the shop's numeric id in compliance webhooks (the example of Shopify's page)

GRAPHQL_PATH = "/admin/api/%s/graphql.json" % API_VERSION
# Any version's address: an older, no longer supported one "falls forward" to the oldest version Shopify
# still supports (shopify.dev/docs/api/usage/versioning), here the only one the sandbox knows.
VERSIONED_PATH = re.compile(r"^/admin/api/(\d{4}-\d{2})/graphql\.json$")
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"


class ShopifySandbox(SandboxServer):
    name = "shopify-sandbox"

    def __init__(
        self,
        products=200,
        *,
        customers=40,
        seed=0,
        bucket_max=2000,
        restore_rate=100,
        clock=None,
        access_token="shpat_sandbox_0000000000000000",
        app_secret="sandbox-shopify-app-secret",
        client_id="sandbox-client-id",
        scopes=DEFAULT_SCOPES,
        shop_domain="sandbox-shop.myshopify.com",
        webhook_retry_delays=(0.2, 0.5, 1.0, 2.0),
    ):
        super().__init__(seed=seed, clock=clock)
        self.products_count, self.customers_count = products, customers
        self.access_token, self.app_secret, self.shop_domain = access_token, app_secret, shop_domain
        # A Dev Dashboard app's client secret also signs its webhooks (shopify.dev, "About client credentials").
        self.auth = ShopifyAuth(self.clock, access_token, client_id, app_secret, scopes)
        self.bucket_max, self.restore_rate = bucket_max, restore_rate
        self.webhooks.retry_delays = tuple(webhook_retry_delays)
        self.store = ShopifyStore(self.clock, self.emit)
        self.reset()

    def start(self, host="127.0.0.1", port=0):
        # Every call is validated against Shopify's schema: without it the emulator would only
        # answer errors, so it refuses to start and says where to get it (SchemaUnavailable).
        get_schema()
        return super().start(host, port)

    # -- public helpers ------------------------------------------------------------
    @property
    def graphql_url(self):
        return self.url + GRAPHQL_PATH

    def reset(self):
        """Back to the seeded store: same seed, same data, empty logs, full bucket."""
        with self.lock:
            self.rng = random.Random(self.seed)
            self.store.clear()
            self.store.seed(self.rng, products=self.products_count, customers=self.customers_count)
            self.bucket = LeakyBucket(self.bucket_max, self.restore_rate, clock=self.clock)
            self.requests.clear()
            self.webhooks.clear()
            self.faults.clear()
            self.auth.clear()

    def generate_orders(self, n, seed=None, cancel_rate=0.1, refund_rate=0.1, mix=False):
        rng = random.Random(seed) if seed is not None else self.rng
        with self.lock:
            return self.store.generate_orders(rng, n, cancel_rate=cancel_rate, refund_rate=refund_rate, mix=mix)

    def cancel_order(self, order_gid, reason="CUSTOMER", restock=True):
        with self.lock:
            return self.store.cancel_order(self.store.orders[order_gid], reason, restock)

    def refund_order(self, order_gid, lines=None, shipping=False, note=None):
        """lines: {line_item_gid: quantity}; None refunds every refundable unit."""
        with self.lock:
            return self.store.refund(self.store.orders[order_gid], lines, shipping=shipping, note=note)

    def set_inventory(self, inventory_item_gid, location_gid, available):
        """A merchant edit in the Shopify admin: fires inventory_levels/update."""
        with self.lock:
            self.store.ensure_level(inventory_item_gid, location_gid)
            return self.store.set_quantities(
                "available",
                "correction",
                None,
                [{"inventoryItemId": inventory_item_gid, "locationId": location_gid, "quantity": available}],
            )

    def update_product(self, product_gid, **fields):
        """A merchant edit of product fields (title, status, tags...): fires products/update."""
        with self.lock:
            return self.store.update_product(self.store.products[product_gid], fields)

    def set_order_risk(self, order_gid, level, recommendation):
        """Shopify's fraud analysis of an order (Order.risk): ``level`` a RiskAssessmentResult (HIGH,
        MEDIUM, LOW, NONE, PENDING), ``recommendation`` an OrderRiskRecommendationResult (ACCEPT,
        INVESTIGATE, CANCEL, NONE)."""
        with self.lock:
            self.store.orders[order_gid]["_risk"] = (level, recommendation)

    def uninstall_app(self):
        """Fires app/uninstalled; afterwards the access token is rejected."""
        with self.lock:
            self.emit(
                "app/uninstalled",
                {"id": 1, "name": "Sandbox Shop", "domain": self.shop_domain, "myshopify_domain": self.shop_domain},
            )
            self.store.installed = False

    def subscribe(self, topic, address, fmt="JSON"):
        """Shortcut for tests: same effect as webhookSubscriptionCreate."""
        with self.lock:
            subscription_id = self.store.new_gid("WebhookSubscription")
            self.store.webhook_subscriptions[subscription_id] = {
                "__typename": "WebhookSubscription",
                "id": subscription_id,
                "topic": topic_enum(topic),
                "uri": address,
                "callbackUrl": address,
                "format": fmt,
                "includeFields": [],
                "filter": None,
                "name": None,
                "createdAt": self.store.now(),
                "updatedAt": self.store.now(),
                "apiVersion": {"handle": API_VERSION, "displayName": API_VERSION, "supported": True},
                "endpoint": {"__typename": "WebhookHttpEndpoint", "callbackUrl": address},
            }
            return subscription_id

    def execute(self, query, variables=None, operation_name=None):
        """Run a document in-process (no HTTP, no auth): for seeding test state."""
        return shopify_api.run(self, query, variables, operation_name)

    def upload_prefix(self):
        return (self.url or "http://sandbox.invalid") + "/_sandbox/uploads/"

    def cost_extension(self, requested, actual):
        return {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": self.bucket.status()}

    def throttled_payload(self, requested):
        return {
            "errors": [
                {
                    "message": "Throttled",
                    "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
                }
            ],
            "extensions": {"cost": self.cost_extension(requested, None)},
        }

    # -- webhooks --------------------------------------------------------------------
    def send_compliance_webhook(self, address, topic, customer=None, orders=(), data_request_id=None):
        """One mandatory compliance webhook, as Shopify sends it to the compliance address of the app's
        configuration (not a webhookSubscription): topics customers/data_request, customers/redact and
        shop/redact, bodies as shopify.dev documents them (docs/apps/build/compliance/privacy-law-compliance):
        numeric ids, ``customer`` {id, email, phone}, ``orders_requested`` or ``orders_to_redact``,
        ``data_request`` {id}. Signed and delivered like every webhook."""
        payload = {"shop_id": SHOP_ID, "shop_domain": self.shop_domain}
        if customer is not None:
            payload["customer"] = {"id": gid_number(customer["id"]), "email": customer.get("email"),
                                   "phone": customer.get("phone")}
            order_ids = [gid_number(order["id"]) for order in orders]
            if topic == "customers/data_request":
                payload.update(orders_requested=order_ids, data_request={"id": data_request_id or 9999})
            else:
                payload["orders_to_redact"] = order_ids
        body = json.dumps(payload).encode()
        with self.lock:
            now = datetime.datetime.fromtimestamp(self.clock(), datetime.timezone.utc)
            headers = {
                "Content-Type": "application/json", "X-Shopify-Topic": topic,
                "X-Shopify-Hmac-Sha256": hmac_b64(self.app_secret, body), "X-Shopify-Shop-Domain": self.shop_domain,
                "X-Shopify-Webhook-Id": new_uuid(self.rng), "X-Shopify-Event-Id": new_uuid(self.rng),
                "X-Shopify-Triggered-At": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "X-Shopify-API-Version": API_VERSION,
            }
        self.webhooks.submit(address, body, headers, meta={"topic": topic, "subscription": "compliance"})
        return payload

    def emit(self, topic, record):
        """Queue `topic` for every matching subscription (called under the lock)."""
        for subscription in list(self.store.webhook_subscriptions.values()):
            if subscription["topic"] != topic_enum(topic):
                continue
            payload = build_payload(self.store, topic, record)
            body, content_type = render(topic, payload, subscription["format"])
            secret = self.app_secret if not self.faults.bad_hmac else self.app_secret + "-wrong"
            now = datetime.datetime.fromtimestamp(self.clock(), datetime.timezone.utc)
            headers = {
                "Content-Type": content_type,
                "X-Shopify-Topic": topic,
                "X-Shopify-Hmac-Sha256": hmac_b64(secret, body),
                "X-Shopify-Shop-Domain": self.shop_domain,
                "X-Shopify-Webhook-Id": new_uuid(self.rng),
                "X-Shopify-Event-Id": new_uuid(self.rng),
                "X-Shopify-Triggered-At": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "X-Shopify-API-Version": API_VERSION,
            }
            self.webhooks.submit(
                subscription["uri"],
                body,
                headers,
                meta={
                    "topic": topic,
                    "subscription": subscription["id"],
                    "id": record.get("id") if isinstance(record, dict) else None,
                },
            )

    # -- HTTP ----------------------------------------------------------------------------
    def handle(self, request, record):  # noqa: PLR0911  one answer per kind of refusal, as Shopify gives them
        if request.path == TOKEN_PATH and request.method == "POST":
            return self._token(request)
        if request.path == AUTHORIZE_PATH and request.method == "GET":
            return self._authorize(request)
        version = VERSIONED_PATH.match(request.path)
        # A version newer than the sandbox's is unknown to it: Not Found (what Shopify answers for a
        # version it does not have is not documented).
        if not version or version.group(1) > API_VERSION:
            return json_response({"errors": "Not Found"}, status=404)
        if request.method != "POST":
            return json_response({"errors": "Method Not Allowed"}, status=405)
        if not self.auth.valid(request.headers.get("X-Shopify-Access-Token")) or not self.store.installed:
            return json_response({"errors": INVALID_TOKEN}, status=401)
        if (request.mimetype or "") == "application/graphql":
            body = {"query": request.get_data(as_text=True)}
        else:
            body = request.get_json(silent=True, force=True)
        if not isinstance(body, dict):
            return json_response({"errors": {"query": "Required parameter missing or invalid"}}, status=400)
        variables = body.get("variables") or {}
        if not isinstance(variables, dict):
            return json_response({"errors": {"variables": "must be an object"}}, status=400)
        payload = shopify_api.run(self, body.get("query"), variables, body.get("operationName"), record)
        record["errors"] = [
            e.get("extensions", {}).get("code") for e in payload.get("errors") or [] if isinstance(e, dict)
        ]
        # The version that answered (shopify.dev/docs/api/usage/versioning), and the deprecated fields the
        # document used (X-Shopify-API-Deprecated-Reason, listed by name since 2025-04).
        headers = {"X-Shopify-API-Version": API_VERSION}
        if record.get("deprecated"):
            headers["X-Shopify-API-Deprecated-Reason"] = ", ".join(record["deprecated"])
        return json_response(payload, headers=headers)

    def _token(self, request):
        """The OAuth token endpoint: the client credentials grant (see shopify_auth)."""
        if (request.mimetype or "") == "application/json":
            fields = request.get_json(silent=True) or {}
        else:
            fields = request.form.to_dict()
        if not self.store.installed:
            return json_response({"error": "invalid_client", "error_description": "The app is not installed."},
                                 status=400)
        with self.lock:
            status, body = self.auth.grant(fields if isinstance(fields, dict) else {})
        return json_response(body, status=status)

    def _authorize(self, request):
        """The merchant's consent screen, approved at once: a redirect to the app's callback."""
        with self.lock:
            location = self.auth.authorize(request.args.to_dict(), self.shop_domain)
        if location is None:
            return json_response({"errors": "Invalid client_id or redirect_uri"}, status=400)
        return Response("", status=302, headers={"Location": location})

    def rate_limited_response(self):
        self.bucket.drain()
        return json_response(self.throttled_payload(0))

    def control(self, request, action):  # noqa: PLR0911  one branch per control action
        if action.startswith("uploads/") or action == "uploads":
            return self._upload(request, action[len("uploads/") :])
        if action.startswith("bulk/"):
            text = self.store.bulk_results.get("gid://shopify/BulkOperation/%s" % action[5:].split(".")[0])
            if text is None:
                return json_response({"error": "not found"}, status=404)
            return Response(text, content_type="application/jsonl")
        if action == "orders" and request.method == "POST":
            body = request.get_json(silent=True) or {}
            orders = self.generate_orders(int(body.get("count", 1)), seed=body.get("seed"))
            return json_response({"orders": [o["id"] for o in orders]})
        if action == "uninstall" and request.method == "POST":
            self.uninstall_app()
            return json_response({"ok": True})
        if action == "state":
            with self.lock:
                return json_response(
                    {
                        "products": len(self.store.products),
                        "variants": len(self.store.variants),
                        "orders": len(self.store.orders),
                        "customers": len(self.store.customers),
                        "bucket": self.bucket.status(),
                    }
                )
        return None

    def _upload(self, request, key):
        """The staged upload target (Shopify hands out a cloud-storage URL)."""
        if request.method == "POST":
            key = request.form.get("key") or key
            upload = request.files.get("file")
            if not key or upload is None:
                return Response(
                    "<Error><Code>InvalidArgument</Code></Error>", status=400, content_type="application/xml"
                )
            data = upload.read()
        elif request.method == "PUT":
            data = request.get_data()
        else:
            data = self.store.uploads.get(key)
            return (
                Response(data, content_type="application/octet-stream")
                if data is not None
                else json_response({"error": "not found"}, status=404)
            )
        with self.lock:
            self.store.uploads[key] = data
        return Response("", status=201 if request.method == "POST" else 200)


def legacy_id(global_id):
    return gid_number(global_id)


__all__ = ["GRAPHQL_PATH", "ShopifySandbox", "json"]
