from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .order_common import ShopifyOrderCase


@tagged("post_install", "-at_install")
class TestOrderImport(ShopifyOrderCase):
    def test_import_is_queued_as_an_order_job(self):
        order = self.new_orders()[0]
        job = self.backend._shopify_enqueue_order(order["id"])
        self.assertEqual((job.operation, job.category, job.state), ("order_import", "order", "pending"))
        self.assertEqual(job.priority, self.backend.priority_order)
        self.assertFalse(self.sale_of(order))

    def test_import_builds_the_sale_order_as_shopify_computed_it(self):
        order = self.new_orders(3)[0]
        self.import_orders([order])
        sale = self.sale_of(order)
        self.assertTrue(sale, self.jobs("order_import").mapped("failure_reason"))
        self.assertEqual(sale.client_order_ref, order["name"])
        self.assertEqual(sale.currency_id.name, "EUR")
        self.assertEqual(sale.state, "sale", "paid orders are confirmed by the backend's workflow")
        product_lines = sale.order_line.filtered(lambda line: not line.is_delivery)
        self.assertEqual(len(product_lines), len(order["lineItems"]))
        self.assertEqual(
            sorted(product_lines.product_id.mapped("default_code")), sorted(li["sku"] for li in order["lineItems"])
        )
        self.assertEqual(product_lines.tax_id, self.vat20)
        shipping = sale.order_line.filtered("is_delivery")
        self.assertEqual(shipping.price_unit, float(order["shippingLine"]["originalPriceSet"]["shopMoney"]["amount"]))
        self.assertAlmostEqual(sale.amount_total, float(order["totalPriceSet"]["shopMoney"]["amount"]), delta=0.05)
        self.assertAlmostEqual(sale.amount_tax, float(order["totalTaxSet"]["shopMoney"]["amount"]), delta=0.05)
        self.assertEqual(sale.partner_id.email, order["email"])
        self.assertEqual(sale.partner_shipping_id.city, order["shippingAddress"]["city"])

    def test_confirmed_order_keeps_the_date_the_buyer_placed_it(self):
        # Odoo dates an order when it is confirmed; a backfilled order placed in March must
        # still count in March's sales.
        order = self.new_orders()[0]
        self.shop.store.orders[order["id"]]["createdAt"] = "2026-03-14T09:30:00Z"
        self.import_orders([order])
        sale = self.sale_of(order)
        self.assertEqual(sale.state, "sale")
        self.assertEqual(str(sale.date_order), "2026-03-14 09:30:00")
        # A sale order made in Odoo is still dated by its confirmation.
        own = self.env["sale.order"].create({
            "partner_id": sale.partner_id.id, "date_order": "2026-03-14 09:30:00",
            "order_line": [(0, 0, {"product_id": sale.order_line[0].product_id.id})],
        })
        own.action_confirm()
        self.assertNotEqual(str(own.date_order), "2026-03-14 09:30:00")

    def test_discounts_are_kept_on_the_lines(self):
        orders = self.shop.generate_orders(12, seed=3, cancel_rate=0, refund_rate=0)
        discounted = next(order for order in orders if order["discountCodes"])
        self.import_orders([discounted])
        sale = self.sale_of(discounted)
        self.assertEqual(sale.shopify_discount_codes, "WELCOME10")
        self.assertEqual(set(sale.order_line.filtered(lambda line: not line.is_delivery).mapped("discount")), {10.0})
        self.assertAlmostEqual(sale.amount_total, float(discounted["totalPriceSet"]["shopMoney"]["amount"]), delta=0.05)

    def test_same_order_from_every_path_makes_one_sale_order(self):
        order = self.new_orders()[0]
        self.import_orders([order])
        self.import_orders([order])  # a manual re-import
        self.backend._enqueue("order_reconcile", direction="import", category="order")
        self.run_queue()
        self.assertEqual(len(self.sales_named(order)), 1)
        bindings = self.Binding.search([("backend_id", "=", self.backend.id), ("external_type", "=", "order")])
        self.assertEqual(len(bindings), 1)

    def test_unknown_sku_fails_with_a_reason_then_retry_imports(self):
        order = self.new_orders()[0]
        sku = order["lineItems"][0]["sku"]
        product = self.products.filtered(lambda p: p.default_code == sku)
        product.default_code = "RENAMED"
        self.import_orders([order])
        job = self.jobs("order_import")
        self.assertEqual((job.state, job.failure_type), ("failed", "mapping"))
        self.assertIn(f"SKU {sku} on order {order['name']} is not mapped", job.failure_reason)
        self.assertIn("then Retry", job.failure_reason)
        self.assertFalse(self.sales_named(order))
        product.default_code = sku
        job.with_user(self.sync_manager).action_retry()
        self.run_queue()
        self.assertEqual(job.state, "done")
        self.assertEqual(len(self.sales_named(order)), 1)

    def test_one_failure_per_problem_closed_when_the_order_imports(self):
        order = self.new_orders()[0]
        sku = order["lineItems"][0]["sku"]
        product = self.products.filtered(lambda p: p.default_code == sku)
        product.default_code = "RENAMED"
        for _attempt in range(3):  # the webhook, then two reconcile runs meet the same unmapped SKU
            self.import_orders([order])
        failed = self.jobs("order_import", state="failed")
        self.assertEqual(len(failed), 1, "the inbox counts problems, not attempts")
        self.assertEqual(failed.attempts, 3)
        earlier = self.jobs("order_import", state="cancelled")
        self.assertEqual(len(earlier), 2)
        first, second = earlier.sorted("id")
        # Each points to the job that replaced it: the chain ends at the open failure.
        self.assertIn("job %s" % second.id, first.result)
        self.assertIn("job %s" % failed.id, second.result)
        product.default_code = sku
        self.import_orders([order])  # the next reconcile, once the SKU is fixed
        self.assertEqual(len(self.sales_named(order)), 1)
        self.assertFalse(self.jobs("order_import", state="failed"), "the failure closed when the order imported")
        done = self.jobs("order_import", state="done")
        self.assertIn("job %s" % done.id, failed.result)

    def test_a_failed_order_does_not_block_the_next(self):
        first, second = self.new_orders(2)
        self.products.filtered(lambda p: p.default_code == first["lineItems"][0]["sku"]).default_code = "GONE"
        shared = {li["sku"] for li in first["lineItems"]} & {li["sku"] for li in second["lineItems"]}
        if shared:
            self.skipTest("seeded orders share a SKU")
        self.import_orders([first, second])
        self.assertFalse(self.sale_of(first))
        self.assertTrue(self.sale_of(second))

    def test_tax_mismatch_fails_instead_of_changing_totals(self):
        self.backend.shopify_tax_map_ids.tax_id = self._sale_tax("VAT 21%", 21.0)
        order = self.new_orders()[0]
        self.import_orders([order])
        job = self.jobs("order_import")
        self.assertEqual((job.state, job.failure_type), ("failed", "validation"))
        self.assertIn("Shopify computed taxes of %s" % order["totalTaxSet"]["shopMoney"]["amount"], job.failure_reason)
        self.assertFalse(self.sales_named(order))

    def test_unmapped_tax_rate_is_a_mapping_failure(self):
        self.backend.shopify_tax_map_ids.unlink()
        self.vat20.active = False
        self.import_orders(self.new_orders())
        job = self.jobs("order_import")
        self.assertEqual(job.failure_type, "mapping")
        self.assertIn("Tax VAT 20.0% on order", job.failure_reason)

    def test_customer_matched_by_id_then_email_never_duplicated(self):
        customer = next(iter(self.shop.store.customers.values()))
        existing = self.env["res.partner"].create({"name": "Known buyer", "email": customer["email"].upper()})
        first = self.shop.store.create_order(customer, [(next(iter(self.shop.store.variants.values())), 1)])
        second = self.shop.store.create_order(customer, [(next(iter(self.shop.store.variants.values())), 2)])
        self.import_orders([first, second])
        self.assertEqual(self.sale_of(first).partner_id, existing)
        self.assertEqual(self.sale_of(second).partner_id, existing)
        self.assertEqual(self.binding(existing, "customer").external_id, customer["id"])
        self.assertEqual(self.env["res.partner"].search_count([("email", "=ilike", customer["email"])]), 1)

    def test_a_returning_customers_addresses_are_found_not_duplicated(self):
        home = {"name": "Ada Buyer", "address1": "1 Main St", "city": "Lyon", "zip": "69001", "countryCodeV2": "FR"}
        office = dict(home, address1="9 Quai Est", address2="Floor 3")
        depot = dict(home, address1="9 Quai Est")  # the office without its floor: another address

        def partners(billing, shipping):
            data = {"customer": {"id": "gid://shopify/Customer/77", "email": "ada@example.com", "firstName": "Ada",
                                 "lastName": "Buyer"}, "billingAddress": billing, "shippingAddress": shipping}
            return self.backend._shopify_order_partners(data)

        customer, invoice, delivery = partners(home, home)
        self.assertEqual((invoice, delivery), (customer, customer), "a first address is the customer's own")
        self.assertEqual(customer.street, "1 Main St")
        _customer, invoice, to_office = partners(home, office)
        self.assertEqual(invoice, customer)
        self.assertEqual((to_office.parent_id, to_office.type, to_office.street2), (customer, "delivery", "Floor 3"))
        _customer, _invoice, to_depot = partners(home, depot)
        self.assertNotIn(to_depot, customer | to_office, "an address differing in one field is another contact")
        office_invoice = partners(office, depot)[1]
        self.assertEqual((office_invoice.type, office_invoice.street2), ("invoice", "Floor 3"), "kinds are apart")
        for _order in range(2):
            self.assertEqual(partners(home, office)[2], to_office, "a known address is found again")
            self.assertEqual(partners(office, depot)[1:], (office_invoice, to_depot))
        self.assertEqual(customer.child_ids, to_office | to_depot | office_invoice)

    def test_guest_order_creates_its_customer(self):
        guest = self.shop.store.create_order(None, [(next(iter(self.shop.store.variants.values())), 1)])
        self.import_orders([guest])
        partner = self.sale_of(guest).partner_id
        self.assertEqual(partner.email, guest["email"])
        self.assertEqual(partner.name, "Guest Buyer")

    def test_reconcile_catches_orders_without_webhooks(self):
        orders = self.new_orders(4)
        self.backend._enqueue("order_reconcile", direction="import", category="order")
        self.run_queue()
        self.assertEqual(len(self.SaleOrder.search([("shopify_backend_id", "=", self.backend.id)])), 4)
        self.assertTrue(all(self.sale_of(order) for order in orders))
        self.assertTrue(self.backend.shopify_orders_synced_at)


@tagged("post_install", "-at_install")
class TestOrderReconcileCron(ShopifyOrderCase):
    def test_cron_queues_one_reconcile_per_backend(self):
        self.env["sync.backend"]._cron_shopify_reconcile_orders()
        self.env["sync.backend"]._cron_shopify_reconcile_orders()
        self.assertEqual(len(self.jobs("order_reconcile", "pending")), 1)

    def test_backfill_imports_older_orders_and_keeps_the_watermark(self):
        orders = self.new_orders(2)
        self.backend.shopify_orders_synced_at = "2100-01-01 00:00:00"
        self.backend.shopify_backfill_since = "2000-01-01 00:00:00"
        self.backend.action_shopify_import_orders_since()
        self.run_queue()
        self.assertTrue(all(self.sale_of(order) for order in orders))
        self.assertEqual(str(self.backend.shopify_orders_synced_at), "2100-01-01 00:00:00")

    def test_plain_user_cannot_read_webhook_events(self):
        user = new_test_user(self.env, login="plain_sales", groups="base.group_user,sales_team.group_sale_salesman")
        with self.assertRaises(AccessError):
            self.env["sync.shopify.webhook"].with_user(user).search([])
