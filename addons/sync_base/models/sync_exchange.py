from datetime import timedelta

from odoo import api, fields, models


class SyncExchange(models.Model):
    """One HTTP call to an external system, with secrets already redacted."""

    _name = "sync.exchange"
    _description = "Sync Exchange"
    _order = "id desc"
    _rec_name = "url"

    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    job_id = fields.Many2one("sync.job", ondelete="set null", index=True)
    operation = fields.Char()
    method = fields.Char(required=True)
    url = fields.Char("URL", required=True)
    status_code = fields.Integer("Status")
    duration_ms = fields.Integer("Duration (ms)")
    dry_run = fields.Boolean(help="Recorded in dry-run mode: this request was not sent.")
    error = fields.Char(help="Network error when no answer came back.")
    # Bodies carry customers' names, emails and addresses: Sync managers read them, Sync users see
    # what was called and how it ended.
    request_headers = fields.Text()
    request_body = fields.Text(groups="sync_base.group_sync_manager")
    response_headers = fields.Text()
    response_body = fields.Text(groups="sync_base.group_sync_manager")
    outcome = fields.Selection(
        [("ok", "OK"), ("error", "Error"), ("dry_run", "Not sent (dry run)")],
        compute="_compute_outcome",
        store=True,
    )

    @api.depends("status_code", "error", "dry_run")
    def _compute_outcome(self):
        for exchange in self:
            if exchange.dry_run:
                exchange.outcome = "dry_run"
            elif exchange.error or not exchange.status_code or exchange.status_code >= 400:
                exchange.outcome = "error"
            else:
                exchange.outcome = "ok"

    @api.autovacuum
    def _gc_exchanges(self):
        for backend in self.env["sync.backend"].with_context(active_test=False).search([]):
            limit = fields.Datetime.now() - timedelta(days=backend.exchange_retention_days or 30)
            self.search([("backend_id", "=", backend.id), ("create_date", "<", limit)]).unlink()
