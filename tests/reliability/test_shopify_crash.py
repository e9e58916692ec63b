"""Shopify: a worker killed with ``kill -9`` in the middle of an order-import batch and of a stock push.

The worker is a real Odoo process running the queue as the cron does; the sandbox answers
slowly so that the kill lands while a batch (orders) or the push's calls (stock) are under
way. After the stuck-job recovery (clock moved past its grace) and a restart: every
Shopify order is one sale order bound once, every sandbox stock level is Odoo's quantity,
nothing was applied twice, and no job is left ``running``.
"""

import signal

import pytest

from .shopify_common import (
    assert_each_order_once,
    order_backend,
    push_until_shopify_applied_a_call,
    queue_orders,
    stock_backend_with_push,
    wrong_levels,
)
from .snippets import drain, recover
from .test_crash import kill_mid_batch

pytestmark = pytest.mark.shopify


def test_order_import_survives_kill_9_mid_batch(odoo, shop_factory):
    """80 orders in batches of 10, killed after 20 are done: afterwards 80 sale orders, each once."""
    shop = shop_factory(products=40)
    backend_id = odoo.run(order_backend(shop, batch_size=10))[0]["backend"]
    orders = shop.generate_orders(80, seed=3, cancel_rate=0, refund_rate=0)
    odoo.run(queue_orders(backend_id, [order["id"] for order in orders]))
    shop.faults.set(latency=0.05)
    kill_mid_batch(odoo, backend_id, after_done=20, total=80)
    shop.faults.clear()
    report = odoo.run(recover())[0]
    assert report["running_before"] > 0 and report["running_after"] == 0, report
    assert odoo.run(drain(backend_id))[0]["left"] == 0
    assert odoo.job_states(backend_id) == {"done": 80}
    assert_each_order_once(odoo, backend_id, orders)


def test_stock_push_survives_kill_9_mid_push(odoo, shop_factory):
    """1,000 levels pushed in 4 calls of 250; killed once Shopify applied the first call. The retry
    replays the applied calls by their idempotency key (4 adjustments in all) and every level is right."""
    shop = shop_factory(products=300)
    backend_id, job_id, location, expected = stock_backend_with_push(odoo, shop, 1000, "Reliability Shopify")
    worker = push_until_shopify_applied_a_call(odoo, shop, backend_id, latency=0.5)
    worker.kill(signal.SIGKILL)
    shop.faults.clear()
    assert odoo.job_states(backend_id) == {"running": 1}
    wrong = wrong_levels(shop, location, expected)
    assert 0 < len(wrong) < len(expected), f"the kill should land mid-push: {len(wrong)} levels still to set"

    report = odoo.run(recover())[0]
    assert report["running_after"] == 0, report
    assert odoo.run(drain(backend_id))[0]["left"] == 0
    assert odoo.job_states(backend_id) == {"done": 1}
    assert odoo.scalar("SELECT attempts FROM sync_job WHERE id = %s", [job_id]) == 2
    wrong = wrong_levels(shop, location, expected)
    assert not wrong, f"{len(wrong)} levels wrong in Shopify, e.g. {list(wrong.items())[:3]}"
    reference = f"odoo://sync.backend/{backend_id}/stock"
    groups = [g for g in shop.store.adjustment_groups.values() if g["referenceDocumentUri"] == reference]
    assert len(groups) == 4, f"{len(groups)} adjustments for 4 calls: a call was applied twice"
    dirty = odoo.scalar("SELECT count(*) FROM sync_shopify_stock WHERE backend_id = %s AND dirty", [backend_id])
    assert dirty == 0
