"""What Shopify shows is Odoo's free stock (on hand - reserved), and Odoo's stock work never
pays for it.

A sale order confirmed in Odoo reserves units; the published quantity drops, so the
realtime stock push must send it. Stock moved in Odoo while a push runs (in another real
Odoo process) neither waits for the push nor fails, and reaches the store at the next push.
"""

import pytest

from .shopify_common import push_until_shopify_applied_a_call, stock_backend_with_push, wrong_levels
from .snippets import drain

pytestmark = pytest.mark.shopify

SELL = """
backend = env["sync.backend"].browse({backend_id})
row = env["sync.shopify.stock"].search([("backend_id", "=", backend.id)], limit=1)
order = env["sale.order"].create({{
    "partner_id": env["res.partner"].create({{"name": "Reliability reservation"}}).id,
    "order_line": [(0, 0, {{"product_id": row.product_id.id, "product_uom_qty": 3}})],
}})
order.action_confirm()
emit({{"reserved": sum(order.picking_ids.move_ids.mapped("quantity")), "item": row.inventory_item_gid,
       "pushes": env["sync.job"].search_count([("backend_id", "=", backend.id), ("operation", "=", "stock_push"),
                                              ("state", "=", "pending")])}})
"""


def test_a_reservation_in_odoo_reaches_shopify(odoo, shop_factory):
    shop = shop_factory(products=5)
    backend_id, _job, location, expected = stock_backend_with_push(odoo, shop, 1, "Reliability reservation")
    assert odoo.run(drain(backend_id))[0]["left"] == 0
    assert not wrong_levels(shop, location, expected), "the first push sets Odoo's quantity"
    sold = odoo.run(SELL.format(backend_id=backend_id))[0]
    assert sold["reserved"] == 3, sold
    odoo.run(drain(backend_id))
    item = sold["item"]
    expected[item] -= 3
    assert not wrong_levels(shop, location, expected), (
        f"Shopify still shows {shop.store.levels[(item, location)]['_quantities']['available']} after Odoo reserved "
        f"3 of {expected[item] + 3} (a push was queued: {bool(sold['pushes'])})")


# Inventory adjustments committed one by one, as staff or a script would make them; what the suite's
# guard in Odoo's flows logs (a failure it kept out of the operation) is counted.
ADJUST = """
import logging, time
failures = []
handler = logging.Handler()
handler.emit = lambda record: failures.append(record.getMessage())
logging.getLogger("odoo.addons.sync_base.flows").addHandler(handler)
backend = env["sync.backend"].browse({backend_id})
rows = env["sync.shopify.stock"].search([("backend_id", "=", backend.id)], order="id", limit={count})
location = backend.shopify_location_ids.location_ids[:1]
slowest = 0.0
for row in rows:
    started = time.monotonic()
    env["stock.quant"]._update_available_quantity(row.product_id, location, {add})
    env.cr.commit()
    slowest = max(slowest, time.monotonic() - started)
logging.getLogger("odoo.addons.sync_base.flows").removeHandler(handler)
emit({{"items": rows.mapped("inventory_item_gid"), "failures": failures, "slowest": slowest}})
"""


def test_stock_moved_in_odoo_during_a_push_neither_waits_nor_fails_and_reaches_the_store(odoo, shop_factory):
    """1,000 levels pushed in 4 calls by a worker, the sandbox slow; once Shopify applied the first call
    (its rows written, held by the push until it ends), 20 of those products are adjusted in Odoo, one
    commit each. Before the change log, each adjustment waited for the push and then failed on a
    serialization error its guard swallowed: the store never learnt of it."""
    shop = shop_factory(products=300)
    backend_id, _job, location, expected = stock_backend_with_push(odoo, shop, 1000, "Reliability stock race")
    worker = push_until_shopify_applied_a_call(odoo, shop, backend_id, latency=0.4)
    adjusted = odoo.run(ADJUST.format(backend_id=backend_id, count=20, add=5))[0]
    still_pushing = worker.alive()
    worker.wait()
    shop.faults.clear()
    assert adjusted["failures"] == [], adjusted["failures"]
    assert still_pushing, (
        f"the adjustments should have been made while the push ran (slowest took {adjusted['slowest']:.1f} s)")
    assert odoo.run(drain(backend_id))[0]["left"] == 0
    for item in adjusted["items"]:
        expected[item] += 5
    wrong = wrong_levels(shop, location, expected)
    assert not wrong, f"{len(wrong)} levels wrong in Shopify, e.g. {list(wrong.items())[:3]}"
