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

    def _order_with_lines(self, minimum=2):
        return next(o for o in self.shop.generate_orders(10, seed=7, cancel_rate=0, refund_rate=0)
                    if len(o["lineItems"]) >= minimum)

    def _fulfillment_orders(self, order):
        return [self.shop.store.fulfillment_orders[fo_id] for fo_id in self.shop.store.orders[order["id"]][
            "_fulfillment_order_ids"]]

    def test_an_order_split_over_two_locations_gets_one_fulfilment_per_location(self):
        """Shopify splits an order's items over the locations that stock them (here: the merchant moves
        one line to the second location, fulfillmentOrderMove); fulfillmentCreate takes the fulfilment
        orders of one location only. The delivery from the one Odoo warehouse fulfils both."""
        order = self._order_with_lines()
        self.import_orders([order])
        first_location, second_location = self.locations[0], self.locations[1]
        original = self._fulfillment_orders(order)[0]
        moved_line = original["lineItems"][0]
        self.shop.store.move_fulfillment_order(original["id"], second_location, {moved_line["id"]: 1})
        self.assertEqual({fo["_location_id"] for fo in self._fulfillment_orders(order)},
                         {first_location, second_location})
        picking = self._ship(self.sale_of(order), lambda move: move.product_uom_qty, "TRK-SPLIT")
        self.run_queue()
        job = self.jobs("fulfilment_export")
        self.assertEqual(job.state, "done", job.failure_reason)
        shopify_order = self.shop.store.orders[order["id"]]
        self.assertEqual(shopify_order["displayFulfillmentStatus"], "FULFILLED")
        self.assertEqual(sorted(f["_location_id"] for f in shopify_order["fulfillments"]),
                         sorted([first_location, second_location]))
        creates = self.writes("FulfillmentCreate")
        self.assertEqual(len(creates), 2, "one fulfillmentCreate per location")
        shipped = sum(move.quantity for move in picking.move_ids)
        self.assertEqual(sum(f["totalQuantity"] for f in shopify_order["fulfillments"]), shipped)
        self.assertTrue(all(f["trackingInfo"][0]["number"] == "TRK-SPLIT" for f in shopify_order["fulfillments"]))

    def test_a_fulfilment_order_on_hold_is_waited_for_not_reported_done(self):
        order = self.new_orders()[0]
        self.import_orders([order])
        held = self._fulfillment_orders(order)[0]
        self.shop.store.hold_fulfillment_order(held["id"])
        self._ship(self.sale_of(order), lambda move: move.product_uom_qty, "TRK-HELD")
        self.run_queue()
        job = self.jobs("fulfilment_export")
        self.assertEqual((job.state, job.failure_type), ("pending", "remote"), "retried later, not done")
        self.assertIn("ON_HOLD", job.failure_reason)
        self.assertFalse(self.shop.store.orders[order["id"]]["fulfillments"])
        self.shop.store.release_fulfillment_order(held["id"])
        job.next_attempt_at = False
        self.run_queue()
        self.assertEqual(job.state, "done", job.failure_reason)
        fulfilment = self.shop.store.orders[order["id"]]["fulfillments"][0]
        self.assertEqual(fulfilment["trackingInfo"][0]["number"], "TRK-HELD")

    def test_items_a_fulfilment_service_ships_are_not_reported_sent(self):
        """Shopify returns only the fulfilment orders the app's scopes cover (FulfillmentOrder, "Retrieving
        fulfillment orders"): a line moved to a fulfilment service's location is invisible without
        read_third_party_fulfillment_orders. The delivery is refused whole, naming the scope, not half sent."""
        order = self._order_with_lines()
        self.import_orders([order])
        original = self._fulfillment_orders(order)[0]
        moved_line = original["lineItems"][0]
        warehouse = self.shop.store.add_location("3PL warehouse", fulfillment_service=True)
        self.shop.store.move_fulfillment_order(original["id"], warehouse["id"], {moved_line["id"]: 1})
        self._ship(self.sale_of(order), lambda move: move.product_uom_qty, "TRK-3PL")
        self.run_queue()
        job = self.jobs("fulfilment_export")
        self.assertEqual((job.state, job.failure_type), ("failed", "auth"), "not reported done")
        self.assertIn("write_third_party_fulfillment_orders", job.failure_reason)
        self.assertFalse(self.writes("FulfillmentCreate"), "nothing half sent")
        self.assertFalse(self.shop.store.orders[order["id"]]["fulfillments"])
