"""Two real Odoo workers on the same Shopify backend at once (what two cron workers do).

Each worker runs its claimed batch in one transaction. Whatever one batch locks stays
locked until that batch commits, and both workers may fail jobs at the same moment: the
queue must still end with every job done (or failed for its own reason), and no worker
may crash, which would leave its batch ``running`` until the stuck-job recovery.
"""

import pytest

from .conftest import wait_until
from .shopify_common import assert_each_order_once, order_backend, queue_orders
from .snippets import drain

pytestmark = pytest.mark.shopify


def orders_for(shop, customers, sku=None):
    """One single-line order per customer in ``customers`` (sandbox customers), in that order;
    ``sku``: the line's SKU, one Odoo does not know."""
    variant = next(v for v in shop.store.variants.values() if v.get("sku") and float(v["price"]) > 0)
    with shop.lock:
        orders = [shop.store.create_order(customer, [(variant, 1)]) for customer in customers]
        for order in orders:
            for line in order["lineItems"]:
                line["sku"] = sku or line["sku"]
        return orders


def job_rows(odoo, backend_id):
    return odoo.sql("SELECT state, failure_type, failure_reason FROM sync_job WHERE backend_id = %s ORDER BY id",
                    [backend_id])


def start_two_workers(odoo, backend_id, first_batch):
    """Worker A claims the first batch, worker B the next one while A is still inside its batch."""
    first = odoo.spawn(drain(backend_id, limit=30))
    wait_until(lambda: odoo.job_states(backend_id).get("running", 0) >= first_batch, 30, 0.01,
               "worker A to claim its batch")
    return first, odoo.spawn(drain(backend_id, limit=30))


def test_two_workers_meeting_the_same_new_customers_both_finish(odoo, shop_factory):
    """Batches of two: A imports orders of customers X then Y, B of Y then X (new customers)."""
    shop = shop_factory(products=5, customers=2, seed=21)
    backend_id = odoo.run(order_backend(shop, batch_size=2, name="Reliability deadlock"))[0]["backend"]
    x, y = list(shop.store.customers.values())
    orders = orders_for(shop, [x, y, y, x])
    odoo.run(queue_orders(backend_id, [order["id"] for order in orders]))
    shop.faults.set(latency=1.0)  # each job reads its order for a second: the two batches overlap
    workers = start_two_workers(odoo, backend_id, 2)
    for worker in workers:
        worker.wait(60)
    shop.faults.clear()
    rows = job_rows(odoo, backend_id)
    assert all(row[0] == "done" for row in rows), f"jobs not done: {rows}"
    assert [worker.results()[0]["left"] for worker in workers] == [0, 0]
    assert_each_order_once(odoo, backend_id, orders)


def test_two_workers_failing_jobs_at_once_neither_crashes(odoo, shop_factory):
    """Orders whose SKU has no product fail for good (a mapping error) in two workers at the same
    moment: both jobs end failed with the reason, both workers finish, the responsible gets one activity."""
    shop = shop_factory(products=5, customers=2, seed=22)
    backend_id = odoo.run(order_backend(shop, batch_size=1, name="Reliability notify"))[0]["backend"]
    orders = orders_for(shop, list(shop.store.customers.values()), sku="RELIABILITY-NO-SUCH-SKU")
    odoo.run(queue_orders(backend_id, [order["id"] for order in orders]))
    shop.faults.set(latency=1.0)
    workers = start_two_workers(odoo, backend_id, 1)
    texts = [worker.wait(60).text() for worker in workers]
    shop.faults.clear()
    crashed = [text[-1500:] for text in texts if "EXIT 0" not in text]
    assert not crashed, f"a worker crashed:\n{crashed[0] if crashed else ''}"
    rows = [row[:2] for row in job_rows(odoo, backend_id)]
    assert rows == [("failed", "mapping")] * 2, rows
    activities = odoo.scalar(
        "SELECT count(*) FROM mail_activity WHERE res_model = 'sync.backend' AND res_id = %s", [backend_id])
    assert activities == 1, f"{activities} activities for one kind of failure"
