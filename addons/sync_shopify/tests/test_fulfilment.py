from odoo.tests import tagged

from .order_common import ShopifyOrderCase


@tagged("post_install", "-at_install")
class TestFulfilment(ShopifyOrderCase):
    def _ship(self, sale, quantities, tracking):
        picking = sale.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        for move in picking.move_ids:
            move.quantity = quantities(move)
            move.picked = True
        picking.carrier_tracking_ref = tracking
        picking._action_done()
        return picking

    def test_partial_delivery_creates_a_partial_fulfilment_with_tracking(self):
        order = next(o for o in self.shop.generate_orders(10, seed=5, cancel_rate=0, refund_rate=0)
                     if any(li["quantity"] > 1 for li in o["lineItems"]))
        self.import_orders([order])
        sale = self.sale_of(order)
        picking = self._ship(sale, lambda move: move.product_uom_qty - 1 if move.product_uom_qty > 1 else 0, "TRK-1")
        job = self.jobs("fulfilment_export")
        self.assertEqual((job.state, job.res_id), ("pending", picking.id))
        self.run_queue()
        self.assertEqual(job.state, "done", job.failure_reason)
        shopify_order = self.shop.store.orders[order["id"]]
        self.assertEqual(shopify_order["displayFulfillmentStatus"], "PARTIALLY_FULFILLED")
        fulfilment = shopify_order["fulfillments"][0]
        self.assertEqual(fulfilment["trackingInfo"][0]["number"], "TRK-1")
        shipped = sum(move.quantity for move in picking.move_ids)
        self.assertEqual(fulfilment["totalQuantity"], shipped)
        self.assertEqual(self.binding(picking, "fulfillment").external_id, fulfilment["id"])

        # The rest ships from the backorder: the second fulfilment closes the order.
        self._ship(sale, lambda move: move.product_uom_qty, "TRK-2")
        self.run_queue()
        self.assertEqual(shopify_order["displayFulfillmentStatus"], "FULFILLED")

    def test_retry_is_idempotent(self):
        order = self.new_orders()[0]
        self.import_orders([order])
        picking = self._ship(self.sale_of(order), lambda move: move.product_uom_qty, "TRK-9")
        self.run_queue()
        self.backend._enqueue("fulfilment_export", record=picking, category="order", dedup_key=False)
        self.run_queue()
        self.assertEqual(len(self.shop.store.orders[order["id"]]["fulfillments"]), 1)
        self.assertEqual(len(self.writes("FulfillmentCreate")), 1)

    def test_lost_answer_is_linked_not_fulfilled_twice(self):
        order = self.new_orders()[0]
        self.import_orders([order])
        picking = self._ship(self.sale_of(order), lambda move: move.product_uom_qty, "TRK-LOST")
        self.shop.faults.set(drop_after_write=1)
        self.run_queue()
        job = self.jobs("fulfilment_export")
        self.assertEqual(job.state, "pending", "a lost answer is retried")
        job.next_attempt_at = False
        self.run_queue()
        self.assertEqual(job.state, "done")
        self.assertEqual(len(self.shop.store.orders[order["id"]]["fulfillments"]), 1)
        self.assertTrue(self.binding(picking, "fulfillment"))
