"""How the emulated shop lets an app in: static tokens, the client credentials grant, granted scopes.

Written from shopify.dev:

- apps/build/authentication-authorization/access-tokens/client-credentials-grant and
  .../client-secrets: ``POST https://{shop}.myshopify.com/admin/oauth/access_token`` with
  ``grant_type=client_credentials``, ``client_id`` and ``client_secret`` (form-encoded in the guide; the
  official Node library sends the same fields as JSON, so both are read); the answer is
  ``{"access_token", "scope", "expires_in"}``, a token valid 24 hours (``expires_in`` 86399).
- api/usage/access-scopes: scopes are ``{read|write}_{resource}``, and "any scope that writes a resource
  also grants read access to it"; ``currentAppInstallation { accessScopes { handle } }`` lists them.

Not documented, so chosen here (and said so in the sandbox README): a refused grant answers HTTP 400
with an OAuth 2.0 error body (RFC 6749 section 5.2: ``{"error": "invalid_client"}``); a new token does
not revoke the previous ones, which stay valid until they expire; an expired or unknown token gets the
same 401 as a wrong static token.
"""

import secrets

TOKEN_PATH = "/admin/oauth/access_token"
TOKEN_LIFETIME = 86399

# What a Dev Dashboard app configured for the whole suite is granted (sync_shopify's readme/CONFIGURE.md).
DEFAULT_SCOPES = (
    "write_products",
    "write_inventory",
    "read_locations",
    "read_orders",
    "read_customers",
    "write_merchant_managed_fulfillment_orders",
    "write_files",
)


def granted(scopes, wanted):
    """Whether ``wanted`` is among ``scopes``, a write scope granting its read."""
    if wanted in scopes:
        return True
    action, _, resource = wanted.partition("_")
    return action == "read" and "write_" + resource in scopes


class ShopifyAuth:
    """The app's credentials, the tokens the shop issued and the scopes it granted."""

    def __init__(self, clock, static_token, client_id, client_secret, scopes=DEFAULT_SCOPES):
        self.clock = clock
        self.static_token = static_token
        self.client_id, self.client_secret = client_id, client_secret
        self.initial_scopes = tuple(scopes)
        self.scopes = list(scopes)
        self.token_lifetime = TOKEN_LIFETIME
        self.issued = {}  # token -> expiry (clock time)
        self.grants = []  # one entry per token issued: the clock time

    def clear(self):
        """Back to the installation: no token issued, the scopes granted at install."""
        self.issued.clear()
        self.grants.clear()
        self.scopes = list(self.initial_scopes)

    def valid(self, token):
        if not token:
            return False
        if token == self.static_token:
            return True
        expiry = self.issued.get(token)
        return expiry is not None and self.clock() < expiry

    def expire_all(self):
        """Every issued token expires now (a test's way of reaching the 24th hour)."""
        for token in self.issued:
            self.issued[token] = self.clock()

    def has(self, scope):
        return granted(self.scopes, scope)

    def access_scopes(self):
        return [{"handle": scope, "description": scope.replace("_", " ")} for scope in self.scopes]

    def grant(self, fields):
        """(status, body) of the token endpoint for the request's fields."""
        if fields.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type",
                         "error_description": "grant_type must be client_credentials"}
        if fields.get("client_id") != self.client_id or fields.get("client_secret") != self.client_secret:
            return 400, {"error": "invalid_client",
                         "error_description": "Client authentication failed: unknown client or wrong secret."}
        token = "shpat_" + secrets.token_hex(16)
        self.issued[token] = self.clock() + self.token_lifetime
        self.grants.append(self.clock())
        return 200, {"access_token": token, "scope": ",".join(self.scopes), "expires_in": self.token_lifetime}
