"""Shopify webhooks: headers, HMAC computed independently, JSON and XML,
retries with backoff, and the webhook faults."""

import base64
import hashlib
import hmac
import json
import uuid

import xmltodict

from sandbox import shopify_documents as docs


def expected_hmac(secret, body):
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def one_order(shop):
    return shop.generate_orders(1, seed=21, cancel_rate=0, refund_rate=0)[0]


def test_orders_create_headers_and_hmac(shop, receiver):
    shop.subscribe("orders/create", receiver.url)
    order = one_order(shop)
    call = receiver.wait_for(1)[0]
    headers = call["headers"]
    assert headers["X-Shopify-Topic"] == "orders/create"
    assert headers["X-Shopify-Hmac-Sha256"] == expected_hmac("sandbox-shopify-app-secret", call["body"])
    assert headers["X-Shopify-Shop-Domain"] == "sandbox-shop.myshopify.com"
    assert headers["X-Shopify-API-Version"] == "2026-04"
    uuid.UUID(headers["X-Shopify-Webhook-Id"])
    uuid.UUID(headers["X-Shopify-Event-Id"])
    assert headers["X-Shopify-Triggered-At"].endswith("Z")
    assert headers["Content-Type"] == "application/json"
    body = json.loads(call["body"])
    assert body["admin_graphql_api_id"] == order["id"]
    assert body["id"] == int(order["id"].rsplit("/", 1)[1])
    assert len(body["line_items"]) == len(order["lineItems"])


def test_xml_format_is_signed_over_the_raw_body(shop, receiver):
    shop.subscribe("orders/create", receiver.url, fmt="XML")
    order = one_order(shop)
    call = receiver.wait_for(1)[0]
    assert call["headers"]["Content-Type"] == "application/xml"
    assert call["headers"]["X-Shopify-Hmac-Sha256"] == expected_hmac(shop.app_secret, call["body"])
    parsed = xmltodict.parse(call["body"])
    assert parsed["order"]["admin-graphql-api-id"] == order["id"]


def test_subscription_made_over_graphql_receives_events(gql, shop, receiver):
    gql.data(docs.WEBHOOK_SUBSCRIPTION_CREATE, {"topic": "PRODUCTS_UPDATE", "sub": {"uri": receiver.url}})
    product = next(iter(shop.store.products.values()))
    gql.data(
        docs.VARIANTS_BULK_UPDATE,
        {"productId": product["id"], "variants": [{"id": product["_variant_ids"][0], "price": "3.00"}]},
    )
    call = receiver.wait_for(1)[0]
    assert call["headers"]["X-Shopify-Topic"] == "products/update"
    assert json.loads(call["body"])["variants"][0]["price"] == "3.00"


def test_state_changes_fire_their_topics(shop, receiver):
    for topic in ("orders/updated", "orders/cancelled", "inventory_levels/update", "app/uninstalled"):
        shop.subscribe(topic, receiver.url)
    order = one_order(shop)
    shop.webhooks.drain()
    receiver.calls.clear()
    shop.cancel_order(order["id"])
    (item_id, location_id) = next(iter(shop.store.levels))
    shop.set_inventory(item_id, location_id, 42)
    shop.uninstall_app()
    shop.webhooks.drain()
    topics = [c["headers"]["X-Shopify-Topic"] for c in receiver.calls]
    assert "orders/cancelled" in topics and "orders/updated" in topics
    assert topics[-1] == "app/uninstalled"
    levels = [
        json.loads(c["body"]) for c in receiver.calls if c["headers"]["X-Shopify-Topic"] == "inventory_levels/update"
    ]
    assert {"inventory_item_id": int(item_id.rsplit("/", 1)[1]), "available": 42}.items() <= levels[-1].items()
    # after uninstall the token no longer works
    assert requestsless_status(shop) == 401


def requestsless_status(shop):
    import requests

    return requests.post(
        shop.graphql_url, json={"query": docs.SHOP}, headers={"X-Shopify-Access-Token": shop.access_token}
    ).status_code


def test_failed_deliveries_are_retried_with_the_same_ids(shop, receiver):
    receiver.statuses = [500, 503]
    shop.subscribe("orders/create", receiver.url)
    one_order(shop)
    calls = receiver.wait_for(3)
    assert [c["status"] for c in calls] == [500, 503, 200]
    assert len({c["headers"]["X-Shopify-Webhook-Id"] for c in calls}) == 1
    assert shop.webhooks.drain()
    assert shop.webhooks.deliveries[0]["attempts"] == [500, 503, 200]
    assert shop.webhooks.deliveries[0]["delivered"]


def test_delivery_gives_up_after_the_backoff_schedule(shop, receiver):
    receiver.statuses = [500] * 10
    shop.subscribe("orders/create", receiver.url)
    one_order(shop)
    assert shop.webhooks.drain()
    delivery = shop.webhooks.deliveries[0]
    assert delivery["attempts"] == [500] * (len(shop.webhooks.retry_delays) + 1)
    assert delivery["gave_up"] and not delivery["delivered"]


def test_duplicate_webhooks_fault(shop, receiver):
    shop.subscribe("orders/create", receiver.url)
    shop.faults.set(duplicate_webhooks=True)
    one_order(shop)
    calls = receiver.wait_for(2)
    assert calls[0]["body"] == calls[1]["body"]
    assert calls[0]["headers"]["X-Shopify-Webhook-Id"] == calls[1]["headers"]["X-Shopify-Webhook-Id"]


def test_duplicate_webhooks_fault_with_a_count(shop, receiver):
    shop.subscribe("orders/create", receiver.url)
    shop.faults.set(duplicate_webhooks=2)
    one_order(shop)
    calls = receiver.wait_for(3)
    assert len({c["body"] for c in calls}) == 1
    assert len({c["headers"]["X-Shopify-Event-Id"] for c in calls}) == 1
    assert shop.webhooks.drain() and len(shop.webhooks.deliveries) == 3


def test_out_of_order_webhooks_fault(shop, receiver):
    shop.subscribe("orders/create", receiver.url)
    shop.faults.set(out_of_order_webhooks=True)
    orders = shop.generate_orders(2, seed=4, cancel_rate=0, refund_rate=0)
    calls = receiver.wait_for(2)
    received = [json.loads(c["body"])["admin_graphql_api_id"] for c in calls]
    assert received == [orders[1]["id"], orders[0]["id"]]


def test_bad_hmac_fault(shop, receiver):
    shop.subscribe("orders/create", receiver.url)
    shop.faults.set(bad_hmac=True)
    one_order(shop)
    call = receiver.wait_for(1)[0]
    assert call["headers"]["X-Shopify-Hmac-Sha256"] != expected_hmac(shop.app_secret, call["body"])


def test_compliance_webhooks_carry_the_documented_bodies(shop, receiver):
    """shopify.dev/docs/apps/build/compliance/privacy-law-compliance: customers/data_request carries the
    shop, the customer (id, email, phone), orders_requested and data_request.id; customers/redact
    orders_to_redact; shop/redact only the shop. Numeric ids; signed like every webhook."""
    order = next(o for o in shop.generate_orders(10, seed=21, cancel_rate=0, refund_rate=0) if o["_customer_id"])
    customer = shop.store.customers[order["_customer_id"]]
    shop.send_compliance_webhook(receiver.url, "customers/data_request", customer, [order], data_request_id=42)
    shop.send_compliance_webhook(receiver.url, "customers/redact", customer, [order])
    shop.send_compliance_webhook(receiver.url, "shop/redact")
    calls = receiver.wait_for(3)
    bodies = {call["headers"]["X-Shopify-Topic"]: json.loads(call["body"]) for call in calls}
    numeric_order = int(order["id"].rsplit("/", 1)[1])
    request = bodies["customers/data_request"]
    assert request["shop_domain"] == "sandbox-shop.myshopify.com" and isinstance(request["shop_id"], int)
    assert request["customer"]["email"] == customer["email"] and isinstance(request["customer"]["id"], int)
    assert request["orders_requested"] == [numeric_order] and request["data_request"] == {"id": 42}
    assert bodies["customers/redact"]["orders_to_redact"] == [numeric_order]
    assert set(bodies["shop/redact"]) == {"shop_id", "shop_domain"}
    for call in calls:
        assert call["headers"]["X-Shopify-Hmac-Sha256"] == expected_hmac("sandbox-shopify-app-secret", call["body"])
