from unittest.mock import patch

from odoo.addons.sync_base.exceptions import SyncValidationError
from odoo.tests import tagged

from .common import ShopifyCase


@tagged("post_install", "-at_install")
class TestStock(ShopifyCase):
    def exported_template(self, qty=0.0, **values):
        template = self.make_template(**values)
        self.run_queue()
        variant = template.product_variant_id
        if qty:
            self.env["stock.quant"]._update_available_quantity(variant, self.stock_location, qty)
        return template, variant

    def level(self, variant, location=None):
        item = self.shop.store.variants[self.binding(variant, "variant").external_id]["_inventory_item_id"]
        return self.shop.store.levels[(item, location or self.locations[0])]["_quantities"]["available"]

    def test_stock_change_is_queued_once_and_pushed(self):
        _template, variant = self.exported_template()
        self.assertEqual(self.level(variant), 0, "created stocked at the mapped location")
        self.env["stock.quant"]._update_available_quantity(variant, self.stock_location, 12)
        self.env["stock.quant"]._update_available_quantity(variant, self.stock_location, 3)
        changes = self.env["sync.shopify.stock.change"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(changes.product_id, variant, "each change noted; no job written in the stock operation")
        self.assertFalse(self.jobs("stock_push", "pending"))
        self.assertEqual(len(self.pending_pushes()), 1, "the queue's intake makes one push of them")
        self.run_queue()
        self.assertEqual(self.level(variant), 15)
        request = self.body(self.writes("InventorySet")[-1])
        self.assertEqual(request["variables"]["input"]["quantities"][0]["changeFromQuantity"], 0)
        self.assertEqual(request["variables"]["input"]["name"], "available")

    def test_available_is_on_hand_minus_reserved_minus_safety_stock(self):
        category = self.env["product.category"].create({"name": "Fragile", "shopify_safety_stock": 2})
        _template, variant = self.exported_template(qty=10, categ_id=category.id)
        self.env["stock.quant"]._update_reserved_quantity(variant, self.stock_location, 3)
        self.run_queue()
        self.assertEqual(self.level(variant), 5)
        variant.product_tmpl_id.shopify_safety_stock = 20
        self.backend._shopify_note_stock_change(variant)
        self.run_queue()
        self.assertEqual(self.level(variant), 0, "never below zero")

    def test_reservation_and_its_release_reach_the_store(self):
        """A confirmed order reserves and a cancelled one releases: neither moves on-hand stock,
        and the store must still learn of both (the store gets on hand minus reserved)."""
        _template, variant = self.exported_template(qty=10)
        self.run_queue()
        self.assertEqual(self.level(variant), 10)
        order = self.env["sale.order"].create({
            "partner_id": self.env["res.partner"].create({"name": "Reserving customer"}).id,
            "order_line": [(0, 0, {"product_id": variant.id, "product_uom_qty": 3})],
        })
        order.action_confirm()
        self.assertEqual(len(self.pending_pushes()), 1, "the reservation queues a push")
        self.run_queue()
        self.assertEqual(self.level(variant), 7)
        order._action_cancel()
        self.assertEqual(len(self.pending_pushes()), 1, "the release queues a push")
        self.run_queue()
        self.assertEqual(self.level(variant), 10)

    def test_level_moved_by_the_store_is_corrected_even_when_odoo_nets_out(self):
        """Checkout takes a unit in Shopify while Odoo's own changes cancel out: Odoo's figure equals
        the one last sent, and the store must still be put back to it (found by bench/soak)."""
        _template, variant = self.exported_template(qty=5)
        self.run_queue()
        item = self.shop.store.variants[self.binding(variant, "variant").external_id]["_inventory_item_id"]
        self.shop.set_inventory(item, self.locations[0], 4)  # a sale in the store
        self.env["stock.quant"]._update_available_quantity(variant, self.stock_location, 1)
        self.env["stock.quant"]._update_available_quantity(variant, self.stock_location, -1)
        self.run_queue()
        self.assertEqual(self.level(variant), 5)

    def test_unchanged_stock_sends_nothing(self):
        _template, variant = self.exported_template(qty=4)
        self.run_queue()
        self.shop.requests.clear()
        self.backend._shopify_note_stock_change(variant)
        self.run_queue()
        self.assertFalse(self.writes())

    def test_retry_after_a_dropped_answer_applies_once(self):
        _template, variant = self.exported_template(qty=9)
        self.shop.faults.set(drop_after_write=1)
        self.run_queue()
        sets = self.writes("InventorySet")
        self.assertEqual(len(sets), 2)
        self.assertTrue(sets[0].get("dropped"))
        self.assertEqual(self.body(sets[0])["variables"]["key"], self.body(sets[1])["variables"]["key"])
        self.assertEqual(len(self.shop.store.adjustment_groups), 1, "applied once")
        self.assertEqual(self.level(variant), 9)
        self.assertEqual(set(self.jobs("stock_push").mapped("state")), {"done"})

    def test_stale_compare_is_reread_and_retried(self):
        _template, variant = self.exported_template(qty=5)
        self.run_queue()
        self.shop.requests.clear()  # the setup's pushes read rows that looked unchanged
        item = self.shop.store.variants[self.binding(variant, "variant").external_id]["_inventory_item_id"]
        self.shop.set_inventory(item, self.locations[0], 2)  # a sale in the store
        self.env["stock.quant"]._update_available_quantity(variant, self.stock_location, 3)
        self.run_queue()
        self.assertEqual(self.level(variant), 8)
        errors = [r for r in self.writes("InventorySet") if "CHANGE_FROM_QUANTITY_STALE" in r.get("body", "")]
        self.assertFalse(errors, "requests carry no error code")
        reads = [r for r in self.shop.requests if r.get("operation_name") == "InventoryLevels"]
        self.assertEqual(len(reads), 1)
        last = self.body(self.writes("InventorySet")[-1])["variables"]["input"]["quantities"][0]
        self.assertEqual(last["changeFromQuantity"], 2)


    def test_stock_changes_wake_the_queue_once_per_transaction(self):
        """The queue runs within seconds of a stock change, not at its next minute (Odoo's cron trigger);
        a burst of changes makes one wake-up, and a wake-up already waiting makes none."""
        _template, variant = self.exported_template()
        cron = self.env.ref("sync_base.ir_cron_sync_job_process")
        Trigger = self.env["ir.cron.trigger"]
        Trigger.search([("cron_id", "=", cron.id)]).unlink()
        for quantity in range(1, 21):
            self.env["stock.quant"]._update_available_quantity(variant, self.stock_location, quantity)
        self.env.cr.flush()  # what commit runs first: the transaction's pre-commit work
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), 1)
        self.env["stock.quant"]._update_available_quantity(variant, self.stock_location, 1)
        self.env.cr.flush()
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), 1, "one was still waiting")
        self.run_queue()
        self.assertEqual(self.level(variant), 211)

    def test_a_failed_push_is_not_queued_again_each_run_and_its_retry_sends_every_change(self):
        _template, variant = self.exported_template(qty=4)
        self.run_queue()
        self.env["stock.quant"]._update_available_quantity(variant, self.stock_location, 1)
        refused = SyncValidationError("The app lacks the write_inventory scope.")
        with patch.object(type(self.backend), "_require_scopes", side_effect=refused):
            self.run_queue()
        failed = self.jobs("stock_push", "failed")
        self.assertEqual(len(failed), 1)
        self.env["stock.quant"]._update_available_quantity(variant, self.stock_location, 2)
        self.assertFalse(self.pending_pushes(), "the failed push waits in the inbox: no new one each run")
        failed.action_retry()
        self.run_queue()
        self.assertEqual(failed.state, "done", failed.failure_reason)
        self.assertEqual(self.level(variant), 7)

    def test_stock_changes_interrupt_a_catalogue_batch_not_a_customer_one(self):
        """Waiting stock-change notes become a stock push: more urgent than catalogue work, less than customers."""
        self.registry.enter_test_mode(self.cr)  # the look for urgent work uses a cursor of its own
        self.addCleanup(self.registry.leave_test_mode)
        _template, variant = self.exported_template()
        self.run_queue()
        self.assertIsNone(self.backend._received_deliveries_priority())
        self.env["stock.quant"]._update_available_quantity(variant, self.stock_location, 2)
        self.assertEqual(self.backend._received_deliveries_priority(), self.backend.priority_stock)
        self.assertTrue(self.backend._more_urgent_work_waiting(self.backend.priority_catalogue))
        self.assertFalse(self.backend._more_urgent_work_waiting(self.backend.priority_customer))

    def test_a_stock_change_during_a_push_waits_for_the_next_push(self):
        """The push takes the changes noted before it started; one noted while it runs is not lost."""
        _template, variant = self.exported_template(qty=4)
        self.run_queue()
        self.env["stock.quant"]._update_available_quantity(variant, self.stock_location, 1)
        push = self.pending_pushes()
        original, sold = type(self.backend)._shopify_stock_rows, []

        def rows_then_a_sale(backend, row_ids=None):
            rows = original(backend, row_ids)
            if not sold:  # the push has taken its changes: a delivery is validated meanwhile
                sold.append(self.env["stock.quant"]._update_available_quantity(variant, self.stock_location, -2))
            return rows

        with patch.object(type(self.backend), "_shopify_stock_rows", rows_then_a_sale):
            push._run()
        self.assertEqual(push.state, "done", push.failure_reason)
        self.assertEqual(len(self.pending_pushes()), 1, "the change made during the push gets a push of its own")
        self.run_queue()
        self.assertEqual(self.level(variant), 3)


@tagged("post_install", "-at_install")
class TestStockBatches(ShopifyCase):
    sandbox_options = {"products": 70}

    def test_batches_of_250(self):
        Stock = self.env["sync.shopify.stock"]
        store = self.shop.store
        variants = [v for v in store.variants.values() if (v["_inventory_item_id"], self.locations[0]) in store.levels]
        self.assertGreater(len(variants), 260)
        products = self.env["product.product"].create([
            {"name": v["sku"], "default_code": v["sku"], "is_storable": True} for v in variants
        ])
        for product, remote in zip(products, variants, strict=True):
            self.Binding._bind(self.backend, "variant", product, remote["id"])
            level = store.levels[(remote["_inventory_item_id"], self.locations[0])]
            Stock.create({
                "backend_id": self.backend.id, "product_id": product.id,
                "shopify_location_id": self.backend.shopify_location_ids.id,
                "inventory_item_gid": remote["_inventory_item_id"],
                "last_quantity": level["_quantities"]["available"], "quantity_known": True, "dirty": False,
            })
            self.env["stock.quant"]._update_available_quantity(product, self.stock_location, 50)
        self.assertEqual(len(self.pending_pushes()), 1)
        self.run_queue()
        calls = self.writes("InventorySet")
        sizes = [len(self.body(call)["variables"]["input"]["quantities"]) for call in calls]
        self.assertEqual(sizes, [250, len(variants) - 250])
        self.assertTrue(all(store.levels[(v["_inventory_item_id"], self.locations[0])]["_quantities"]["available"]
                            == 50 for v in variants))
        self.assertFalse(Stock.search_count([("backend_id", "=", self.backend.id), ("dirty", "=", True)]))
