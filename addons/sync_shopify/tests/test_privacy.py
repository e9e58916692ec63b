"""Shopify's mandatory compliance webhooks (shopify.dev/docs/apps/build/compliance/privacy-law-compliance):
customers/data_request, customers/redact and shop/redact, sent to the app's compliance address, signed
like every webhook, taken in through the webhook inbox."""

from odoo.tests import HttpCase, tagged

from .order_common import ShopifyOrderCase


@tagged("post_install", "-at_install")
class TestPrivacyRequests(ShopifyOrderCase, HttpCase):
    def setUp(self):
        super().setUp()
        self.address = self.base_url() + "/sync_shopify/webhook/%s" % self.backend.id

    def tearDown(self):
        self.shop.webhooks.drain(10)
        super().tearDown()

    def customer_order(self):
        order = next(o for o in self.new_orders(10, seed=5) if o["_customer_id"])
        self.import_orders([order])
        sale = self.sale_of(order)
        self.assertTrue(sale, "imported")
        return order, self.shop.store.customers[order["_customer_id"]], sale

    def request(self, topic, customer=None, orders=()):
        self.shop.send_compliance_webhook(self.address, topic, customer, orders)
        self.assertTrue(self.shop.webhooks.drain(15))
        self.assertTrue(self.shop.webhooks.deliveries[-1]["delivered"], "acknowledged with a 2xx")
        self.run_queue()
        job = self.jobs("privacy_request")[:1]
        self.assertEqual(job.state, "done", job.failure_reason)

    def activity(self, summary):
        activities = self.env["mail.activity"].search([("res_model", "=", "sync.backend"),
                                                       ("res_id", "=", self.backend.id), ("summary", "=", summary)])
        self.assertEqual(len(activities), 1, summary)
        return activities

    def test_a_data_request_gives_the_responsible_what_odoo_holds(self):
        order, customer, sale = self.customer_order()
        self.request("customers/data_request", customer, [order])
        note = str(self.activity("Privacy: data request").note)
        self.assertIn(customer["email"], note)
        self.assertIn(sale.name, note)
        self.assertIn("9999", note, "the request's reference")

    def test_a_redaction_erases_the_customer_and_the_stored_bodies(self):
        order, customer, sale = self.customer_order()
        partner = sale.partner_id
        holding = self.env["sync.exchange"].search([("backend_id", "=", self.backend.id),
                                                    ("response_body", "ilike", customer["email"])])
        self.assertTrue(holding, "the order's import stored the customer's email")
        self.request("customers/redact", customer, [order])
        partner.invalidate_recordset()
        self.assertFalse(partner.with_context(active_test=False).email)
        self.assertNotIn(customer["lastName"], partner.name)
        self.assertFalse(partner.active)
        for field in ("request_body", "response_body"):
            self.assertFalse(self.env["sync.exchange"].search([("backend_id", "=", self.backend.id),
                                                               (field, "ilike", customer["email"])]))
        self.assertFalse(self.env["sync.shopify.webhook"].search([("backend_id", "=", self.backend.id),
                                                                  ("payload", "ilike", customer["email"])]))
        self.assertIn("anonymised", str(self.activity("Privacy: customer data erased").note))
        self.assertEqual(sale.partner_id, partner, "the order stays the company's record")

    def test_an_invoiced_customer_keeps_what_the_invoices_need(self):
        journal = self.env["account.journal"].search([("type", "=", "bank"),
                                                      ("company_id", "=", self.env.company.id)], limit=1)
        self.backend.write({"shopify_auto_invoice": True, "shopify_auto_payment": True,
                            "shopify_payment_journal_id": journal.id})
        order, customer, sale = self.customer_order()
        self.assertEqual(sale.invoice_ids.state, "posted")
        partner = sale.partner_id
        name = partner.name
        self.request("customers/redact", customer, [order])
        self.assertEqual(partner.name, name, "invoices keep naming the buyer")
        self.assertFalse(partner.email)
        self.assertFalse(partner.phone)
        self.assertIn("invoiced", str(self.activity("Privacy: customer data erased").note))

    def test_shop_redact_purges_every_stored_body_of_the_shop(self):
        self.customer_order()
        self.request("shop/redact")
        self.assertFalse(self.env["sync.exchange"].search([("backend_id", "=", self.backend.id),
                                                           ("response_body", "ilike", "@example.com")]))
        self.assertFalse(self.env["sync.shopify.webhook"].search([("backend_id", "=", self.backend.id),
                                                                  ("payload", "!=", False)]))
        self.activity("Privacy: stored data of the shop purged")
