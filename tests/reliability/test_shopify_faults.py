"""20 % of Shopify's answers are 5xx, with 429 (THROTTLED) storms, during a 500-order import
and a 2,000-variant stock push, run by a real Odoo worker as the cron does.

Sizes are the issue's. Everything ends ``done`` (no failed job), the retries show in the
exchange log, each order is one sale order and every stock level in the sandbox is Odoo's.
One worker: two workers importing orders of the same new customers at once deadlock
(test_shopify_concurrency).
"""

import threading

import pytest

from .shopify_common import (
    FAST_CLIENT,
    assert_each_order_once,
    order_backend,
    queue_orders,
    stock_push_setup,
    wrong_levels,
)
from .snippets import drain

pytestmark = pytest.mark.shopify

ORDERS = 500
VARIANTS = 2000


def storms(shop, stop, every=6.0, length=1.5):
    """Every ``every`` seconds, ``length`` seconds of THROTTLED answers, until ``stop`` is set."""
    while not stop.wait(every):
        shop.faults.set(throttle_storm=True)
        stop.wait(length)
        shop.faults.set(throttle_storm=False)


def test_errors_and_throttle_storms_during_import_and_stock_push(odoo, shop_factory):
    shop = shop_factory(products=450)
    backend_id = odoo.run(order_backend(shop, batch_size=20, max_attempts=12))[0]["backend"]
    # Orders first: they move the sandbox's stock, which the push must then overwrite.
    orders = shop.generate_orders(ORDERS, seed=5)
    snippet, location, expected = stock_push_setup(shop, backend_id, VARIANTS)
    odoo.run(snippet)
    odoo.run(queue_orders(backend_id, [order["id"] for order in orders]))
    shop.requests.clear()
    shop.faults.set(error_rate=0.2)
    stop = threading.Event()
    storm = threading.Thread(target=storms, args=(shop, stop), daemon=True)
    storm.start()
    try:
        left = odoo.spawn(FAST_CLIENT + drain(backend_id, limit=400)).wait(420).results()[0]["left"]
    finally:
        stop.set()
        storm.join()
        shop.faults.clear()
    assert left == 0, left
    assert odoo.job_states(backend_id) == {"done": ORDERS + 1}, "no job failed"

    answered = [r.get("status") for r in list(shop.requests)]
    throttled = sum(1 for r in list(shop.requests) if r.get("throttled"))
    assert sum(1 for s in answered if s and s >= 500) >= 50 and throttled >= 5, (len(answered), throttled)
    retried = odoo.scalar("SELECT count(*) FROM sync_job WHERE backend_id = %s AND attempts > 1", [backend_id])
    assert retried >= 1, "a storm outlasts the client's own retries: the queue retries those jobs later"
    statuses = dict(odoo.sql(
        "SELECT status_code, count(*) FROM sync_exchange WHERE backend_id = %s GROUP BY status_code", [backend_id]))
    assert sum(count for status, count in statuses.items() if status and status >= 500) >= 50, statuses
    assert odoo.scalar("SELECT count(*) FROM sync_exchange WHERE backend_id = %s AND response_body LIKE %s",
                       [backend_id, "%THROTTLED%"]) >= 5, "the throttled answers are in the exchange log"

    assert_each_order_once(odoo, backend_id, orders)
    wrong = wrong_levels(shop, location, expected)
    assert not wrong, f"{len(wrong)} levels wrong in Shopify, e.g. {list(wrong.items())[:3]}"
