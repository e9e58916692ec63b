"""Two real Odoo workers needing a new Shopify token at the same moment (issue: renewing tokens).

A Dev Dashboard app's token comes from the client credentials grant (shopify.dev, "Get API access tokens
for Dev Dashboard apps"). Two cron workers that both find no valid token must not both ask Shopify:
the renewal holds an advisory lock, and the second worker takes the token the first one stored.
"""

import pytest

pytestmark = pytest.mark.shopify

TOKEN_SETUP = """
backend = env["sync.backend"].create({{
    "name": {name!r}, "code": "shopify", "api_url": {url!r}, "shopify_shop_domain": {domain!r},
    "shopify_auth_method": "client_credentials", "shopify_client_id": {client_id!r},
    "shopify_client_secret": {client_secret!r}, "state": "connected",
}})
emit({{"backend": backend.id}})
"""

TAKE_TOKEN = """
backend = env["sync.backend"].browse({backend_id})
emit({{"token": backend._shopify_access_token()}})
"""


def test_two_workers_renewing_at_once_make_one_token_request(odoo, shop_factory):
    shop = shop_factory(products=1, customers=1, seed=31)
    backend_id = odoo.run(TOKEN_SETUP.format(
        name="Reliability tokens", url=shop.url, domain=shop.shop_domain, client_id=shop.auth.client_id,
        client_secret=shop.auth.client_secret))[0]["backend"]
    shop.faults.set(latency=1.0)  # the token request takes a second: both workers are inside it at once
    workers = [odoo.spawn(TAKE_TOKEN.format(backend_id=backend_id)) for _worker in range(2)]
    tokens = [worker.wait(60).results()[0]["token"] for worker in workers]
    shop.faults.clear()
    assert len(shop.auth.grants) == 1, f"{len(shop.auth.grants)} token requests for one renewal"
    assert tokens[0] == tokens[1] and shop.auth.valid(tokens[0])
