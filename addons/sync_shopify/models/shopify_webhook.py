import json
from collections import defaultdict
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.tools.sql import create_index

from .sync_backend_catalogue import shopify_datetime

# Events taken in per claim: enough to drain a burst in a few claims, few enough that
# one claim's transaction stays short.
INTAKE_BATCH = 500
ORDER_TOPICS = ("orders/create", "orders/updated", "orders/cancelled", "orders/paid", "orders/fulfilled")
# The mandatory compliance webhooks (shopify.dev/docs/apps/build/compliance/privacy-law-compliance).
PRIVACY_TOPICS = ("customers/data_request", "customers/redact", "shop/redact")


def delivery_time(value):
    """A delivery's time, or None when it cannot be read: the header is not signed, and
    the order job reads the order itself, so an unreadable time only skips the
    out-of-order check instead of refusing the delivery."""
    try:
        return shopify_datetime(value) or None
    except ValueError:
        return None


class SyncShopifyWebhook(models.Model):
    """One webhook delivery Shopify made, kept so duplicates are recognised and work is traceable.

    A transactional inbox: the request only stores the event, in one INSERT, and answers,
    so Shopify gets its answer in milliseconds and never times out on a slow import. The
    queue runner takes the received events in before each claim and queues their work.
    """

    _name = "sync.shopify.webhook"
    _description = "Shopify Webhook Event"
    _order = "id desc"
    _rec_name = "topic"

    # Not indexed alone: the event_uniq index starts with it, and a second index would
    # let PostgreSQL pick the wrong one for the duplicate check while statistics are missing.
    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade")
    event_id = fields.Char("Event id", required=True, help="X-Shopify-Event-Id: the same for every retry of an event.")
    webhook_id = fields.Char("Delivery id")
    topic = fields.Char(required=True, index=True)
    triggered_at = fields.Datetime()
    resource_gid = fields.Char("Shopify object", index=True)
    resource_updated_at = fields.Datetime("Object version")
    payload = fields.Text(groups="sync_base.group_sync_manager", help="The body Shopify sent (customers' personal "
                          "data): Sync managers only, dropped after the backend's retention once its work is done.")
    state = fields.Selection(
        [("received", "Received"), ("queued", "Queued"), ("ignored", "Ignored")],
        default="received", required=True,
        help="Received: stored by the request, its work is queued at the queue's next run. "
             "Queued: its job is in the queue. Ignored: nothing to do (see the note).",
    )
    note = fields.Char()
    job_id = fields.Many2one("sync.job", ondelete="set null")

    _sql_constraints = [
        ("event_uniq", "UNIQUE(backend_id, event_id)", "This Shopify event was already received."),
    ]

    def init(self):
        # The inbox: events whose work is not queued yet, read by every claim of the queue.
        create_index(self.env.cr, "sync_shopify_webhook_received_idx", self._table, ["backend_id", "id"],
                     where="state = 'received'")

    @api.autovacuum
    def _gc_payloads(self):
        """Webhook bodies hold customers' names, emails and addresses: kept only as long as the backend
        keeps its exchange log, once their work is done. The event row (topic, object, times) stays:
        it is what recognises a repeated delivery."""
        backends = self.env["sync.backend"].sudo().with_context(active_test=False).search([("code", "=", "shopify")])
        for backend in backends:
            limit = fields.Datetime.now() - timedelta(days=backend.exchange_retention_days or 30)
            self.env.cr.execute(
                """UPDATE sync_shopify_webhook w SET payload = NULL
                    WHERE w.backend_id = %s AND w.create_date < %s AND w.payload IS NOT NULL
                      AND w.state != 'received'
                      AND NOT EXISTS (SELECT 1 FROM sync_job j WHERE j.id = w.job_id
                                         AND j.state NOT IN ('done', 'cancelled'))""",
                [backend.id, limit],
            )
        self.invalidate_model(["payload"])

    @api.model
    def _receive(self, backend, headers, payload, payload_text=None):
        """Store one authenticated delivery; return the event, or None for a duplicate.

        ``payload`` is the delivery's body read; ``payload_text`` the JSON text to store
        (by default ``payload`` serialised). One statement, whose duplicate check goes
        through the event_uniq index: a repeated event id inserts nothing, even when two
        copies of an event arrive at the same moment.
        """
        topic = headers.get("X-Shopify-Topic") or ""
        resource_gid = payload.get("admin_graphql_api_id") or None
        handled = topic in ("app/uninstalled", *PRIVACY_TOPICS) or (topic in ORDER_TOPICS and bool(resource_gid))
        self.flush_model()
        self.env.cr.execute(
            """INSERT INTO sync_shopify_webhook (backend_id, event_id, webhook_id, topic, triggered_at, resource_gid,
                                                 resource_updated_at, payload, state, note,
                                                 create_uid, write_uid, create_date, write_date)
               VALUES (%(backend)s, %(event)s, %(webhook)s, %(topic)s, %(triggered)s, %(gid)s, %(version)s,
                       %(payload)s, %(state)s, %(note)s,
                       %(uid)s, %(uid)s, now() at time zone 'UTC', now() at time zone 'UTC')
               ON CONFLICT (backend_id, event_id) DO NOTHING RETURNING id""",
            {
                "backend": backend.id,
                "event": headers.get("X-Shopify-Event-Id") or headers.get("X-Shopify-Webhook-Id")
                or headers.get("X-Shopify-Hmac-Sha256"),
                "webhook": headers.get("X-Shopify-Webhook-Id"), "topic": topic,
                "triggered": delivery_time(headers.get("X-Shopify-Triggered-At")), "gid": resource_gid,
                "version": delivery_time(payload.get("updated_at")),
                "payload": payload_text or json.dumps(payload), "uid": self.env.uid,
                "state": "received" if handled else "ignored",
                "note": None if handled else _("Topic not handled by the connector."),
            },
        )
        row = self.env.cr.fetchone()
        if row and handled:
            self.env["sync.job"]._wake_runner()  # an order is money: the queue takes it in now
        return self.browse(row[0]) if row else None

    @api.model
    def _queue_received(self, backend, limit=INTAKE_BATCH):
        """Queue the work of up to ``limit`` events ``backend``'s requests stored; return how many.

        An order event queues its order's import, or joins the import already pending (one
        job for every event of an order until it runs), unless it is older than the version
        already imported: an older update never overwrites a newer one. An uninstall queues
        the disconnection. The events are locked with SKIP LOCKED: runners on several
        workers share the inbox instead of queuing an event twice.
        """
        self.flush_model()
        self.env.cr.execute(
            """SELECT w.id, w.topic, w.resource_gid,
                      EXISTS (SELECT 1 FROM sync_binding b
                               WHERE b.backend_id = w.backend_id AND b.external_type = 'order'
                                 AND b.external_id = w.resource_gid
                                 AND b.external_updated_at > w.resource_updated_at) AS stale
                 FROM sync_shopify_webhook w
                WHERE w.backend_id = %s AND w.state = 'received'
                ORDER BY w.id
                LIMIT %s
                  FOR UPDATE OF w SKIP LOCKED""",
            [backend.id, limit],
        )
        rows = self.env.cr.fetchall()
        events_by_job = defaultdict(list)
        stale = []
        for event_id, topic, resource_gid, is_stale in rows:
            if is_stale:
                stale.append(event_id)
            else:
                events_by_job[self._queue_work(backend, topic, resource_gid, event_id)].append(event_id)
        for job, event_ids in events_by_job.items():
            self.browse(event_ids).write({"state": "queued", "job_id": job.id})
        if stale:
            self.browse(stale).write({"state": "ignored", "note": _("Older than the version already imported.")})
        return len(rows)

    @api.model
    def _received_count(self, backend):
        self.flush_model(["state"])
        # Through the partial index of received events, like the intake.
        self.env.cr.execute(
            "SELECT count(*) FROM sync_shopify_webhook WHERE backend_id = %s AND state = 'received'", [backend.id]
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _queue_work(self, backend, topic, resource_gid, event_id):
        if topic == "app/uninstalled":
            return backend._enqueue("app_uninstalled", priority=0, dedup_key="shopify_app_uninstalled")
        if topic in PRIVACY_TOPICS:
            # The job names the event: the request's personal data stays in the event, for managers only.
            return backend._enqueue("privacy_request", payload={"event": event_id}, category="customer",
                                    dedup_key=f"shopify_privacy:{event_id}")
        return backend._shopify_enqueue_order(resource_gid)

    @api.model
    def _purge_payloads(self, backend, markers):
        """Blank the stored bodies of ``backend``'s events holding one of ``markers`` (all when None)."""
        self.flush_model(["payload"])
        purged = self.env["sync.privacy"]._blank_rows(self._table, ("payload",), backend, markers)
        self.invalidate_model(["payload"])
        return purged
