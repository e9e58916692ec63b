import logging

from markupsafe import Markup, escape
from odoo import _, http
from odoo.addons.sync_base.exceptions import SyncError
from odoo.addons.sync_shopify.models.sync_shopify_token import CALLBACK_ROUTE
from odoo.exceptions import UserError
from odoo.http import request

_logger = logging.getLogger(__name__)


class ShopifyOAuthController(http.Controller):
    @http.route(CALLBACK_ROUTE, type="http", auth="user", methods=["GET"])
    def shopify_oauth_callback(self, **params):
        """Shopify's redirect after the merchant approved the app. An error is answered, not raised:
        the used state must be committed, so that the same link never connects twice."""
        try:
            backend = request.env["sync.backend"]._shopify_oauth_callback(params)
        except (UserError, SyncError) as error:
            message = error.args[0] if isinstance(error, UserError) else error.message
            _logger.warning("Shopify authorization refused: %s", message)
            body = Markup("<h1>%s</h1><p>%s</p>") % (_("Shopify was not connected"), escape(message))
            return request.make_response(body, status=400, headers=[("Content-Type", "text/html; charset=utf-8")])
        return request.redirect("/web#id=%d&model=sync.backend&view_type=form" % backend.id)
