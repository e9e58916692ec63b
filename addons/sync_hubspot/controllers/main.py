import json
import logging

from odoo import http
from odoo.http import request

_logger = logging.getLogger(__name__)


class HubSpotWebhookController(http.Controller):
    @http.route("/sync_hubspot/webhook/<int:backend_id>", type="http", auth="public", methods=["POST"], csrf=False,
                save_session=False)
    def webhook(self, backend_id, **_kwargs):
        """Check the v3 signature, queue one import job per event, answer at once.

        HubSpot retries slow or failed deliveries; the work itself happens in the queue.
        """
        backend = request.env["sync.backend"].sudo().search(
            [("id", "=", backend_id), ("code", "=", "hubspot")], limit=1
        )
        raw = request.httprequest.get_data()
        headers = request.httprequest.headers
        if not backend or not backend._hubspot_signature_ok(
            request.httprequest.method, request.httprequest.url, raw,
            headers.get("X-HubSpot-Request-Timestamp", ""), headers.get("X-HubSpot-Signature-v3", ""),
        ):
            _logger.info("HubSpot webhook refused for backend %s: bad, missing or expired signature", backend_id)
            return request.make_response("invalid signature", status=401)
        try:
            events = json.loads(raw or b"[]")
        except ValueError:
            return request.make_response("invalid JSON", status=400)
        backend._hubspot_receive_events(events)
        return request.make_response("", status=204)
