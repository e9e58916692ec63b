from odoo.tests import tagged

from .order_common import ShopifyOrderCase


@tagged("post_install", "-at_install")
class TestOrderStatus(ShopifyOrderCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        journal = cls.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.backend.write({
            "shopify_auto_invoice": True, "shopify_auto_payment": True, "shopify_payment_journal_id": journal.id,
        })

    def test_workflow_confirms_invoices_and_registers_the_payment(self):
        order = self.new_orders()[0]
        self.import_orders([order])
        sale = self.sale_of(order)
        self.assertEqual(sale.state, "sale")
        invoice = sale.invoice_ids
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.state, "posted")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))

    def test_cancellation_cancels_the_sale_order(self):
        order = self.new_orders()[0]
        self.backend.shopify_auto_invoice = False
        self.import_orders([order])
        self.shop.cancel_order(order["id"])
        self.import_orders([order])
        sale = self.sale_of(order)
        self.assertEqual(sale.state, "cancel")
        self.assertEqual(sale.shopify_financial_status, "REFUNDED")

    def test_refund_makes_a_credit_note_once(self):
        order = self.new_orders()[0]
        self.import_orders([order])
        line = order["lineItems"][0]
        refund = self.shop.refund_order(order["id"], {line["id"]: 1})
        self.import_orders([order])
        self.import_orders([order])
        sale = self.sale_of(order)
        credit = sale.invoice_ids.filtered(lambda move: move.move_type == "out_refund")
        self.assertEqual(len(credit), 1)
        self.assertEqual(credit.state, "posted")
        refunded = float(refund["totalRefundedSet"]["shopMoney"]["amount"])
        self.assertAlmostEqual(credit.amount_total, refunded, delta=0.05)

    def test_cancelled_invoiced_order_is_credited_in_full(self):
        order = self.new_orders()[0]
        self.import_orders([order])
        self.shop.cancel_order(order["id"])
        self.import_orders([order])
        sale = self.sale_of(order)
        credit = sale.invoice_ids.filtered(lambda move: move.move_type == "out_refund")
        self.assertAlmostEqual(credit.amount_total, sale.amount_total, delta=0.05)
        self.assertEqual(sale.state, "cancel")
