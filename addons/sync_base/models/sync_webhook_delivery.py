import json
import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools.sql import create_index

_logger = logging.getLogger(__name__)

# Deliveries taken in per claim: a burst drains in a few claims, each claim's transaction stays short.
INTAKE_BATCH = 200


class SyncWebhookDelivery(models.Model):
    """A webhook delivery a connector's endpoint stored, for the queue to turn into work.

    The shared inbox: the request checks the signature, stores the body in one INSERT and
    answers at once, so the platform never waits on our work (HubSpot counts a slow answer as a
    failure and retries). Every claim of the queue first takes the received deliveries in,
    oldest first and locked SKIP LOCKED so runners share them, and hands each to its backend's
    ``_webhook_delivery_jobs`` to queue the work; the request wakes the queue. Shopify keeps a
    table of its own, which deduplicates each event already at the door.
    """

    _name = "sync.webhook.delivery"
    _description = "Webhook Delivery"
    _order = "id desc"
    _rec_name = "received_at"
    _log_access = False  # written by one INSERT per request; received_at says when

    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade", readonly=True)
    received_at = fields.Datetime(required=True, readonly=True)
    payload = fields.Text(
        groups="sync_base.group_sync_manager", readonly=True,
        help="The body as the platform sent it (customers' personal data): Sync managers only, deleted after "
        "the backend's retention once taken in.",
    )
    state = fields.Selection(
        [("received", "Received"), ("taken", "Taken in")], default="received", required=True, readonly=True,
        help="Received: stored by the request, taken in by the queue's next claim. Taken in: its work is queued.",
    )
    job_count = fields.Integer("Jobs queued", readonly=True)

    def init(self):
        # The inbox: what the queue's claims read, and count to know work is left.
        create_index(self.env.cr, "sync_webhook_delivery_received_idx", self._table, ["backend_id", "id"],
                     where="state = 'received'")

    @api.model
    def _store(self, backend, body):
        """Keep one authenticated delivery (its text) for ``backend``, and wake the queue."""
        self.env.cr.execute(
            """INSERT INTO sync_webhook_delivery (backend_id, received_at, payload, state, job_count)
               VALUES (%s, now() at time zone 'UTC', %s, 'received', 0) RETURNING id""",
            [backend.id, body],
        )
        self.env["sync.job"]._wake_runner()
        return self.browse(self.env.cr.fetchone()[0])

    @api.model
    def _take_in(self, backend, limit=INTAKE_BATCH):
        """Queue the work of up to ``limit`` deliveries stored for ``backend``; return how many were taken."""
        self.env.cr.execute(
            """SELECT id, payload FROM sync_webhook_delivery
                WHERE backend_id = %s AND state = 'received'
                ORDER BY id LIMIT %s
                  FOR UPDATE SKIP LOCKED""",
            [backend.id, limit],
        )
        rows = self.env.cr.fetchall()
        for delivery_id, payload in rows:
            # The request checked the body's shape before storing it.
            jobs = backend._webhook_delivery_jobs(json.loads(payload or "null"))
            self.env.cr.execute("UPDATE sync_webhook_delivery SET state = 'taken', job_count = %s WHERE id = %s",
                                [len(jobs), delivery_id])
        if rows:
            self.invalidate_model(["state", "job_count"])
        return len(rows)

    @api.model
    def _received_count(self, backend):
        # Through the partial index of received deliveries, like the intake.
        self.env.cr.execute(
            "SELECT count(*) FROM sync_webhook_delivery WHERE backend_id = %s AND state = 'received'", [backend.id])
        return self.env.cr.fetchone()[0]

    @api.model
    def _purge_payloads(self, backend, markers):
        """Blank the bodies of ``backend``'s deliveries holding one of ``markers`` (all when None)."""
        purged = self.env["sync.privacy"]._blank_rows(self._table, ("payload",), backend, markers)
        self.invalidate_model(["payload"])
        return purged

    @api.autovacuum
    def _gc_taken_deliveries(self):
        """A taken delivery's work is in its jobs: kept as long as the backend keeps its exchange log."""
        for backend in self.env["sync.backend"].sudo().with_context(active_test=False).search([]):
            limit = fields.Datetime.now() - timedelta(days=backend.exchange_retention_days or 30)
            self.env.cr.execute(
                """DELETE FROM sync_webhook_delivery
                    WHERE backend_id = %s AND state = 'taken' AND received_at < %s""", [backend.id, limit])
            if self.env.cr.rowcount:
                _logger.info("%s: %s webhook deliveries past retention deleted", backend.name, self.env.cr.rowcount)
