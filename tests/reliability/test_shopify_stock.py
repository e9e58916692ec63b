"""What Shopify shows is Odoo's free stock (on hand - reserved): a reservation must reach it too.

A sale order confirmed in Odoo reserves units; the published quantity drops, so the
realtime stock push must send it.
"""

import pytest

from .shopify_common import stock_backend_with_push, wrong_levels
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
