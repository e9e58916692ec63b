from odoo import http
from odoo.addons.sync_base.oauth import finish_install
from odoo.addons.sync_hubspot.models.sync_backend_auth import CALLBACK_ROUTE
from odoo.http import request


class HubSpotOAuthController(http.Controller):
    @http.route(CALLBACK_ROUTE, type="http", auth="user", methods=["GET"])
    def hubspot_oauth_callback(self, **params):
        """HubSpot's redirect after the user approved the app."""
        return finish_install(request.env["sync.backend"]._hubspot_oauth_callback, params, "HubSpot")
