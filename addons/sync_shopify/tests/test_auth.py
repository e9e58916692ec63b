"""A store set up the way merchants set one up since 2026: a Dev Dashboard app, its client ID and secret,
tokens by the client credentials grant (shopify.dev/docs/apps/build/authentication-authorization/
access-tokens/client-credentials-grant), and the scopes the app was granted
(shopify.dev/docs/api/usage/access-scopes)."""

import json
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from sandbox.core import hmac_b64

from .order_common import ShopifyOrderCase


@tagged("post_install", "-at_install")
class TestClientCredentials(ShopifyOrderCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Renewals commit in a cursor of their own: in test mode that cursor is the test's transaction.
        cls.registry.enter_test_mode(cls.cr)
        cls.addClassCleanup(cls.registry.leave_test_mode)
        cls.backend.write({
            "shopify_auth_method": "client_credentials",
            "shopify_client_id": cls.shop.auth.client_id,
            "shopify_client_secret": cls.shop.auth.client_secret,
            "api_token": False,
            "webhook_secret": False,
        })

    def setUp(self):
        super().setUp()
        self.backend._tokens.clear()

    def test_the_client_secret_is_for_sync_managers_only(self):
        user = new_test_user(self.env, login="cc_sync_user", groups="base.group_user,sync_base.group_sync_user")
        backend = self.backend.with_user(user)
        self.assertEqual(backend.read(["name"])[0]["name"], self.backend.name)
        for field in ("shopify_client_id", "shopify_client_secret"):
            with self.assertRaises(AccessError):
                backend.read([field])
            self.assertNotIn(field, backend.fields_get())

    def token_row(self):
        return self.env["sync.backend.token"].sudo().search([("backend_id", "=", self.backend.id)])

    def test_connects_with_client_id_and_secret_and_keeps_the_token(self):
        result = self.backend.action_test_connection()
        self.assertEqual(self.backend.state, "connected", result["params"]["message"])
        self.assertEqual(len(self.shop.auth.grants), 1)
        token_request = next(r for r in self.shop.requests if r["path"] == "/admin/oauth/access_token")
        self.assertIn("grant_type=client_credentials", token_request["body"])
        self.backend.action_test_connection()
        self.assertEqual(len(self.shop.auth.grants), 1, "a valid token is reused, not asked for again")
        row = self.token_row()
        self.assertAlmostEqual(row.expires_at, fields.Datetime.now() + timedelta(seconds=86399),
                               delta=timedelta(minutes=1))
        self.assertIn("read_orders", self.backend.granted_scopes)

    def test_secrets_stay_out_of_the_exchange_log(self):
        self.backend.action_test_connection()
        exchanges = self.env["sync.exchange"].sudo().search([("backend_id", "=", self.backend.id)])
        token = self.token_row().access_token
        for exchange in exchanges:
            logged = json.dumps(exchange.read(["url", "request_headers", "request_body", "response_body"]))
            self.assertNotIn(self.shop.auth.client_secret, logged)
            self.assertNotIn(token, logged)

    def test_token_about_to_expire_is_renewed_before_the_call(self):
        self.backend.action_test_connection()
        self.token_row().expires_at = fields.Datetime.now() + timedelta(minutes=5)
        self.backend._tokens.clear()
        order = self.new_orders()[0]
        self.import_orders([order])
        self.assertEqual(self.jobs("order_import").state, "done")
        self.assertEqual(len(self.shop.auth.grants), 2)

    def test_token_refused_mid_run_is_renewed_once_and_no_job_fails(self):
        self.backend.action_test_connection()
        orders = self.new_orders(3)
        self.shop.auth.expire_all()  # the 24th hour comes while the worker still holds the token
        self.import_orders(orders)
        jobs = self.jobs("order_import")
        self.assertEqual(set(jobs.mapped("state")), {"done"}, jobs.mapped("failure_reason"))
        self.assertEqual(len(self.shop.auth.grants), 2, "one renewal for the whole batch")
        self.assertTrue(all(self.sale_of(order) for order in orders))

    def test_a_worker_that_lost_the_race_takes_the_token_the_other_stored(self):
        self.backend.action_test_connection()
        fresh = self.token_row().access_token
        self.backend._tokens.clear()
        # This worker saw Shopify refuse the token it held before the other worker renewed it.
        token = self.backend._renew_token(stale="shpat_the_old_one")
        self.assertEqual(token, fresh)
        self.assertEqual(len(self.shop.auth.grants), 1, "no second request for the same renewal")

    def test_refused_secret_is_one_clear_failure(self):
        self.backend.shopify_client_secret = "rotated-in-the-dev-dashboard"
        result = self.backend.action_test_connection()
        self.assertEqual(self.backend.state, "disconnected")
        self.assertIn("Dev Dashboard", result["params"]["message"])
        self.backend.state = "connected"
        order = self.new_orders()[0]
        self.import_orders([order])
        job = self.jobs("order_import")
        self.assertEqual((job.state, job.failure_type), ("failed", "auth"), job.failure_reason)
        self.assertIn("client ID and secret", job.failure_reason)
        self.assertNotIn("rotated-in-the-dev-dashboard", job.failure_reason)

    def test_webhooks_are_checked_with_the_client_secret(self):
        body = b'{"id": 1}'
        self.assertTrue(self.backend._shopify_valid_hmac(body, hmac_b64(self.shop.auth.client_secret, body)))
        self.assertFalse(self.backend._shopify_valid_hmac(body, hmac_b64("another-secret", body)))

    def test_static_token_still_works(self):
        self.backend.write({"shopify_auth_method": "static", "api_token": self.shop.access_token})
        self.backend.action_test_connection()
        self.assertEqual(self.backend.state, "connected")
        self.assertEqual(self.shop.auth.grants, [])


@tagged("post_install", "-at_install")
class TestScopes(ShopifyOrderCase):
    def test_missing_scopes_are_named_per_feature(self):
        self.shop.auth.scopes = ["write_products", "write_inventory", "read_locations", "read_orders",
                                 "read_customers"]
        result = self.backend.action_test_connection()
        self.assertEqual(result["params"]["type"], "warning")
        self.assertIn("Fulfilment needs write_merchant_managed_fulfillment_orders", result["params"]["message"])

    def test_fulfilment_without_its_scope_fails_instead_of_reporting_success(self):
        order = self.new_orders()[0]
        self.import_orders([order])
        sale = self.sale_of(order)
        # The scope is withdrawn after the last Test connection: Shopify hides the fulfilment orders.
        self.shop.auth.scopes = ["write_products", "write_inventory", "read_locations", "read_orders"]
        picking = sale.picking_ids
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        picking._action_done()
        self.run_queue()
        job = self.jobs("fulfilment_export")
        self.assertEqual((job.state, job.failure_type), ("failed", "auth"), job.failure_reason)
        self.assertIn("write_merchant_managed_fulfillment_orders", job.failure_reason)
        self.assertFalse(self.shop.store.orders[order["id"]]["fulfillments"])

    def test_work_does_not_start_when_test_connection_found_its_scope_missing(self):
        granted = ["write_products", "write_inventory", "read_locations", "read_orders", "read_customers",
                   "write_merchant_managed_fulfillment_orders"]
        order = self.new_orders()[0]
        template = self.env["product.template"].create({"name": "Scoped shirt", "default_code": "SC-1",
                                                        "shopify_publish": True})
        jobs = {
            "write_products": lambda: self.backend._enqueue("product_export", record=template, category="catalogue"),
            "write_inventory": lambda: self.backend._enqueue("stock_push", category="stock"),
            "read_orders": lambda: self.backend._shopify_enqueue_order(order["id"]),
        }
        # Reads of the catalogue and of orders are refused the same way (a write_ scope includes its read_).
        pulls = {
            "write_products": [lambda: self.backend._enqueue("product_pull", direction="import", dedup_key=False),
                               lambda: self.backend._enqueue("full_sync", dedup_key=False)],
            "read_orders": [lambda: self.backend._enqueue("order_reconcile", direction="import", dedup_key=False)],
        }
        for scope, enqueues in pulls.items():
            for enqueue in enqueues:
                jobs[scope + " " + str(len(jobs))] = enqueue
        for key, enqueue in jobs.items():
            scope = key.split()[0]
            with self.subTest(job=key), self.env.cr.savepoint() as savepoint:
                self.shop.auth.scopes = [granted_scope for granted_scope in granted if granted_scope != scope]
                self.backend.action_test_connection()
                job = enqueue()
                self.run_queue()
                self.assertEqual((job.state, job.failure_type), ("failed", "auth"), job.failure_reason)
                self.assertIn(scope, job.failure_reason)
                self.assertIn("Test connection", job.failure_reason)
                savepoint.rollback()
                self.env.invalidate_all()

    def test_a_backfill_older_than_sixty_days_needs_read_all_orders(self):
        """shopify.dev/docs/api/usage/access-scopes: without read_all_orders an app sees the last 60 days of
        orders only; a longer backfill would silently miss the older ones."""
        self.shop.auth.scopes = ["write_products", "write_inventory", "read_locations", "read_orders",
                                 "read_customers", "write_merchant_managed_fulfillment_orders"]
        self.backend.action_test_connection()
        since = fields.Datetime.to_string(fields.Datetime.now() - timedelta(days=90))
        job = self.backend._enqueue("order_reconcile", direction="import", payload={"since": since}, dedup_key=False)
        self.run_queue()
        self.assertEqual((job.state, job.failure_type), ("failed", "auth"), job.failure_reason)
        self.assertIn("read_all_orders", job.failure_reason)
        recent = fields.Datetime.to_string(fields.Datetime.now() - timedelta(days=30))
        job = self.backend._enqueue("order_reconcile", direction="import", payload={"since": recent}, dedup_key=False)
        self.run_queue()
        self.assertEqual(job.state, "done", job.failure_reason)

    def test_a_scope_withdrawn_since_test_connection_is_an_access_failure(self):
        self.backend.action_test_connection()
        self.shop.auth.scopes = [scope for scope in self.shop.auth.scopes if scope != "write_products"]
        job = self.backend._enqueue("product_pull", direction="import", dedup_key=False)
        self.run_queue()
        self.assertEqual((job.state, job.failure_type), ("failed", "auth"), job.failure_reason)
        self.assertIn("access scopes", job.failure_reason, "says where to grant it")


@tagged("post_install", "-at_install")
class TestApiVersion(ShopifyOrderCase):
    """shopify.dev/docs/api/usage/versioning: each version supported at least 12 months, requests to an
    unsupported one fall forward (X-Shopify-API-Version says which answered); deprecated fields named in
    X-Shopify-API-Deprecated-Reason (shopify.dev/changelog, since 2025-04)."""

    def setUp(self):
        super().setUp()
        self.backend._shopify_notices.clear()

    def notices(self, text):
        return self.backend.message_ids.filtered(lambda message: text in (message.body or ""))

    def test_deprecated_field_use_is_said_on_the_backend_once(self):
        query = "query Legacy { customers(first: 1) { nodes { email } } }"
        client = self.backend._shopify_client()
        client.execute(query, operation="legacy_read")
        client.execute(query, operation="legacy_read")
        notice = self.notices("Customer.email")
        self.assertEqual(len(notice), 1)
        self.assertIn("legacy_read", notice.body)

    def test_the_connectors_own_documents_use_no_deprecated_field_to_connect(self):
        self.backend.action_test_connection()
        self.assertFalse(self.notices("deprecated"))

    def test_an_unsupported_version_answered_by_another_is_said(self):
        self.backend.shopify_api_version = "2025-01"
        self.backend.action_test_connection()
        self.assertEqual(self.backend.state, "connected")
        self.assertTrue(self.notices("instead of 2025-01"))

    def test_the_end_of_support_is_shown_and_warned_ninety_days_ahead(self):
        self.assertEqual(str(self.backend.shopify_api_supported_until), "2027-04-01")
        today = fields.Date.today()
        self.backend.shopify_api_version = "%04d-%02d" % (today.year - 1, today.month)
        self.backend._shopify_check_api_version()
        self.backend._shopify_check_api_version()
        activities = self.backend.activity_ids.filtered(lambda activity: "support ends" in activity.summary)
        self.assertEqual(len(activities), 1)
        self.assertEqual(activities.user_id, self.backend.user_id or self.env.user)
