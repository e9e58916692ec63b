import hashlib
import hmac
import re
from urllib.parse import urlencode

from odoo import _, api, fields, models
from odoo.addons.sync_base.exceptions import SyncAuthError
from odoo.exceptions import UserError

from . import shopify_documents as docs

TOKEN_PATH = "/admin/oauth/access_token"
AUTHORIZE_PATH = "/admin/oauth/authorize"
CALLBACK_ROUTE = "/sync_shopify/oauth/callback"
# shopify.dev, "Implement authorization code grant manually": the shop parameter must be a valid
# myshopify.com hostname.
SHOP_HOSTNAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-]*\.myshopify\.com$")


def valid_query_hmac(params, secret):
    """Shopify's signature of a redirect's query (shopify.dev, "Implement authorization code grant
    manually"): every parameter but ``hmac``, sorted by name, joined as ``name=value`` with ``&``,
    HMAC-SHA256 with the client secret, in hex; compared in constant time."""
    signature = params.get("hmac") or ""
    if not secret or not signature:
        return False
    message = "&".join("%s=%s" % (key, value) for key, value in sorted(params.items()) if key != "hmac")
    expected = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    shopify_auth_method = fields.Selection(
        [
            ("static", "Access token of an app made in the store admin"),
            ("client_credentials", "Client ID and secret of a Dev Dashboard app on your own store"),
            ("authorization_code", "App installed by OAuth (Connect to Shopify)"),
        ],
        string="Connect with",
        default="static",
        required=True,
        help="Stores set up since January 2026 make their apps in Shopify's Dev Dashboard: give its client ID and "
        "secret, and the connector asks Shopify for a token (valid 24 hours) and renews it by itself. An app "
        "distributed to other stores is installed by OAuth: Connect to Shopify asks the merchant's consent, and its "
        "tokens (valid 60 minutes) are renewed with their refresh token. Apps made earlier in the store admin keep "
        "their static access token.",
    )
    shopify_client_id = fields.Char("Client ID", groups="sync_base.group_sync_manager", copy=False)
    shopify_client_secret = fields.Char(
        "Client secret",
        groups="sync_base.group_sync_manager",
        copy=False,
        help="Also the secret Shopify signs this app's webhooks with: the backend checks webhooks with it.",
    )

    # ------------------------------------------------------------------
    def _shopify_access_token(self, renew_from=None):
        """The token to call the Admin API with: the static one, or a renewable one (sync_base)."""
        self.ensure_one()
        backend = self.sudo()
        if backend.shopify_auth_method == "static":
            return backend.api_token or ""
        return self._renewable_access_token(renew_from)

    def _request_token(self, stored):
        if self.code != "shopify":
            return super()._request_token(stored)
        return self._shopify_request_token(stored)

    def _shopify_request_token(self, stored=None):
        """A new token from Shopify's token endpoint: by the client credentials grant (shopify.dev, "Using
        the client credentials grant"), or for an app installed by OAuth with the refresh token of its
        expiring offline token (shopify.dev, "About offline access tokens"). The answer holds
        ``access_token``, ``scope``, ``expires_in`` and, for OAuth, the next ``refresh_token``."""
        backend = self.sudo()
        if not backend.shopify_client_id or not backend.shopify_client_secret:
            raise SyncAuthError(_(
                "Shopify backend %(name)s connects with a client ID and secret, and one is missing: copy both from "
                "the app's Settings in Shopify's Dev Dashboard, then Test connection.", name=self.name))
        form = {"client_id": backend.shopify_client_id, "client_secret": backend.shopify_client_secret}
        if backend.shopify_auth_method == "authorization_code":
            if not stored or not stored.refresh_token:
                raise SyncAuthError(_(
                    "Shopify backend %(name)s has no token yet: press Connect to Shopify on the backend and approve "
                    "the app in the store, then Retry.", name=self.name))
            form.update(grant_type="refresh_token", refresh_token=stored.refresh_token)
        else:
            form["grant_type"] = "client_credentials"
        return self._shopify_call_token_endpoint(form, operation="token_renewal")

    def _shopify_call_token_endpoint(self, form, operation):
        answer = self._post_token_form(
            self._shopify_base_url() + TOKEN_PATH, form, operation,
            lambda status: _(
                "Shopify refused the credentials of backend %(name)s (HTTP %(status)s): the client secret was "
                "rotated, the app was uninstalled from the store, or its refresh token expired. Copy the current "
                "client ID and secret from the app's Settings in Shopify's Dev Dashboard (reinstall the app if it "
                "was removed; for an app installed by OAuth, press Connect to Shopify again), save them on the "
                "backend, then Test connection.", name=self.name, status=status),
        )
        if not answer.get("access_token"):
            raise SyncAuthError(_("Shopify gave backend %(name)s no access token.", name=self.name))
        return answer

    # ------------------------------------------------------------------
    # Installing by OAuth (the authorization code grant)
    # ------------------------------------------------------------------
    def action_shopify_connect(self):
        """Send the admin to the store's consent screen; Shopify comes back to the callback route."""
        self.ensure_one()
        backend = self.sudo()
        if not (backend.shopify_client_id and backend.shopify_client_secret and backend.shopify_shop_domain):
            raise UserError(
                _("Set the shop domain, the client ID and the client secret first, then Connect to Shopify."))
        state = self._oauth_new_state()
        scopes = {scope for _label, needed in self._feature_scopes().values() for scope in needed}
        query = {
            "client_id": backend.shopify_client_id,
            "scope": ",".join(sorted(scopes | {"write_files"})),
            "redirect_uri": self.get_base_url() + CALLBACK_ROUTE,
            "state": state,
        }
        return {"type": "ir.actions.act_url", "target": "self",
                "url": "%s%s?%s" % (self._shopify_base_url(), AUTHORIZE_PATH, urlencode(query))}

    @api.model
    def _shopify_oauth_callback(self, params):
        """Finish an install from Shopify's redirect: check the state (once only), the signature and the
        shop, then exchange the code for an expiring offline token and its refresh token. Returns the
        backend; raises UserError saying what was wrong."""
        backend = self._oauth_claim_state(params.get("state"), "shopify")
        if not valid_query_hmac(params, backend.shopify_client_secret):
            raise UserError(_("Shopify's signature of this authorization is wrong: it did not come from Shopify, or "
                              "the client secret on backend %(name)s is not the app's.", name=backend.name))
        shop = params.get("shop") or ""
        if not SHOP_HOSTNAME.match(shop) or shop != backend.shopify_shop_domain:
            raise UserError(_("Shopify authorized the shop %(shop)s, not %(domain)s, the shop of backend %(name)s: "
                              "nothing was connected.", shop=shop, domain=backend.shopify_shop_domain,
                              name=backend.name))
        answer = backend._shopify_call_token_endpoint(
            {"client_id": backend.shopify_client_id, "client_secret": backend.shopify_client_secret,
             "code": params.get("code") or "", "expiring": "1"},
            operation="oauth_install",
        )
        values = backend._store_token(answer)
        backend.write({"state": "connected", "granted_scopes": values["scopes"]})
        return backend

    # ------------------------------------------------------------------
    # Scopes
    # ------------------------------------------------------------------
    def _feature_scopes(self):
        """Shopify's scope names (shopify.dev/docs/api/usage/access-scopes)."""
        if self.code != "shopify":
            return super()._feature_scopes()
        return {
            "products": (_("Products and prices"), ("write_products",)),
            "stock": (_("Stock"), ("write_inventory", "read_locations")),
            "orders": (_("Orders"), ("read_orders", "read_customers")),
            "fulfilment": (_("Fulfilment"), ("write_merchant_managed_fulfillment_orders",)),
        }

    def _has_scope(self, granted, scope):
        if self.code != "shopify":
            return super()._has_scope(granted, scope)
        # "Any scope that writes a resource also grants read access to it."
        action, _sep, resource = scope.partition("_")
        return scope in granted or (action == "read" and "write_" + resource in granted)

    def _scopes_fix_hint(self):
        if self.code != "shopify":
            return super()._scopes_fix_hint()
        return _("Add them to the app's access scopes (Dev Dashboard > your app > Versions, or the app's "
                 "configuration in the store admin), install the new version, then Test connection again.")

    def _shopify_read_scopes(self, client):
        answer = client.execute(docs.APP_SCOPES, operation="app_scopes")["currentAppInstallation"]
        self._store_granted_scopes(scope["handle"] for scope in answer["accessScopes"])

    def _secret_values(self):
        secrets = super()._secret_values()
        secret = self.sudo().shopify_client_secret
        return secrets + ([secret] if secret and len(secret) >= 4 else [])
