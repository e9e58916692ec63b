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

import hashlib
import hmac
import secrets
from urllib.parse import urlencode

TOKEN_PATH = "/admin/oauth/access_token"
AUTHORIZE_PATH = "/admin/oauth/authorize"
TOKEN_LIFETIME = 86399
# Expiring offline tokens of the authorization code grant "expire after 60 minutes and come with a refresh
# token" (shopify.dev/changelog, "Offline access tokens now support expiry and refresh", 2025-12-10).
OFFLINE_TOKEN_LIFETIME = 3600
# "refresh_token_expires_in: 7776000" (shopify.dev, "About offline access tokens"): 90 days.
REFRESH_TOKEN_LIFETIME = 7776000

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
        self.codes = {}  # authorization code -> its redirect_uri (single use)
        self.refresh_tokens = {}  # refresh token -> expiry
        self.replaced = {}  # access token -> the refresh token it replaced, kept until the token is used

    def clear(self):
        """Back to the installation: no token issued, the scopes granted at install."""
        for issued in (self.issued, self.grants, self.codes, self.refresh_tokens, self.replaced):
            issued.clear()
        self.scopes = list(self.initial_scopes)

    def valid(self, token):
        if not token:
            return False
        if token == self.static_token:
            return True
        expiry = self.issued.get(token)
        if expiry is None or self.clock() >= expiry:
            return False
        # "Refreshes now retain the previously used refresh token until an app begins using its
        # replacement" (shopify.dev/changelog, 2026-08-28): the first use retires the old one.
        self.refresh_tokens.pop(self.replaced.pop(token, None), None)
        return True

    def expire_all(self):
        """Every issued token expires now (a test's way of reaching the 24th hour)."""
        for token in self.issued:
            self.issued[token] = self.clock()

    def has(self, scope):
        return granted(self.scopes, scope)

    def access_scopes(self):
        return [{"handle": scope, "description": scope.replace("_", " ")} for scope in self.scopes]

    def grant(self, fields):
        """(status, body) of the token endpoint: the client credentials grant, the exchange of an
        authorization code (no grant_type, as Shopify's guide sends it) and the refresh grant."""
        if fields.get("client_id") != self.client_id or fields.get("client_secret") != self.client_secret:
            return 400, {"error": "invalid_client",
                         "error_description": "Client authentication failed: unknown client or wrong secret."}
        grant_type = fields.get("grant_type")
        if grant_type == "client_credentials":
            return 200, self._issue(self.token_lifetime)
        if grant_type == "refresh_token":
            return self._refresh(fields.get("refresh_token"))
        if not grant_type and fields.get("code"):
            return self._exchange(fields["code"], expiring=str(fields.get("expiring")) == "1")
        return 400, {"error": "unsupported_grant_type", "error_description": "Unknown grant_type."}

    def _exchange(self, code, expiring):
        if self.codes.pop(code, None) is None:
            return 400, {"error": "invalid_grant", "error_description": "The authorization code is invalid or used."}
        if expiring:
            return 200, self._issue(OFFLINE_TOKEN_LIFETIME, with_refresh=True)
        return 200, self._issue(None)

    def _issue(self, lifetime, with_refresh=False, replacing=None):
        token = "shpat_" + secrets.token_hex(16)
        self.issued[token] = self.clock() + lifetime if lifetime else float("inf")
        self.grants.append(self.clock())
        answer = {"access_token": token, "scope": ",".join(self.scopes)}
        if lifetime:
            answer["expires_in"] = lifetime
        if with_refresh:
            refresh = "shprt_" + secrets.token_hex(16)
            self.refresh_tokens[refresh] = self.clock() + REFRESH_TOKEN_LIFETIME
            answer.update(refresh_token=refresh, refresh_token_expires_in=REFRESH_TOKEN_LIFETIME)
            if replacing:
                self.replaced[token] = replacing
        return answer

    def _refresh(self, refresh_token):
        expiry = self.refresh_tokens.get(refresh_token)
        if expiry is None or self.clock() >= expiry:
            return 400, {"error": "invalid_grant", "error_description": "The refresh token is invalid or expired."}
        return 200, self._issue(OFFLINE_TOKEN_LIFETIME, with_refresh=True, replacing=refresh_token)

    def authorize(self, params, shop_domain):
        """Where the consent screen sends the merchant once they approve: the app's redirect_uri with
        ``code``, ``hmac``, ``host``, ``shop``, ``state`` and ``timestamp`` (the merchant always approves
        here). None when the request is not the app's."""
        redirect_uri = params.get("redirect_uri")
        if params.get("client_id") != self.client_id or not redirect_uri:
            return None
        code = secrets.token_hex(16)
        self.codes[code] = redirect_uri
        query = {"code": code, "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvc2FuZGJveA", "shop": shop_domain,
                 "state": params.get("state", ""), "timestamp": str(int(self.clock()))}
        query["hmac"] = query_hmac(query, self.client_secret)
        return redirect_uri + ("&" if "?" in redirect_uri else "?") + urlencode(query)


def query_hmac(params, secret):
    """Shopify's signature of a redirect's query: every parameter but ``hmac``, sorted, joined as
    ``key=value`` with ``&``, HMAC-SHA256 with the client secret, in hex."""
    message = "&".join("%s=%s" % (key, value) for key, value in sorted(params.items()) if key != "hmac")
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
