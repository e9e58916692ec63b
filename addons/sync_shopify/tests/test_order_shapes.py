"""Orders of every shape Shopify produces, imported with Shopify's totals to the cent.

The sandbox prices them as the Admin GraphQL reference describes (sandbox/shopify_pricing.py):
``LineItem.discountAllocations`` carry order-level discounts that ``totalDiscountSet`` leaves out
(shopify.dev/docs/api/admin-graphql/2026-04/objects/LineItem), each ``ShippingLine`` has its own
``taxLines`` (objects/ShippingLine), ``Order.taxesIncluded`` and ``taxExempt`` (objects/Order).
"""

from odoo.tests import tagged

from sandbox.shopify_pricing import Discount

from .order_common import ShopifyOrderCase


@tagged("post_install", "-at_install")
class TestOrderShapes(ShopifyOrderCase):
    sandbox_options = {"customers": 6, "products": 70, "restore_rate": 10**6, "bucket_max": 10**7}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        variants = sorted(cls.shop.store.variants.values(), key=lambda variant: variant["id"])
        cls.variants = [variant for variant in variants if float(variant["price"]) > 0]
        cls.customer = next(iter(cls.shop.store.customers.values()))

    def order(self, lines=((0, 3), (1, 1)), **options):
        lines = [(self.variants[index], quantity) if isinstance(index, int) else index for index, quantity in lines]
        return self.shop.store.create_order(self.customer, lines, **options)

    def imported(self, order):
        self.import_orders([order])
        sale = self.sale_of(order)
        self.assertTrue(sale, self.jobs("order_import").mapped("failure_reason"))
        return sale

    def assertShopifyTotals(self, sale, order):
        def money(key):
            return float(order[key]["shopMoney"]["amount"])

        total, tax = money("totalPriceSet"), money("totalTaxSet")
        shopify = (round(total - tax, 2), tax, total)
        odoo = (round(sale.amount_untaxed, 2), round(sale.amount_tax, 2), round(sale.amount_total, 2))
        self.assertEqual(odoo, shopify, "untaxed, tax, total of %s against Shopify's" % order["name"])

    def product_lines(self, sale):
        return sale.order_line.filtered(lambda line: not line.is_delivery)

    # ------------------------------------------------------------------
    # Discounts
    # ------------------------------------------------------------------
    def test_order_level_percentage_code_is_on_the_lines(self):
        order = self.order(discounts=[Discount("code", "WELCOME10", "order", percentage=10)])
        self.assertEqual(order["lineItems"][0]["totalDiscountSet"]["shopMoney"]["amount"], "0.00",
                         "Shopify leaves order-level discounts out of totalDiscountSet")
        sale = self.imported(order)
        self.assertShopifyTotals(sale, order)
        self.assertEqual(set(self.product_lines(sale).mapped("discount")), {10.0})
        self.assertEqual(sale.shopify_discount_codes, "WELCOME10")

    def test_order_level_fixed_amount_is_spread_over_the_lines(self):
        order = self.order(lines=((0, 2), (1, 1), (2, 3)), discounts=[Discount("code", "5OFF", "order", amount=5)])
        allocated = sum(float(a["allocatedAmountSet"]["shopMoney"]["amount"])
                        for line in order["lineItems"] for a in line["discountAllocations"])
        self.assertAlmostEqual(allocated, 5.0, places=2)
        sale = self.imported(order)
        self.assertShopifyTotals(sale, order)
        self.assertTrue(all(line.discount > 0 for line in self.product_lines(sale)))

    def test_line_level_automatic_discount_and_an_order_code_together(self):
        order = self.order(discounts=[
            Discount("automatic", "Summer sale", "lines", percentage=20, lines=[0]),
            Discount("code", "VIP", "order", amount=7.5),
        ])
        sale = self.imported(order)
        self.assertShopifyTotals(sale, order)
        self.assertEqual(sale.shopify_discount_codes, "VIP, Summer sale")
        first, second = self.product_lines(sale).sorted("id")
        self.assertGreater(first.discount, second.discount, "the automatic discount is on the first line only")

    def test_free_item_and_free_shipping(self):
        order = self.order(lines=((0, 2), (1, 1)), discounts=[
            Discount("automatic", "Free gift", "lines", percentage=100, lines=[1]),
            Discount("code", "FREESHIP", "shipping", percentage=100),
        ])
        sale = self.imported(order)
        self.assertShopifyTotals(sale, order)
        self.assertEqual(self.product_lines(sale).sorted("id")[1].discount, 100.0)
        shipping = sale.order_line.filtered("is_delivery")
        self.assertEqual((shipping.price_unit, shipping.discount, shipping.price_subtotal), (4.9, 100.0, 0.0))

    # ------------------------------------------------------------------
    # Taxes
    # ------------------------------------------------------------------
    def test_shipping_has_its_own_taxes(self):
        order = self.order(shipping_rate=0)
        self.assertEqual(order["shippingLines"][0]["taxLines"], [])
        sale = self.imported(order)
        self.assertShopifyTotals(sale, order)
        self.assertFalse(sale.order_line.filtered("is_delivery").tax_id)
        self.assertEqual(self.product_lines(sale).tax_id, self.vat20)

    def test_lines_at_different_rates(self):
        reduced = self._sale_tax("Shopify VAT 5.5%", 5.5)
        self.backend.shopify_tax_map_ids = [(0, 0, {"name": "VAT", "rate": 5.5, "tax_id": reduced.id})]
        order = self.order(rates={self.variants[1]["id"]: 0.055})
        sale = self.imported(order)
        self.assertShopifyTotals(sale, order)
        first, second = self.product_lines(sale).sorted("id")
        self.assertEqual((first.tax_id, second.tax_id), (self.vat20, reduced))

    def test_prices_that_include_tax(self):
        included = self.env["account.tax"].create({
            "name": "Shopify VAT 20% included", "amount": 20.0, "amount_type": "percent", "type_tax_use": "sale",
            "price_include_override": "tax_included",
        })
        self.backend.shopify_tax_map_ids.tax_id = included
        order = self.order(taxes_included=True, discounts=[Discount("code", "WELCOME10", "order", percentage=10)])
        sale = self.imported(order)
        self.assertShopifyTotals(sale, order)
        self.assertEqual(sale.amount_total, float(order["subtotalPriceSet"]["shopMoney"]["amount"]) + 4.9)

    def test_tax_exempt_customer(self):
        order = self.order(tax_exempt=True)
        sale = self.imported(order)
        self.assertShopifyTotals(sale, order)
        self.assertEqual(sale.amount_tax, 0.0)
        self.assertFalse(sale.order_line.tax_id)

    # ------------------------------------------------------------------
    # Lines
    # ------------------------------------------------------------------
    def test_custom_item_and_gift_card(self):
        order = self.order(lines=(
            (0, 1),
            ({"title": "Engraving", "price": "12.00", "quantity": 1}, None),
            ({"title": "Gift card 50 EUR", "price": "50.00", "quantity": 2, "gift_card": True}, None),
        ))
        sale = self.imported(order)
        self.assertShopifyTotals(sale, order)
        custom, gift = self.product_lines(sale).sorted("id")[1:]
        self.assertEqual((custom.product_id, custom.name, custom.price_unit),
                         (self.backend.shopify_custom_item_product_id, "Engraving", 12.0))
        self.assertEqual((gift.product_id, gift.product_uom_qty, gift.price_subtotal),
                         (self.backend.shopify_gift_card_product_id, 2, 100.0))
        self.assertFalse(gift.tax_id, "a gift card sold is not taxed")

    def test_custom_item_without_a_product_on_the_backend_says_what_to_set(self):
        self.backend.shopify_custom_item_product_id = False
        order = self.order(lines=((0, 1), ({"title": "Engraving", "price": "12.00", "quantity": 1}, None)))
        self.import_orders([order])
        self.assertFalse(self.sale_of(order))
        reason = self.jobs("order_import").failure_reason
        self.assertIn("Engraving", reason)
        self.assertIn("Custom item product", reason)

    def test_order_of_more_than_fifty_lines_is_read_whole(self):
        order = self.order(lines=[(index, 1) for index in range(60)])
        sale = self.imported(order)
        self.assertEqual(len(self.product_lines(sale)), 60)
        self.assertShopifyTotals(sale, order)
        pages = [request for request in self.shop.requests if request.get("operation_name") == "OrderLineItems"]
        self.assertEqual(len(pages), 1, "the ten lines past the first 50 come in one more page")

    def test_customer_identity_from_its_default_email_and_phone(self):
        self.shop.store.customers[self.customer["id"]]["phone"] = "+33612345678"
        order = self.order()
        self.shop.store.orders[order["id"]]["email"] = None
        sale = self.imported(order)
        self.assertEqual((sale.partner_id.email, sale.partner_id.phone), (self.customer["email"], "+33612345678"))

    # ------------------------------------------------------------------
    # Payment
    # ------------------------------------------------------------------
    def test_pending_payment_waits_then_is_confirmed_when_paid(self):
        order = self.order(financial_status="PENDING")
        sale = self.imported(order)
        self.assertEqual((sale.state, sale.shopify_financial_status), ("draft", "PENDING"))
        stored = self.shop.store.orders[order["id"]]
        stored.update(displayFinancialStatus="PAID", updatedAt=self.shop.store.now())
        self.import_orders([order])
        sale.invalidate_recordset()
        self.assertEqual((sale.state, sale.shopify_financial_status), ("sale", "PAID"))

    def test_a_high_risk_order_is_held_with_an_activity(self):
        """Order.risk (Admin API 2026-04): Shopify's fraud analysis; a paid order it recommends cancelling
        stays a quotation for a person to decide, once, and an ordinary order is confirmed as before."""
        risky, safe = self.order(), self.order()
        self.shop.set_order_risk(risky["id"], "HIGH", "CANCEL")
        sale = self.imported(risky)
        self.assertEqual(sale.state, "draft", "held")
        summary = "Shopify marks this order high risk"
        self.assertEqual(sale.activity_ids.mapped("summary"), [summary])
        self.shop.store.orders[risky["id"]]["updatedAt"] = self.shop.store.now()
        self.import_orders([risky])  # an update comes in: still held, no second activity
        self.assertEqual((sale.state, len(sale.activity_ids)), ("draft", 1))
        self.assertEqual(self.imported(safe).state, "sale")

    def test_authorized_and_partially_paid_orders_are_not_confirmed(self):
        for status in ("AUTHORIZED", "PARTIALLY_PAID"):
            sale = self.imported(self.order(financial_status=status))
            self.assertEqual(sale.state, "draft", status)

    # ------------------------------------------------------------------
    # Refusals that say what differs
    # ------------------------------------------------------------------
    def test_totals_that_differ_name_the_lines(self):
        order = self.order()
        stored = self.shop.store.orders[order["id"]]
        total = float(stored["totalPriceSet"]["shopMoney"]["amount"]) - 3.0
        stored["totalPriceSet"] = {"shopMoney": {"amount": "%.2f" % total, "currencyCode": "EUR"},
                                   "presentmentMoney": {"amount": "%.2f" % total, "currencyCode": "EUR"}}
        self.import_orders([order])
        self.assertFalse(self.sale_of(order))
        reason = self.jobs("order_import").failure_reason
        self.assertIn("before tax in Shopify", reason)
        self.assertIn("Decimal Accuracy", reason)
