"""Odoo's own work, done by staff without any Sync group, on Shopify orders and plain ones.

The rule (sync_base/readme/DEVELOP.md): a hook of the suite in one of Odoo's flows works for any
user who may run that flow without the suite, and never makes it fail. Found by Odoo's own
``sale_stock`` test ``test_inventory_admin_no_backorder_not_own_sale_order``: an inventory user
could not validate the delivery of a Shopify order (AccessError on Sync Backend).
"""

from unittest.mock import patch

from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from .order_common import ShopifyOrderCase

# Users who may validate deliveries without the suite, none of them in a Sync group.
WAREHOUSE_USERS = {
    "inventory user": "stock.group_stock_user",
    "inventory administrator with full sales rights": "stock.group_stock_manager,sales_team.group_sale_manager",
    "warehouse manager, sales on own orders only": "stock.group_stock_manager,sales_team.group_sale_salesman",
}


@tagged("post_install", "-at_install")
class TestOdooFlowsWithoutSyncGroups(ShopifyOrderCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = {
            label: new_test_user(cls.env, login=f"flow_{index}", groups=f"base.group_user,{groups}")
            for index, (label, groups) in enumerate(WAREHOUSE_USERS.items())
        }
        cls.salesman = new_test_user(
            cls.env, login="flow_salesman", groups="base.group_user,sales_team.group_sale_salesman"
        )

    def validate_as(self, user, sale):
        picking = sale.picking_ids.filtered(lambda p: p.state not in ("done", "cancel")).with_user(user)
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        self.assertIs(picking.button_validate(), True)
        return picking

    @staticmethod
    def quantities(lines, field):
        """{product: quantity} of moves or order lines (a product may be on two lines)."""
        totals = {}
        for line in lines:
            totals[line.product_id] = totals.get(line.product_id, 0) + line[field]
        return totals

    def test_staff_without_sync_groups_ship_shopify_orders(self):
        orders = self.new_orders(len(self.users), seed=21)
        self.import_orders(orders)
        for (label, user), order in zip(self.users.items(), orders, strict=True):
            with self.subTest(user=label):
                sale = self.sale_of(order)
                self.assertNotEqual(sale.user_id, user, "a colleague's order")
                picking = self.validate_as(user, sale)
                self.assertEqual(picking.state, "done")
                self.assertEqual(self.quantities(picking.move_ids, "quantity"),
                                 self.quantities(sale.order_line.filtered("product_id.is_storable"), "product_uom_qty"))
                job = self.jobs("fulfilment_export").filtered(lambda j, p=picking: j.res_id == p.id)
                self.assertEqual(job.state, "pending", f"the fulfilment is queued for {label}")
        self.run_queue()
        for order in orders:
            self.assertEqual(self.shop.store.orders[order["id"]]["displayFulfillmentStatus"], "FULFILLED")

    def test_staff_without_sync_groups_ship_plain_orders(self):
        for label, user in self.users.items():
            with self.subTest(user=label):
                sale = self.env["sale.order"].create({
                    "partner_id": self.env["res.partner"].create({"name": f"Walk-in for {label}"}).id,
                    "user_id": self.salesman.id,
                    "order_line": [(0, 0, {"product_id": self.products[0].id, "product_uom_qty": 2})],
                })
                sale.action_confirm()
                picking = self.validate_as(user, sale)
                self.assertEqual(picking.state, "done")
                self.assertEqual(picking.move_ids.quantity, 2)
        self.assertFalse(self.jobs("fulfilment_export"), "a plain order is not Shopify's")

    def test_a_failure_to_queue_never_fails_the_delivery(self):
        """The delivery is validated all the same; the missed fulfilment waits in the failure inbox,
        and its Retry sends it."""
        order = self.new_orders(1, seed=22)[0]
        self.import_orders([order])
        sale = self.sale_of(order)
        user = self.users["inventory user"]
        Backend = type(self.env["sync.backend"])
        with patch.object(Backend, "_enqueue", side_effect=RuntimeError("queue unavailable")), \
                mute_logger("odoo.addons.sync_base.flows"):
            picking = self.validate_as(user, sale)
        self.assertEqual(picking.state, "done")
        job = self.jobs("fulfilment_export")
        self.assertEqual((job.state, job.res_id, job.failure_type), ("failed", picking.id, "bug"))
        self.assertIn(picking.name, job.failure_reason)
        job.action_retry()
        self.run_queue()
        self.assertEqual(job.state, "done", job.failure_reason)
        self.assertEqual(self.shop.store.orders[order["id"]]["displayFulfillmentStatus"], "FULFILLED")

    def test_an_inventory_count_by_staff_without_sync_groups_reaches_the_store(self):
        template = self.make_template(name="Flow mug", code="FLOW-MUG")
        self.run_queue()  # exported: the variant has its stock row
        variant = template.product_variant_id
        quant = self.env["stock.quant"].with_user(self.users["inventory user"]).with_context(
            inventory_mode=True
        ).create({"product_id": variant.id, "location_id": self.stock_location.id, "inventory_quantity": 7})
        quant.action_apply_inventory()
        self.assertEqual(variant.qty_available, 7)
        self.assertEqual(len(self.pending_pushes()), 1)
        self.run_queue()
        item = self.shop.store.variants[self.binding(variant, "variant").external_id]["_inventory_item_id"]
        self.assertEqual(self.shop.store.levels[(item, self.locations[0])]["_quantities"]["available"], 7)

    def test_new_products_are_made_in_a_form_by_inventory_staff(self):
        """A Form evaluates the guard's read-only condition before the record has values: it must
        accept an empty value (Odoo's ``stock`` test ``TestMultiCompany.test_product_1``)."""
        user = self.users["inventory administrator with full sales rights"]
        with Form(self.env["product.template"].with_user(user)) as form:
            form.name = "Made in a form"
        self.assertEqual(form.record.name, "Made in a form")
