"""Contract tests of how the Shopify sandbox lets an app in, written from shopify.dev:

- apps/build/authentication-authorization/access-tokens/client-credentials-grant and
  apps/build/authentication-authorization/client-secrets: ``POST /admin/oauth/access_token`` with
  ``grant_type=client_credentials``, ``client_id``, ``client_secret``, form-encoded; the answer holds
  ``access_token``, ``scope`` and ``expires_in`` (24 hours).
- docs/api/usage/access-scopes: granted scopes, a write scope granting its read;
  ``currentAppInstallation { accessScopes { handle } }``.
Where Shopify's documentation is silent (the error body of a refused grant, the answer to a field
outside the scopes), the sandbox follows RFC 6749 section 5.2 and Shopify's ACCESS_DENIED errors as
seen in its community answers: see sandbox/shopify_auth.py.
"""

import requests

from sandbox import shopify_documents as docs

SCOPES = "query { currentAppInstallation { accessScopes { handle } } }"


def token(shop, **fields):
    form = {"grant_type": "client_credentials", "client_id": shop.auth.client_id,
            "client_secret": shop.auth.client_secret, **fields}
    return requests.post(shop.url + "/admin/oauth/access_token", data=form, timeout=10)


def test_client_credentials_grant_gives_a_24_hour_token(shop, gql):
    response = token(shop)
    assert response.status_code == 200
    answer = response.json()
    assert answer["expires_in"] == 86399
    assert answer["access_token"].startswith("shpat_")
    assert "read_orders" in answer["scope"].split(",")
    assert gql.raw(docs.SHOP, token=answer["access_token"]).status_code == 200


def test_the_grant_also_takes_json(shop):
    response = requests.post(shop.url + "/admin/oauth/access_token", timeout=10, json={
        "grant_type": "client_credentials", "client_id": shop.auth.client_id,
        "client_secret": shop.auth.client_secret})
    assert response.status_code == 200 and response.json()["access_token"]


def test_wrong_secret_and_wrong_grant_are_refused(shop):
    refused = token(shop, client_secret="rotated")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_client"
    assert token(shop, grant_type="password").json()["error"] == "unsupported_grant_type"
    assert shop.auth.grants == []


def test_expired_token_is_refused_like_a_wrong_one(shop, gql):
    issued = token(shop).json()["access_token"]
    shop.auth.expire_all()
    response = gql.raw(docs.SHOP, token=issued)
    assert response.status_code == 401
    assert "Invalid API key or access token" in response.json()["errors"]


def test_granted_scopes_are_listed(shop, gql):
    handles = {scope["handle"] for scope in gql.data(SCOPES)["currentAppInstallation"]["accessScopes"]}
    assert {"write_products", "read_orders", "write_merchant_managed_fulfillment_orders"} <= handles


def test_a_field_outside_the_scopes_is_access_denied(shop, gql):
    shop.auth.scopes = ["write_products"]
    payload = gql(docs.ORDERS_PAGE, {"first": 5})
    error = payload["errors"][0]
    assert error["extensions"]["code"] == "ACCESS_DENIED"
    assert "read_orders" in error["message"]
    # A write scope grants its read.
    assert "errors" not in gql(docs.PRODUCTS_PAGE, {"first": 5})


def test_fulfillment_orders_are_hidden_without_their_scope(shop, gql):
    order = shop.generate_orders(1, seed=3, cancel_rate=0, refund_rate=0)[0]
    query = "query($id: ID!) { order(id: $id) { fulfillmentOrders(first: 5) { nodes { id } } } }"
    assert gql.data(query, {"id": order["id"]})["order"]["fulfillmentOrders"]["nodes"]
    shop.auth.scopes = ["read_orders"]
    assert gql.data(query, {"id": order["id"]})["order"]["fulfillmentOrders"]["nodes"] == []


def authorize(shop, state="nonce-1"):
    """The consent screen, approved: the redirect to the app's callback, as a dict of its query."""
    from urllib.parse import parse_qsl, urlsplit

    response = requests.get(shop.url + "/admin/oauth/authorize", allow_redirects=False, timeout=10, params={
        "client_id": shop.auth.client_id, "scope": "read_orders", "redirect_uri": "https://odoo.example/cb",
        "state": state})
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.netloc == "odoo.example"
    return dict(parse_qsl(location.query))


def test_consent_redirect_is_signed_as_the_authorization_code_grant_says(shop):
    """shopify.dev, "Implement authorization code grant manually": code, hmac, host, shop, state,
    timestamp; hmac = hex HMAC-SHA256 of the other parameters sorted and joined with &."""
    import hashlib
    import hmac as hmac_

    query = authorize(shop)
    assert {"code", "hmac", "host", "shop", "state", "timestamp"} <= set(query)
    assert query["state"] == "nonce-1" and query["shop"] == shop.shop_domain
    message = "&".join("%s=%s" % (k, v) for k, v in sorted(query.items()) if k != "hmac")
    assert query["hmac"] == hmac_.new(shop.auth.client_secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def test_expiring_offline_token_and_its_rotating_refresh_token(shop, gql):
    """shopify.dev, "About offline access tokens": expiring=1 gives expires_in 3600, refresh_token and
    refresh_token_expires_in 7776000; a refresh gives a new pair; a code is used once."""
    code = authorize(shop)["code"]
    form = {"client_id": shop.auth.client_id, "client_secret": shop.auth.client_secret, "code": code, "expiring": "1"}
    first = requests.post(shop.url + "/admin/oauth/access_token", data=form, timeout=10).json()
    assert first["expires_in"] == 3600 and first["refresh_token_expires_in"] == 7776000
    assert requests.post(shop.url + "/admin/oauth/access_token", data=form, timeout=10).status_code == 400
    refreshed = requests.post(shop.url + "/admin/oauth/access_token", timeout=10, data={
        "client_id": shop.auth.client_id, "client_secret": shop.auth.client_secret,
        "grant_type": "refresh_token", "refresh_token": first["refresh_token"]}).json()
    assert refreshed["refresh_token"] != first["refresh_token"]
    # The old refresh token is kept until the new access token is used (changelog, 2026-08-28).
    assert first["refresh_token"] in shop.auth.refresh_tokens
    assert gql.raw(docs.SHOP, token=refreshed["access_token"]).status_code == 200
    assert first["refresh_token"] not in shop.auth.refresh_tokens
