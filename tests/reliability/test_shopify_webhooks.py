"""Shopify order webhooks against a real Odoo server: every delivery three times, in swapped pairs.

The sandbox sends each event three times with the same event id, and holds one delivery
back so that each pair arrives newest first (an order's cancellation before its
creation). The server stores each event once and queues one import per order; the
import reads the order as Shopify has it now, so the latest state wins.
"""

import collections

import pytest

from .conftest import http_port
from .shopify_common import assert_each_order_once, order_backend
from .snippets import drain

pytestmark = pytest.mark.shopify

TOPICS = ("orders/create", "orders/updated", "orders/cancelled")


def sale_orders(odoo, backend_id):
    """{client ref: (state, Shopify financial status)} of the backend's sale orders."""
    rows = odoo.sql("SELECT client_order_ref, state, shopify_financial_status FROM sale_order "
                    "WHERE shopify_backend_id = %s", [backend_id])
    return {ref: (state, status) for ref, state, status in rows}


def deliver(shop):
    assert shop.webhooks.drain(90), "the sandbox could not deliver its webhooks"
    refused = [(d["meta"]["topic"], d["attempts"]) for d in shop.webhooks.deliveries if not d["delivered"]]
    assert not refused, f"deliveries not accepted: {refused[:5]}"


def test_order_webhooks_three_times_out_of_order_latest_state_wins(odoo, shop_factory):
    shop = shop_factory(products=20, customers=6, seed=31)
    backend_id = odoo.run(order_backend(shop, batch_size=10, name="Reliability Shopify webhooks"))[0]["backend"]
    port = http_port()
    odoo.start_server(http_port=port, log_name="shopify-webhook-server")
    url = f"http://127.0.0.1:{port}/sync_shopify/webhook/{backend_id}"
    for topic in TOPICS:
        shop.subscribe(topic, url)
    shop.faults.set(duplicate_webhooks=2, out_of_order_webhooks=True)

    # Round 1: changes made before Odoo saw the orders (their webhooks overtake the creations).
    orders = shop.generate_orders(6, seed=9, cancel_rate=0, refund_rate=0)
    for order in orders[:2]:
        shop.cancel_order(order["id"])
    for order in orders[2:4]:
        shop.refund_order(order["id"], {order["lineItems"][0]["id"]: 1})
    deliver(shop)
    assert odoo.run(drain(backend_id))[0]["left"] == 0
    # Round 2: a change after the import, delivered three times, out of order, while the queue runs.
    shop.cancel_order(orders[4]["id"])
    shop.refund_order(orders[5]["id"], {orders[5]["lineItems"][0]["id"]: 1})
    worker = odoo.spawn(drain(backend_id, limit=60, sleep=0.5))
    deliver(shop)
    worker.wait(90)
    assert odoo.run(drain(backend_id))[0]["left"] == 0
    shop.faults.clear()

    sent = collections.Counter(d["headers"]["X-Shopify-Event-Id"] for d in shop.webhooks.deliveries)
    assert set(sent.values()) == {3}, "the sandbox delivered every event three times"
    stored = collections.Counter(row[0] for row in odoo.sql(
        "SELECT event_id FROM sync_shopify_webhook WHERE backend_id = %s", [backend_id]))
    assert stored == dict.fromkeys(sent, 1), "each event is stored exactly once"
    assert odoo.job_states(backend_id) == {"done": odoo.scalar(
        "SELECT count(*) FROM sync_job WHERE backend_id = %s", [backend_id])}, odoo.job_states(backend_id)
    assert_each_order_once(odoo, backend_id, orders)
    expected = {
        orders[0]["name"]: ("cancel", "REFUNDED"), orders[1]["name"]: ("cancel", "REFUNDED"),
        orders[2]["name"]: ("sale", "PARTIALLY_REFUNDED"), orders[3]["name"]: ("sale", "PARTIALLY_REFUNDED"),
        orders[4]["name"]: ("cancel", "REFUNDED"), orders[5]["name"]: ("sale", "PARTIALLY_REFUNDED"),
    }
    assert sale_orders(odoo, backend_id) == expected
