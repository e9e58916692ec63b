import base64
import hashlib
import hmac
import json
from datetime import timedelta, timezone

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .order_common import ShopifyOrderCase


@tagged("post_install", "-at_install")
class TestWebhook(ShopifyOrderCase, HttpCase):
    def setUp(self):
        super().setUp()
        self.url = self.base_url() + "/sync_shopify/webhook/%s" % self.backend.id
        self.Event = self.env["sync.shopify.webhook"]

    def tearDown(self):
        # A delivery still in flight would land in the next test's transaction.
        self.shop.webhooks.drain(10)
        super().tearDown()

    def events(self, **domain):
        return self.Event.search([("backend_id", "=", self.backend.id)] + [(k, "=", v) for k, v in domain.items()])

    def post(self, payload, signature=True, topic="orders/updated", event_id="evt-1", *, secret=None, shop=None):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "X-Shopify-Topic": topic, "X-Shopify-Event-Id": event_id,
                   "X-Shopify-Shop-Domain": shop or self.shop.shop_domain}
        if signature:
            digest = hmac.new((secret or self.shop.app_secret).encode(), body, hashlib.sha256).digest()
            headers["X-Shopify-Hmac-Sha256"] = base64.b64encode(digest).decode()
        return self.url_open(self.url, data=body, headers=headers)

    def deliver(self):
        self.assertTrue(self.shop.webhooks.drain(15))

    def take_in(self):
        """What the queue runner does before each claim."""
        return self.backend._queue_received_deliveries()

    def subscribe(self, *topics, fmt="JSON"):
        for topic in topics:
            self.shop.subscribe(topic, self.url, fmt=fmt)

    # ------------------------------------------------------------------
    def test_good_signature_is_stored_then_queued_by_the_queue(self):
        order = self.new_orders()[0]
        response = self.post({"admin_graphql_api_id": order["id"], "updated_at": order["updatedAt"]})
        self.assertEqual(response.status_code, 200)
        event = self.events()
        self.assertEqual((event.topic, event.state, event.resource_gid), ("orders/updated", "received", order["id"]))
        self.assertFalse(self.jobs("order_import"), "the request only stores the event")
        self.assertEqual(self.take_in(), 1)
        self.assertEqual(event.state, "queued")
        self.assertEqual((event.job_id.operation, event.job_id.state), ("order_import", "pending"))
        self.assertEqual(self.take_in(), 0, "an event is taken in once")
        self.assertFalse(self.sale_of(order), "nothing is processed before the job runs")
        self.run_queue()
        self.assertTrue(self.sale_of(order))

    def test_bodies_are_dropped_after_the_retention_once_their_work_is_done(self):
        orders = self.new_orders(3)
        for index, order in enumerate(orders):
            self.post({"admin_graphql_api_id": order["id"], "updated_at": order["updatedAt"],
                       "email": "buyer@example.com"}, event_id=f"evt-gc-{index}")
        self.take_in()
        done, waiting, recent = self.events().sorted("id")
        self.run_queue()
        waiting.job_id.write({"state": "failed"})  # its work is not done: a person may still need the body
        self.env.flush_all()
        self.env.cr.execute("UPDATE sync_shopify_webhook SET create_date = now() - interval '40 days' WHERE id IN %s",
                            [(done.id, waiting.id)])
        self.Event._gc_payloads()
        self.assertFalse(done.payload, "a body older than the retention, its job done, is dropped")
        self.assertEqual((done.topic, done.resource_gid), ("orders/updated", orders[0]["id"]), "the event stays")
        self.assertIn("buyer@example.com", waiting.payload)
        self.assertIn("buyer@example.com", recent.payload)

    def test_the_queue_takes_in_what_arrives_while_it_runs(self):
        orders = self.new_orders(3)
        for index, order in enumerate(orders):
            self.post({"admin_graphql_api_id": order["id"]}, event_id=f"evt-{index}")
        self.env["sync.shopify.webhook"]._queue_received(self.backend, limit=2)
        self.assertEqual(sorted(self.events().mapped("state")), ["queued", "queued", "received"],
                         "the oldest events first, as many as asked")
        self.run_queue()
        self.assertEqual(set(self.events().mapped("state")), {"queued"})
        self.assertEqual(set(self.events().job_id.mapped("state")), {"done"})
        for order in orders:
            self.assertEqual(len(self.sales_named(order)), 1)

    def test_an_event_stored_after_the_last_claim_is_work_left(self):
        # The cron re-runs at once while work is left: a delivery that arrives after its
        # last claim starts at that re-run, not a minute later.
        order = self.new_orders()[0]
        self.assertEqual(self.run_queue(), (0, 0))
        self.post({"admin_graphql_api_id": order["id"]})
        self.assertFalse(self.jobs("order_import"))
        self.assertEqual(self.env["sync.job"]._runnable_count(self.backend), 1, "the received event is work left")
        self.assertEqual(self.run_queue(), (1, 0))
        self.assertTrue(self.sale_of(order))

    def test_two_events_of_one_order_share_its_pending_job(self):
        order = self.new_orders()[0]
        payload = {"admin_graphql_api_id": order["id"], "updated_at": order["updatedAt"]}
        self.assertEqual(self.post(payload, topic="orders/create", event_id="evt-a").status_code, 200)
        self.assertEqual(self.post(payload, topic="orders/paid", event_id="evt-b").status_code, 200)
        self.assertEqual(self.post(payload, topic="orders/paid", event_id="evt-b").status_code, 200)
        self.assertEqual(self.take_in(), 2)
        events = self.events()
        self.assertEqual(len(events), 2, "a repeated event id is stored once")
        self.assertEqual(len(events.job_id), 1, "both events point to the order's one pending job")
        self.assertEqual(events.job_id, self.jobs("order_import"))
        self.assertEqual((events.job_id.state, events.job_id.external_id), ("pending", order["id"]))
        self.assertEqual(events.job_id.priority, self.backend.priority_order)
        self.assertEqual(events.job_id.company_id, self.backend.company_id)

    def test_unhandled_topic_is_kept_but_ignored(self):
        self.assertEqual(self.post({"admin_graphql_api_id": "gid://shopify/Product/1"}, topic="products/update",
                                   event_id="evt-p").status_code, 200)
        event = self.events()
        self.assertEqual((event.state, event.note), ("ignored", "Topic not handled by the connector."))
        self.assertFalse(event.job_id)

    @mute_logger("odoo.addons.sync_shopify.controllers.webhook")
    def test_a_changed_secret_is_used_at_once(self):
        order = self.new_orders()[0]
        payload = {"admin_graphql_api_id": order["id"]}
        self.assertEqual(self.post(payload, event_id="evt-1").status_code, 200)
        self.backend.webhook_secret = "rotated-secret"
        self.assertEqual(self.post(payload, event_id="evt-2").status_code, 401, "the old secret no longer signs")
        self.assertEqual(self.post(payload, event_id="evt-3", secret="rotated-secret").status_code, 200)
        self.assertEqual(self.events().mapped("event_id"), ["evt-3", "evt-1"])

    @mute_logger("odoo.addons.sync_shopify.controllers.webhook")
    def test_bad_or_missing_signature_is_refused_and_nothing_stored(self):
        order = self.new_orders()[0]
        payload = {"admin_graphql_api_id": order["id"]}
        self.assertEqual(self.post(payload, secret="wrong-secret").status_code, 401)
        self.assertEqual(self.post(payload, signature=False, event_id="evt-2").status_code, 401)
        self.assertFalse(self.events())
        self.assertFalse(self.jobs("order_import"))

    @mute_logger("odoo.addons.sync_shopify.controllers.webhook")
    def test_a_signed_delivery_of_another_shop_is_refused(self):
        """An app signs the webhooks of every shop it is installed on with its one client secret; the
        X-Shopify-Shop-Domain header names the shop (shopify.dev, "About webhooks", delivery headers)."""
        order = self.new_orders()[0]
        payload = {"admin_graphql_api_id": order["id"]}
        self.assertEqual(self.post(payload, shop="someone-else.myshopify.com").status_code, 403)
        self.assertFalse(self.events())
        self.assertEqual(self.post(payload, event_id="evt-own").status_code, 200)
        self.assertEqual(len(self.events()), 1)

    @mute_logger("odoo.addons.sync_shopify.controllers.webhook")
    def test_sandbox_bad_hmac_deliveries_are_refused(self):
        self.subscribe("orders/create")
        self.shop.faults.set(bad_hmac=True)
        self.new_orders()
        self.shop.webhooks.drain(8)
        self.assertTrue(self.shop.webhooks.deliveries)
        self.assertTrue(all(set(d["attempts"]) == {401} for d in self.shop.webhooks.deliveries))
        self.assertFalse(self.events())

    def test_sandbox_orders_end_to_end_with_duplicates_and_reconcile(self):
        self.subscribe("orders/create", "orders/updated")
        self.shop.faults.set(duplicate_webhooks=True)
        orders = self.new_orders(3)
        self.deliver()
        self.assertEqual(len(self.events()), 3, "duplicate deliveries share an event id")
        self.backend._enqueue("order_reconcile", direction="import", category="order")
        self.run_queue()
        for order in orders:
            self.assertEqual(len(self.sales_named(order)), 1)

    def test_unreadable_signed_body_is_kept_as_a_failed_job_then_retried(self):
        order = self.new_orders()[0]
        truncated = b'{"admin_graphql_api_id": "' + order["id"].encode()
        self.assertEqual(self.post(truncated, event_id="evt-bad").status_code, 400)
        self.assertFalse(self.events(), "nothing half-stored")
        job = self.jobs("webhook_delivery")
        self.assertEqual((job.state, job.failure_type), ("failed", "validation"))
        self.assertIn("orders/updated webhook whose body cannot be read", job.failure_reason)
        delivery = json.loads(job.payload)
        self.assertIn(order["id"], delivery["body"], "the raw body is kept")
        # Staff correct the body and retry: the delivery is received as if it had been readable.
        delivery["body"] = json.dumps({"admin_graphql_api_id": order["id"], "updated_at": order["updatedAt"]})
        job.payload = json.dumps(delivery)
        job.action_retry()
        self.run_queue()
        self.assertEqual(job.state, "done")
        self.assertEqual(self.events().event_id, "evt-bad")
        self.assertTrue(self.sale_of(order), "and the order it announced is imported")

    def test_oversized_body_is_refused_unread(self):
        self.assertEqual(self.post(b"[" + b" " * (2 * 1024 * 1024) + b"]").status_code, 413)
        self.assertFalse(self.events())
        self.assertFalse(self.jobs("webhook_delivery"))

    def test_xml_webhook(self):
        self.subscribe("orders/create", fmt="XML")
        order = self.new_orders()[0]
        self.deliver()
        event = self.events()
        self.assertEqual(event.resource_gid, order["id"])
        self.run_queue()
        self.assertTrue(self.sale_of(order))

    def test_out_of_order_updates_never_overwrite_a_newer_one(self):
        order = self.new_orders()[0]
        self.import_orders([order])
        self.subscribe("orders/updated", "orders/cancelled")
        self.shop.faults.set(out_of_order_webhooks=True)
        self.shop.cancel_order(order["id"])
        self.deliver()
        self.assertEqual(len(self.events()), 2)
        self.run_queue()
        self.assertEqual(self.sale_of(order).state, "cancel")
        binding = self.Binding._find(self.backend, "order", external_id=order["id"])
        stale = {"admin_graphql_api_id": order["id"], "updated_at": "2000-01-01T00:00:00Z"}
        self.assertEqual(self.post(stale, event_id="stale").status_code, 200)
        self.take_in()
        stale_event = self.events(event_id="stale")
        self.assertEqual((stale_event.state, stale_event.note), ("ignored", "Older than the version already imported."))
        self.assertFalse(stale_event.job_id)
        self.assertEqual(binding.external_updated_at.strftime("%Y-%m-%dT%H:%M:%SZ"), order["updatedAt"])

    def test_an_update_in_the_shops_time_zone_is_compared_in_utc(self):
        # Webhook bodies carry the shop's offset, GraphQL answers in UTC: the same instant.
        order = self.new_orders()[0]
        self.import_orders([order])
        imported = self.Binding._find(self.backend, "order", external_id=order["id"]).external_updated_at
        imported = imported.replace(tzinfo=timezone.utc)
        new_york, berlin = timezone(timedelta(hours=-5)), timezone(timedelta(hours=2))
        newer = (imported + timedelta(minutes=1)).astimezone(new_york).isoformat()
        older = (imported - timedelta(minutes=1)).astimezone(berlin).isoformat()
        self.post({"admin_graphql_api_id": order["id"], "updated_at": newer}, event_id="west")
        self.post({"admin_graphql_api_id": order["id"], "updated_at": older}, event_id="east")
        self.take_in()
        self.assertEqual(self.events(event_id="west").state, "queued", f"{newer} is after the imported version")
        self.assertEqual(self.events(event_id="east").state, "ignored", f"{older} is before the imported version")

    def test_app_uninstalled_disconnects_the_backend_and_tells_staff(self):
        self.subscribe("app/uninstalled")
        self.shop.uninstall_app()
        self.deliver()
        self.assertEqual(self.events().topic, "app/uninstalled")
        self.run_queue()
        self.assertEqual(self.backend.state, "disconnected")
        self.assertIn("uninstalled", " ".join(self.backend.activity_ids.mapped("summary")))

    def test_subscribe_repairs_missing_subscriptions(self):
        self.subscribe("orders/create")
        self.backend.invalidate_recordset(["shopify_webhook_url"])
        self.env["ir.config_parameter"].set_param("web.base.url", self.base_url())
        self.backend.action_shopify_subscribe_webhooks()
        topics = {s["topic"] for s in self.shop.store.webhook_subscriptions.values() if s["uri"] == self.url}
        self.assertEqual(topics, {"ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_CANCELLED", "APP_UNINSTALLED"})
        self.backend.action_shopify_subscribe_webhooks()
        self.assertEqual(len(self.shop.store.webhook_subscriptions), 4)
