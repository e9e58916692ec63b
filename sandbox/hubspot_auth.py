"""How the emulated HubSpot account lets a public app in: OAuth 2.0 with short-lived access tokens.

Written from developers.hubspot.com: "Working with OAuth" and the OAuth quickstart (the install link
``https://app.hubspot.com/oauth/authorize?client_id&scope&redirect_uri&state`` sends the user back to
``redirect_uri?code=...&state=...``, with no signature); the 2026-03 OAuth tokens API, which replaces v1
(turned off on 2027-02-16, changelog "v1 OAuth API deprecation"): ``POST /oauth/2026-03/token``, every
parameter form-encoded in the body, exchanges a code (``grant_type=authorization_code``, ``code``,
``redirect_uri``, ``client_id``, ``client_secret``) or renews (``grant_type=refresh_token``,
``refresh_token``) and answers ``{"token_type": "bearer", "access_token", "refresh_token", "expires_in":
1800, "hub_id", "scopes", ...}``; ``POST /oauth/2026-03/token/introspect`` (``client_id``,
``client_secret``, ``token``) describes a token (``active``, ``scopes``, ``hub_id``...). Errors carry RFC
6749's ``error`` and ``error_description`` beside HubSpot's ``status`` and ``message`` (changelog "New OAuth
v3 API endpoints and standardized error responses").
Not documented, so chosen here: refused token requests answer HTTP 400; the refresh token is not replaced
(HubSpot calls it a long-term credential); the sandbox answers the install link itself (its API address
stands for app.hubspot.com) and the user always approves.
"""

import secrets
from urllib.parse import urlencode

AUTHORIZE_PATH = "/oauth/authorize"
TOKEN_PATH = "/oauth/2026-03/token"
INTROSPECT_PATH = "/oauth/2026-03/token/introspect"
# developers.hubspot.com/docs/api/private-apps, "Show private app access token information": POST with
# {"tokenKey": <the token>} answers {"userId", "hubId", "appId", "scopes"}. An unknown token's answer is not
# documented: the sandbox answers 400 in HubSpot's error shape.
PRIVATE_APP_TOKEN_INFO_PATH = "/oauth/v2/private-apps/get/access-token-info"
ACCESS_TOKEN_LIFETIME = 1800
DEFAULT_SCOPES = (
    "oauth",
    "crm.objects.contacts.read", "crm.objects.contacts.write",
    "crm.objects.companies.read", "crm.objects.companies.write",
    "crm.objects.deals.read", "crm.objects.deals.write",
    "crm.schemas.contacts.read", "crm.schemas.companies.read", "crm.schemas.deals.read",
)


class HubSpotOAuth:
    def __init__(self, clock, client_id, client_secret, *, portal_id, app_id, scopes=DEFAULT_SCOPES):
        self.clock = clock
        self.client_id, self.client_secret = client_id, client_secret
        self.portal_id, self.app_id = portal_id, app_id
        self.initial_scopes = tuple(scopes)
        self.clear()

    def clear(self):
        self.scopes = list(self.initial_scopes)
        self.codes = {}  # code -> redirect_uri
        self.refresh_tokens = set()
        self.issued = {}  # access token -> expiry
        self.grants = []

    def valid(self, token):
        expiry = self.issued.get(token)
        return expiry is not None and self.clock() < expiry

    def expire_all(self):
        for token in self.issued:
            self.issued[token] = self.clock()

    def authorize(self, params):
        """The redirect of an approved install, or None when the link is not the app's."""
        redirect_uri = params.get("redirect_uri")
        if params.get("client_id") != self.client_id or not redirect_uri:
            return None
        code = secrets.token_hex(16)
        self.codes[code] = redirect_uri
        query = {"code": code}
        if params.get("state"):
            query["state"] = params["state"]
        return redirect_uri + ("&" if "?" in redirect_uri else "?") + urlencode(query)

    def token(self, fields):
        """(status, body) of POST /oauth/v1/token."""
        if fields.get("client_id") != self.client_id or fields.get("client_secret") != self.client_secret:
            return 400, _error("BAD_CLIENT_ID", "invalid_client", "missing or invalid client_id or client_secret")
        grant_type = fields.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange(fields)
        if grant_type == "refresh_token":
            if fields.get("refresh_token") not in self.refresh_tokens:
                return 400, _error("BAD_REFRESH_TOKEN", "invalid_grant", "refresh token is invalid, expired or revoked")
            return 200, self._issue(fields["refresh_token"])
        return 400, _error("BAD_GRANT_TYPE", "unsupported_grant_type",
                           "grant_type must be authorization_code or refresh_token")

    def _exchange(self, fields):
        redirect_uri = self.codes.pop(fields.get("code"), None)
        if redirect_uri is None:
            return 400, _error("BAD_AUTH_CODE", "invalid_grant", "missing or invalid auth code")
        if fields.get("redirect_uri") != redirect_uri:
            return 400, _error("BAD_REDIRECT_URI", "invalid_grant", "redirect_uri is not the authorization's")
        refresh = "na1-" + secrets.token_hex(16)
        self.refresh_tokens.add(refresh)
        return 200, self._issue(refresh)

    def _issue(self, refresh):
        token = "CO" + secrets.token_hex(20)
        self.issued[token] = self.clock() + ACCESS_TOKEN_LIFETIME
        self.grants.append(self.clock())
        return {"token_type": "bearer", "access_token": token, "refresh_token": refresh,
                "expires_in": ACCESS_TOKEN_LIFETIME, "hub_id": self.portal_id, "scopes": list(self.scopes),
                "user_id": 1, "token_use": "access"}

    def introspect(self, fields):
        """(status, body) of POST /oauth/2026-03/token/introspect."""
        if fields.get("client_id") != self.client_id or fields.get("client_secret") != self.client_secret:
            return 400, _error("BAD_CLIENT_ID", "invalid_client", "missing or invalid client_id or client_secret")
        token = fields.get("token")
        if not self.valid(token):
            return 200, {"active": False}
        return 200, {"active": True, "token_use": "access", "client_id": self.client_id,
                     "user": "admin@example.com", "hub_domain": "sandbox.hubspot.com", "scopes": list(self.scopes),
                     "hub_id": self.portal_id, "app_id": self.app_id, "user_id": 1, "token_type": "access",
                     "expires_in": int(self.issued[token] - self.clock())}


def private_app_token_info(body, *, token, scopes, portal_id, app_id):
    """(status, body) of the private-app token information endpoint for the account's one private app."""
    if not isinstance(body, dict) or body.get("tokenKey") != token:
        return 400, _error("BAD_TOKEN", "invalid_token", "The access token is not a private app token of this account")
    return 200, {"userId": 1, "hubId": portal_id, "appId": app_id, "scopes": list(scopes)}


def required_scope(endpoint, method, params):
    """The scope HubSpot's CRM object and association references list for a call, or None when the sandbox does
    not check one (the properties and pipelines references list several scopes as alternatives)."""
    if endpoint in ("properties", "property_create", "property_get", "pipelines", "pipeline_get"):
        return None
    reading = (method == "GET" or endpoint in ("search", "assoc_batch_read")
               or (endpoint == "batch" and params.get("action") == "read"))
    return "crm.objects.%s.%s" % (params["otype"], "read" if reading else "write")


def _error(status, error, message):
    return {"error": error, "error_description": message, "status": status, "message": message,
            "correlationId": secrets.token_hex(8)}
