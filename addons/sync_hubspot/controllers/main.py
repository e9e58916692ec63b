import json
import logging

from odoo import _, http
from odoo.addons.sync_base.webhooks import read_body
from odoo.http import request

_logger = logging.getLogger(__name__)


class HubSpotWebhookController(http.Controller):
    @http.route("/sync_hubspot/webhook/<int:backend_id>", type="http", auth="public", methods=["POST"], csrf=False,
                save_session=False)
    def webhook(self, backend_id, **_kwargs):
        """Check the v3 signature, store the delivery in the shared inbox, answer at once.

        HubSpot retries slow or failed deliveries; the work itself happens in the queue.
        """
        backend = request.env["sync.backend"].sudo().search(
            [("id", "=", backend_id), ("code", "=", "hubspot")], limit=1
        )
        raw = read_body(request.httprequest)
        if raw is None:
            return request.make_response("body too large", status=413)
        if not backend:
            return request.make_response("Unknown backend", status=404)
        headers = request.httprequest.headers
        if not backend._hubspot_signature_ok(
            request.httprequest.method, request.httprequest.url, raw,
            headers.get("X-HubSpot-Request-Timestamp", ""), headers.get("X-HubSpot-Signature-v3", ""),
        ):
            _logger.info("HubSpot webhook refused for backend %s: bad, missing or expired signature", backend_id)
            return request.make_response("invalid signature", status=401)
        try:
            events = json.loads(raw or b"[]")
            problem = backend._hubspot_events_problem(events)
        except ValueError as error:
            problem = _("HubSpot sent a webhook body that is not valid JSON (%s).", error)
        if problem:
            # Signed by HubSpot, so kept: a failed job with the raw body, for a person to read.
            backend._reject_incoming("webhook_events", raw, problem, category="customer")
            return request.make_response("unreadable body", status=400)
        # Kept as sent, work queued by the queue's next claim: HubSpot gets its answer at once.
        try:
            body = raw.decode()
        except UnicodeDecodeError:  # JSON in UTF-16 or UTF-32: valid, stored as UTF-8
            body = json.dumps(events)
        request.env["sync.webhook.delivery"].sudo()._store(backend, body)
        return request.make_response("", status=204)
