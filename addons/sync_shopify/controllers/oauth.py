from odoo import http
from odoo.addons.sync_base.oauth import finish_install
from odoo.addons.sync_shopify.models.sync_backend_auth import CALLBACK_ROUTE
from odoo.http import request


class ShopifyOAuthController(http.Controller):
    @http.route(CALLBACK_ROUTE, type="http", auth="user", methods=["GET"])
    def shopify_oauth_callback(self, **params):
        """Shopify's redirect after the merchant approved the app."""
        return finish_install(request.env["sync.backend"]._shopify_oauth_callback, params, "Shopify")
