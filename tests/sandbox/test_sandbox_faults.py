"""Each fault mode, on both servers, from Python and over the control endpoint."""

import time

import pytest
import requests

from sandbox import HubSpotSandbox, ShopifySandbox
from sandbox import shopify_documents as docs


def shopify_read(shop):
    return requests.post(
        shop.graphql_url, json={"query": docs.SHOP}, headers={"X-Shopify-Access-Token": shop.access_token}, timeout=5
    )


def shopify_write(shop, email):
    return requests.post(
        shop.graphql_url,
        headers={"X-Shopify-Access-Token": shop.access_token},
        timeout=5,
        json={"query": docs.CUSTOMER_SET, "variables": {"input": {"email": email}}},
    )


def hubspot_read(hub):
    return requests.get(
        hub.url + "/crm/v3/objects/contacts", headers={"Authorization": "Bearer " + hub.token}, timeout=5
    )


def hubspot_write(hub, email):
    return requests.post(
        hub.url + "/crm/v3/objects/contacts",
        headers={"Authorization": "Bearer " + hub.token},
        json={"properties": {"email": email}},
        timeout=5,
    )


@pytest.fixture(params=["shopify", "hubspot"])
def target(request, shop, hub):
    """(server, read, write, found(email)) for both emulators."""
    if request.param == "shopify":
        return (
            shop,
            lambda: shopify_read(shop),
            lambda e: shopify_write(shop, e),
            lambda e: shop.store.find_customer(email=e) is not None,
        )
    return (
        hub,
        lambda: hubspot_read(hub),
        lambda e: hubspot_write(hub, e),
        lambda e: any(r["properties"].get("email") == e for r in hub.store.objects["contacts"].values()),
    )


def test_error_rate_one_fails_everything_with_5xx(target):
    server, read, write, found = target
    server.faults.set(error_rate=1.0)
    statuses = {read().status_code for _ in range(10)}
    assert statuses <= {500, 502, 503} and statuses
    assert write("never@x.org").status_code >= 500 and not found("never@x.org")
    server.faults.clear()
    assert read().status_code == 200


def test_error_rate_is_seeded_and_reproducible():
    def pattern():
        server = HubSpotSandbox(seed=7, contacts=1, companies=0, deals=0).start()
        try:
            server.faults.set(error_rate=0.5)
            return [hubspot_read(server).status_code for _ in range(12)]
        finally:
            server.stop()

    first, second = pattern(), pattern()
    assert first == second
    assert 200 in first and any(status >= 500 for status in first)


def test_drop_after_write_applies_then_closes(target):
    server, read, write, found = target
    server.faults.set(drop_after_write=1)
    assert read().status_code == 200  # reads are not dropped and do not use the token
    with pytest.raises(requests.ConnectionError):
        write("dropped@x.org")
    assert found("dropped@x.org")  # the write happened although the client saw nothing
    assert server.requests[-1]["dropped"] is True
    assert write("second@x.org").status_code in (200, 201)


def test_down_closes_every_api_connection(target):
    server, read, _write, _found = target
    server.faults.set(down=True)
    with pytest.raises(requests.ConnectionError):
        read()
    control = requests.get(server.url + "/_sandbox/faults", timeout=5)
    assert control.json()["down"] is True
    requests.post(server.url + "/_sandbox/faults", json={"down": False}, timeout=5)
    assert read().status_code == 200


def test_latency(target):
    server, read, _write, _found = target
    server.faults.set(latency=0.3)
    started = time.monotonic()
    assert read().status_code == 200
    assert time.monotonic() - started >= 0.3


def test_throttle_storm_on_shopify(shop):
    shop.faults.set(throttle_storm=True)
    payload = shopify_read(shop).json()
    assert payload["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert payload["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 0


def test_throttle_storm_on_hubspot(hub):
    hub.faults.set(throttle_storm=True)
    response = hubspot_read(hub)
    assert response.status_code == 429
    assert response.json()["category"] == "RATE_LIMITS"


def test_unknown_fault_is_refused(shop):
    with pytest.raises(ValueError):
        shop.faults.set(gremlins=True)
    response = requests.post(shop.url + "/_sandbox/faults", json={"gremlins": True}, timeout=5)
    assert response.status_code == 400


def test_control_endpoint_requests_reset_and_clear(shop):
    shopify_read(shop)
    recorded = requests.get(shop.url + "/_sandbox/requests", timeout=5).json()
    assert recorded[-1]["path"] == "/admin/api/2026-04/graphql.json"
    assert recorded[-1]["operation_name"] == "Shop"
    requests.delete(shop.url + "/_sandbox/requests", timeout=5)
    assert requests.get(shop.url + "/_sandbox/requests", timeout=5).json() == []
    requests.post(shop.url + "/_sandbox/faults", json={"error_rate": 1.0}, timeout=5)
    assert shopify_read(shop).status_code >= 500
    requests.post(shop.url + "/_sandbox/faults", json={"clear": True}, timeout=5)
    assert shopify_read(shop).status_code == 200
    shopify_write(shop, "reset-me@x.org")
    orders = requests.post(shop.url + "/_sandbox/orders", json={"count": 2, "seed": 1}, timeout=5).json()["orders"]
    assert len(orders) == 2 and len(shop.store.orders) == 2
    requests.post(shop.url + "/_sandbox/reset", timeout=5)
    assert shop.store.find_customer(email="reset-me@x.org") is None and not shop.store.orders
    assert requests.get(shop.url + "/_sandbox/state", timeout=5).json()["products"] == 30


def test_hubspot_control_sets_webhook_target(hub, receiver):
    requests.post(hub.url + "/_sandbox/webhook-target", json={"url": receiver.url}, timeout=5)
    hub.create_object("contacts", {"email": "ui@x.org"})
    assert receiver.wait_for(1)
    assert hub.webhooks.drain()
    deliveries = requests.get(hub.url + "/_sandbox/webhooks", timeout=5).json()
    assert deliveries[0]["delivered"] is True and deliveries[0]["meta"]["events"] == ["contact.creation"]


def test_python_api_names(shop, hub):
    assert shop.graphql_url == shop.url + "/admin/api/2026-04/graphql.json"
    assert shop.shop_domain.endswith(".myshopify.com")
    assert shop.access_token and shop.app_secret and hub.token and hub.client_secret
    assert isinstance(ShopifySandbox(products=1, customers=1).store.products, dict)
