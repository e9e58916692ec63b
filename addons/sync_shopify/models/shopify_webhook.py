import json

from odoo import _, api, fields, models

from .sync_backend_catalogue import shopify_datetime

ORDER_TOPICS = ("orders/create", "orders/updated", "orders/cancelled", "orders/paid", "orders/fulfilled")


class SyncShopifyWebhook(models.Model):
    """One webhook delivery Shopify made, kept so duplicates are recognised and work is traceable.

    The request only stores the event and queues the work; the queue does the rest,
    so Shopify gets its answer in milliseconds and never times out on a slow import.
    """

    _name = "sync.shopify.webhook"
    _description = "Shopify Webhook Event"
    _order = "id desc"
    _rec_name = "topic"

    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade", index=True)
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
    def _receive(self, backend, headers, payload):
        """Store one authenticated delivery and queue its work; return the event, or None for a duplicate."""
        topic = headers.get("X-Shopify-Topic") or ""
        event_id = headers.get("X-Shopify-Event-Id") or headers.get("X-Shopify-Webhook-Id")
        # ON CONFLICT: two copies of one event arriving at once must not both pass a search.
        self.env.cr.execute(
            """INSERT INTO sync_shopify_webhook (backend_id, event_id, topic, state, create_date, write_date)
               VALUES (%s, %s, %s, 'queued', now() at time zone 'UTC', now() at time zone 'UTC')
               ON CONFLICT (backend_id, event_id) DO NOTHING RETURNING id""",
            [backend.id, event_id or headers.get("X-Shopify-Hmac-Sha256"), topic],
        )
        row = self.env.cr.fetchone()
        if not row:
            return None
        event = self.browse(row[0])
        event.write({
            "webhook_id": headers.get("X-Shopify-Webhook-Id"),
            "triggered_at": shopify_datetime(headers.get("X-Shopify-Triggered-At")),
            "resource_gid": payload.get("admin_graphql_api_id"),
            "resource_updated_at": shopify_datetime(payload.get("updated_at")),
            "payload": json.dumps(payload),
        })
        event._dispatch()
        return event

    def _dispatch(self):
        self.ensure_one()
        backend = self.backend_id
        if self.topic == "app/uninstalled":
            self.job_id = backend._enqueue("app_uninstalled", category="other", priority=0,
                                           dedup_key="shopify_app_uninstalled")
        elif self.topic in ORDER_TOPICS and self.resource_gid:
            binding = self.env["sync.binding"].sudo()._find(backend, "order", external_id=self.resource_gid)
            version = self.resource_updated_at
            if binding.external_updated_at and version and version < binding.external_updated_at:
                self.write({"state": "ignored", "note": _("Older than the version already imported.")})
            else:
                self.job_id = backend._shopify_enqueue_order(self.resource_gid)
        else:
            self.write({"state": "ignored", "note": _("Topic not handled by the connector.")})
