import json

from odoo import _, api, fields, models

from .sync_backend_catalogue import shopify_datetime

ORDER_TOPICS = ("orders/create", "orders/updated", "orders/cancelled", "orders/paid", "orders/fulfilled")


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

    The request only stores the event and queues the work; the queue does the rest,
    so Shopify gets its answer in milliseconds and never times out on a slow import.
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
    payload = fields.Text()
    state = fields.Selection([("queued", "Queued"), ("ignored", "Ignored")], default="queued", required=True)
    note = fields.Char()
    job_id = fields.Many2one("sync.job", ondelete="set null")

    _sql_constraints = [
        ("event_uniq", "UNIQUE(backend_id, event_id)", "This Shopify event was already received."),
    ]

    @api.model
    def _receive(self, backend, headers, payload, payload_text=None):
        """Store one authenticated delivery and queue its work; return the event, or None for a duplicate.

        ``payload`` is the delivery's body read; ``payload_text`` the JSON text to store
        (by default ``payload`` serialised).

        The request's hot path is one statement, in which every lookup goes through a
        unique index whatever the tables' statistics say: the event's INSERT (a duplicate
        event id inserts nothing; an order update older than the version already imported
        is stored as ignored) and, for a new queued order event, its job's upsert on the
        pending-job dedup index. The event points to that job: the foreign key is checked
        at the statement's end, once both rows exist.
        """
        topic = headers.get("X-Shopify-Topic") or ""
        event_id = headers.get("X-Shopify-Event-Id") or headers.get("X-Shopify-Webhook-Id")
        resource_gid = payload.get("admin_graphql_api_id") or None
        order_job = topic in ORDER_TOPICS and bool(resource_gid)
        Job = self.env["sync.job"].sudo()
        job_query, params = Job._upsert_pending_query(
            backend._shopify_order_job_values(resource_gid or ""),
            source="(SELECT 1 FROM verdict WHERE fresh AND note IS NULL AND %(order_job)s) AS new_order_event",
        )
        params.update({
            "backend": backend.id, "event": event_id or headers.get("X-Shopify-Hmac-Sha256"),
            "webhook": headers.get("X-Shopify-Webhook-Id"), "topic": topic,
            "triggered": delivery_time(headers.get("X-Shopify-Triggered-At")), "gid": resource_gid,
            "version": delivery_time(payload.get("updated_at")),
            "payload": payload_text or json.dumps(payload),
            "uid": self.env.uid, "handled": order_job or topic == "app/uninstalled", "order_job": order_job,
            "unhandled": _("Topic not handled by the connector."),
            "stale": _("Older than the version already imported."),
        })
        self.flush_model()
        Job.flush_model()
        # ON CONFLICT: two copies of one event arriving at once must not both pass the
        # "fresh" check; the second one's job upsert only refreshes the first one's job.
        self.env.cr.execute(
            f"""WITH verdict AS MATERIALIZED (
                    SELECT CASE WHEN NOT %(handled)s THEN %(unhandled)s
                                WHEN %(order_job)s AND EXISTS (
                                     SELECT 1 FROM sync_binding
                                      WHERE backend_id = %(backend)s AND external_type = 'order'
                                        AND external_id = %(gid)s AND external_updated_at > %(version)s)
                                THEN %(stale)s END AS note,
                           NOT EXISTS (SELECT 1 FROM sync_shopify_webhook
                                        WHERE backend_id = %(backend)s AND event_id = %(event)s) AS fresh
                ), job AS ({job_query})
                INSERT INTO sync_shopify_webhook (backend_id, event_id, webhook_id, topic, triggered_at, resource_gid,
                                                  resource_updated_at, payload, state, note, job_id,
                                                  create_uid, write_uid, create_date, write_date)
                SELECT %(backend)s, %(event)s, %(webhook)s, %(topic)s, %(triggered)s, %(gid)s, %(version)s,
                       %(payload)s, CASE WHEN note IS NULL THEN 'queued' ELSE 'ignored' END, note,
                       (SELECT id FROM job), %(uid)s, %(uid)s, now() at time zone 'UTC', now() at time zone 'UTC'
                  FROM verdict
                ON CONFLICT (backend_id, event_id) DO NOTHING RETURNING id, state""",
            params,
        )
        row = self.env.cr.fetchone()
        if not row:
            return None
        Job.invalidate_model(["priority", "payload", "write_uid", "write_date"])
        event = self.browse(row[0])
        if row[1] == "queued" and topic == "app/uninstalled":
            event.job_id = backend._enqueue("app_uninstalled", category="other", priority=0,
                                            dedup_key="shopify_app_uninstalled")
        return event
