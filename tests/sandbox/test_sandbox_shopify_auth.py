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
