import json
import logging

import xmltodict
from odoo import http
from odoo.http import request
from werkzeug.wrappers import Response

_logger = logging.getLogger(__name__)


def _plain_keys(value):
    """XML bodies say admin-graphql-api-id and wrap the payload in a root element."""
    if isinstance(value, dict):
        return {key.replace("-", "_"): _plain_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_keys(item) for item in value]
    return value


def parse_body(body, content_type):
    if "xml" in (content_type or ""):
        document = xmltodict.parse(body, disable_entities=True)
        root = next(iter(document.values()), None) if document else None
        return _plain_keys(root or {})
    payload = json.loads(body or b"{}")
    if not isinstance(payload, dict):
        raise ValueError("webhook body is not an object")
    return payload


class ShopifyWebhookController(http.Controller):
    @http.route(
        "/sync_shopify/webhook/<int:backend_id>",
        type="http", auth="none", methods=["POST"], csrf=False, save_session=False, readonly=False,
    )
    def shopify_webhook(self, backend_id, **_kwargs):
        """Verify, store, queue, answer: no processing here, so Shopify never waits on an import."""
        httprequest = request.httprequest
        body = httprequest.get_data()
        backend = request.env["sync.backend"].sudo().browse(backend_id).exists()
        if not backend or backend.code != "shopify":
            return Response("Unknown backend", status=404)
        if not backend._shopify_valid_hmac(body, httprequest.headers.get("X-Shopify-Hmac-Sha256")):
            _logger.warning("Shopify webhook for backend %s refused: bad or missing signature", backend_id)
            return Response("Invalid signature", status=401)
        try:
            payload = parse_body(body, httprequest.headers.get("Content-Type"))
        except (ValueError, xmltodict.expat.ExpatError):
            return Response("Unreadable body", status=400)
        request.env["sync.shopify.webhook"].sudo()._receive(backend, httprequest.headers, payload)
        return Response("ok", status=200)
