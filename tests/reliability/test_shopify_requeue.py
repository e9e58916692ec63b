"""A job put back in the queue while a newer job with the same dedup key is already pending.

The realtime stock push is one deduplicated job (``shopify_stock_push``): while one push
runs, the next stock change queues a new pending one. When the running push is then put
back to ``pending`` (its worker was killed and the recovery cron frees it, or it failed
with a retryable error), the queue must fold it into the pending one, not crash on the
"one pending job per dedup key" index, and nothing may stay ``running``.
"""

import signal

import pytest

from .conftest import wait_until
from .shopify_common import FAST_CLIENT, stock_backend_with_push, wrong_levels
from .snippets import drain, recover

pytestmark = pytest.mark.shopify


QUEUE_PUSH = """
backend = env["sync.backend"].browse({backend_id})
env.cr.execute("UPDATE sync_shopify_stock SET dirty = TRUE WHERE backend_id = %s", [backend.id])
emit({{"job": backend._shopify_queue_stock_push().id}})
"""


def running_push(odoo, shop, backend_id, *, kill):
    """A worker inside the stock push (killed or not), and a newer push queued meanwhile."""
    worker = odoo.spawn(FAST_CLIENT + drain(backend_id, limit=30))
    wait_until(lambda: any("inventorySetQuantities" in r["body"] for r in list(shop.requests)), 60, 0.01,
               "the push to call Shopify")
    if kill:
        worker.kill(signal.SIGKILL)
    newer = odoo.run(QUEUE_PUSH.format(backend_id=backend_id))[0]["job"]
    return worker, newer


def test_recovery_folds_a_killed_push_into_the_pending_one(odoo, shop_factory):
    shop = shop_factory(products=60)
    backend_id, _job, location, expected = stock_backend_with_push(odoo, shop, 200, "Reliability requeue")
    shop.faults.set(latency=0.5)
    running_push(odoo, shop, backend_id, kill=True)
    shop.faults.clear()
    assert odoo.job_states(backend_id) == {"running": 1, "pending": 1}
    report = odoo.run(recover())[0]
    assert report["running_after"] == 0, report
    assert odoo.run(drain(backend_id))[0]["left"] == 0
    assert "running" not in odoo.job_states(backend_id) and "failed" not in odoo.job_states(backend_id)
    assert not wrong_levels(shop, location, expected)


def test_a_failed_push_retried_while_a_newer_one_is_pending(odoo, shop_factory):
    shop = shop_factory(products=60)
    backend_id, _job, location, expected = stock_backend_with_push(odoo, shop, 200, "Reliability retry")
    shop.faults.set(latency=0.3, error_rate=1.0)  # every call a 5xx: the push fails, retryable
    worker, _newer = running_push(odoo, shop, backend_id, kill=False)
    text = worker.wait(60).text()
    shop.faults.clear()
    assert "EXIT 0" in text, f"the worker crashed:\n{text[-1500:]}"
    assert odoo.run(drain(backend_id))[0]["left"] == 0
    assert "running" not in odoo.job_states(backend_id) and "failed" not in odoo.job_states(backend_id)
    assert not wrong_levels(shop, location, expected)
