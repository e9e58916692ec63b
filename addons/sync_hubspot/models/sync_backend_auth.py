from urllib.parse import urlencode

from odoo import _, api, fields, models
from odoo.addons.sync_base.exceptions import SyncAuthError, SyncValidationError
from odoo.exceptions import UserError

# developers.hubspot.com: the 2026-03 OAuth tokens API replaces v1, turned off on 2027-02-16.
TOKEN_PATH = "/oauth/2026-03/token"
INTROSPECT_PATH = "/oauth/2026-03/token/introspect"
AUTHORIZE_URL = "https://app.hubspot.com/oauth/authorize"
CALLBACK_ROUTE = "/sync_hubspot/oauth/callback"
# What each feature reads and writes, in the scope names each object API's reference lists
# (developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/scopes).
CUSTOMER_SCOPES = (
    "crm.objects.contacts.read", "crm.objects.contacts.write",
    "crm.objects.companies.read", "crm.objects.companies.write",
    "crm.schemas.contacts.read", "crm.schemas.companies.read",
)
DEAL_SCOPES = ("crm.objects.deals.read", "crm.objects.deals.write", "crm.schemas.deals.read")
REQUIRED_SCOPES = ("oauth", *CUSTOMER_SCOPES, *DEAL_SCOPES)
# developers.hubspot.com/docs/api/private-apps: what a private app's token may do, and in which account.
PRIVATE_APP_TOKEN_INFO_PATH = "/oauth/v2/private-apps/get/access-token-info"


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    hubspot_auth_method = fields.Selection(
        [("private_app", "Access token of a private app"), ("oauth", "App installed by OAuth (Connect to HubSpot)")],
        string="HubSpot connects with",
        default="private_app",
        required=True,
        help="A private app of the account gives a static access token. A public app is installed by OAuth: "
        "Connect to HubSpot asks the user's consent, and its access tokens (valid 30 minutes) are renewed with "
        "the refresh token.",
    )
    hubspot_client_id = fields.Char("HubSpot client ID", groups="sync_base.group_sync_manager", copy=False)
    hubspot_client_secret = fields.Char(
        "HubSpot client secret", groups="sync_base.group_sync_manager", copy=False,
        help="Also signs the app's webhooks: set it as the webhook secret too.",
    )
    hubspot_portal_id = fields.Char(
        "HubSpot account ID", readonly=True, copy=False,
        help="The account (hub) the backend is connected to, read at the first Test connection or install. Its "
        "bindings are this account's records: a token or an install of another account is refused.",
    )

    def _hubspot_access_token(self, renew_from=None):
        self.ensure_one()
        backend = self.sudo()
        if backend.hubspot_auth_method != "oauth":
            return backend.api_token or ""
        return self._renewable_access_token(renew_from)

    def _hubspot_api_base(self):
        return (self.api_url or "https://api.hubapi.com").rstrip("/")

    def _request_token(self, stored):
        if self.code != "hubspot":
            return super()._request_token(stored)
        if not stored or not stored.refresh_token:
            raise SyncAuthError(_("HubSpot backend %(name)s has no token yet: press Connect to HubSpot on the backend "
                                  "and approve the app, then Retry.", name=self.name))
        return self._hubspot_token_endpoint({"grant_type": "refresh_token", "refresh_token": stored.refresh_token},
                                            operation="token_renewal")

    def _hubspot_token_endpoint(self, fields_, operation, path=TOKEN_PATH):
        """POST to HubSpot's OAuth token API, every parameter in the form body; the decoded answer."""
        backend = self.sudo()
        if not backend.hubspot_client_id or not backend.hubspot_client_secret:
            raise SyncAuthError(_("HubSpot backend %(name)s connects by OAuth and its client ID or secret is missing: "
                                  "copy both from the app's Auth settings in HubSpot.", name=self.name))
        form = dict(fields_, client_id=backend.hubspot_client_id, client_secret=backend.hubspot_client_secret)
        return self._post_token_form(
            self._hubspot_api_base() + path, form, operation,
            lambda status: _(
                "HubSpot refused the OAuth credentials of backend %(name)s (HTTP %(status)s): the app was "
                "uninstalled from the account, its client secret was rotated, or the refresh token was revoked. "
                "Check the client ID and secret, then press Connect to HubSpot again.", name=self.name, status=status),
        )

    def _secret_values(self):
        secrets = super()._secret_values()
        secret = self.sudo().hubspot_client_secret
        return secrets + ([secret] if secret and len(secret) >= 4 else [])

    # ------------------------------------------------------------------
    # Installing by OAuth
    # ------------------------------------------------------------------
    def action_hubspot_connect(self):
        """Send the admin to HubSpot's consent screen; HubSpot comes back to the callback route."""
        self.ensure_one()
        backend = self.sudo()
        if not backend.hubspot_client_id or not backend.hubspot_client_secret:
            raise UserError(_("Set the client ID and the client secret first, then Connect to HubSpot."))
        authorize = (self.api_url.rstrip("/") + "/oauth/authorize") if self.api_url else AUTHORIZE_URL
        query = {
            "client_id": backend.hubspot_client_id,
            "scope": " ".join(REQUIRED_SCOPES),
            "redirect_uri": self.get_base_url() + CALLBACK_ROUTE,
            "state": self._oauth_new_state(),
        }
        return {"type": "ir.actions.act_url", "target": "self", "url": "%s?%s" % (authorize, urlencode(query))}

    @api.model
    def _hubspot_oauth_callback(self, params):
        """Finish an install from HubSpot's redirect: the state (once only), then the code exchanged for
        an access token and its refresh token. HubSpot signs nothing here: the state is the proof."""
        backend = self._oauth_claim_state(params.get("state"), "hubspot")
        if params.get("error"):
            raise UserError(_("HubSpot did not authorize the app (%(error)s): %(description)s",
                              error=params["error"], description=params.get("error_description") or "-"))
        answer = backend._hubspot_token_endpoint(
            {"grant_type": "authorization_code", "code": params.get("code") or "",
             "redirect_uri": self.get_base_url() + CALLBACK_ROUTE},
            operation="oauth_install",
        )
        try:
            backend._hubspot_check_account(answer.get("hub_id"))
        except SyncAuthError as error:
            raise UserError(error.message) from error
        backend._store_token(answer)
        backend.state = "connected"
        return backend

    # ------------------------------------------------------------------
    # What the token may do, and in which account
    # ------------------------------------------------------------------
    def _feature_scopes(self):
        if self.code != "hubspot":
            return super()._feature_scopes()
        return {"customers": (_("Contacts and companies"), CUSTOMER_SCOPES), "deals": (_("Deals"), DEAL_SCOPES)}

    def _scopes_fix_hint(self):
        if self.code != "hubspot":
            return super()._scopes_fix_hint()
        if self.sudo().hubspot_auth_method == "oauth":
            return _("Add them to the app's scopes in HubSpot (the app's Auth settings), press Connect to HubSpot "
                     "again, then Test connection.")
        return _("Add them on the private app's Scopes tab in HubSpot (its token keeps working), then Test "
                 "connection again.")

    def _hubspot_read_token_info(self):
        """Ask HubSpot which scopes the token has and which account it opens; both are kept on the backend."""
        token = self._hubspot_access_token()
        if self.sudo().hubspot_auth_method == "oauth":
            answer = self._hubspot_token_endpoint({"token": token}, operation="token_introspect", path=INTROSPECT_PATH)
            scopes, account = answer.get("scopes"), answer.get("hub_id")
        else:
            try:
                answer = self._hubspot_call("POST", PRIVATE_APP_TOKEN_INFO_PATH, body={"tokenKey": token},
                                            operation="token_info", write=False)
            except SyncValidationError:
                # HubSpot documents this endpoint for private apps; a Service Key or a project app's
                # token may not be described by it. Then nothing is judged missing in advance: a call
                # HubSpot refuses for a scope names the scope (see _raise_for_status).
                self.granted_scopes = False
                return
            scopes, account = answer.get("scopes"), answer.get("hubId")
        self._hubspot_check_account(account)
        self._store_granted_scopes(scopes or [])

    def _hubspot_check_account(self, account):
        """Keep the account a token opens; refuse one of another account than the backend's."""
        account = str(account or "")
        if not account:
            return
        if self.hubspot_portal_id and self.hubspot_portal_id != account:
            raise SyncAuthError(_(
                "The token opens HubSpot account %(account)s, but backend %(name)s is connected to account "
                "%(known)s, whose records its bindings are. Use a token of account %(known)s, or create another "
                "backend for account %(account)s.", account=account, name=self.name, known=self.hubspot_portal_id))
        self.hubspot_portal_id = account
