import json
import logging

import xmltodict
from odoo import _, http
from odoo.addons.sync_base.webhooks import read_body
from odoo.addons.sync_shopify.models.sync_backend_order import valid_hmac
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


DELIVERY_HEADERS = ("Content-Type", "X-Shopify-Topic", "X-Shopify-Event-Id", "X-Shopify-Webhook-Id",
                    "X-Shopify-Triggered-At")


def parse_body(body, content_type):
    """``(payload, JSON text to store)`` of a delivery body, JSON or XML.

    A JSON body is stored as Shopify sent it (no second serialisation on the hot path);
    an XML one as the JSON of what it says, so every stored event reads the same way.
    """
    if "xml" in (content_type or ""):
        document = xmltodict.parse(body, disable_entities=True)
        root = next(iter(document.values()), None) if document else None
        payload = _plain_keys(root or {})
        return payload, json.dumps(payload)
    payload = json.loads(body or b"{}")
    if not isinstance(payload, dict):
        raise ValueError("webhook body is not an object")
    try:
        return payload, body.decode()
    except UnicodeDecodeError:  # JSON in UTF-16 or UTF-32: valid, but not kept byte for byte
        return payload, json.dumps(payload)


class ShopifyWebhookController(http.Controller):
    @http.route(
        "/sync_shopify/webhook/<int:backend_id>",
        type="http", auth="none", methods=["POST"], csrf=False, save_session=False, readonly=False,
    )
    def shopify_webhook(self, backend_id, **_kwargs):
        """Verify, store, queue, answer: no processing here, so Shopify never waits on an import."""
        httprequest = request.httprequest
        body = read_body(httprequest)
        if body is None:
            return Response("Body too large", status=413)
        backends = request.env["sync.backend"].sudo()
        code, secret, shop_domain = backends._shopify_webhook_identity(backend_id)
        if code != "shopify":
            return Response("Unknown backend", status=404)
        headers = httprequest.headers
        signature = headers.get("X-Shopify-Hmac-Sha256")
        if not valid_hmac(secret, body, signature):
            _logger.warning("Shopify webhook for backend %s refused: bad or missing signature", backend_id)
            return Response("Invalid signature", status=401)
        sender = headers.get("X-Shopify-Shop-Domain")
        if shop_domain and sender and sender.lower() != shop_domain.lower():
            # One app signs the deliveries of every shop it is installed on with the same secret, and its
            # compliance webhooks go to one address for all of them: a delivery of another shop belongs to
            # that shop's backend, when one exists with the same secret (X-Shopify-Shop-Domain names the shop).
            backend_id = backends._shopify_backend_of_shop(sender)
            if not backend_id or not valid_hmac(backends._shopify_webhook_identity(backend_id)[1], body, signature):
                _logger.warning("Shopify webhook refused: sent by shop %s, not %s, and no backend of that shop "
                                "shares the app", sender, shop_domain)
                return Response("Not this backend's shop", status=403)
        backend = backends.browse(backend_id)
        try:
            payload, payload_text = parse_body(body, headers.get("Content-Type"))
        except (ValueError, xmltodict.expat.ExpatError) as error:
            # Signed by Shopify, so kept: a failed job with the whole delivery, for a person to read.
            delivery = {name: headers.get(name) for name in DELIVERY_HEADERS}
            delivery["body"] = body.decode("utf-8", "replace")
            reason = _("Shopify sent a %(topic)s webhook whose body cannot be read (%(error)s).",
                       topic=headers.get("X-Shopify-Topic"), error=error)
            backend._reject_incoming("webhook_delivery", json.dumps(delivery, indent=1), reason, category="order")
            return Response("Unreadable body", status=400)
        request.env["sync.shopify.webhook"].sudo()._receive(backend, headers, payload, payload_text)
        return Response("ok", status=200)
