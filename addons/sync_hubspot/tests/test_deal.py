from odoo.tests import tagged

from .common import HubSpotCase


@tagged("post_install", "-at_install")
class TestDeal(HubSpotCase):
    def setUp(self):
        super().setUp()
        self.product = self.env["product.product"].create({"name": "Consulting day", "list_price": 800.0})

    def order(self, partner):
        return self.env["sale.order"].create({
            "partner_id": partner.id,
            "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 2, "price_unit": 800.0})],
        })

    def test_confirmed_order_creates_an_associated_deal(self):
        customer = self.customer("Deal Maker", email="deal@example.com")
        self.run_queue()
        order = self.order(customer)
        order.action_confirm()
        self.assertTrue(self.jobs("deal_export").filtered(lambda j: j.res_id == order.id))
        self.run_queue()
        binding = self.Binding._find(self.backend, "deals", record=order)
        deal = self.hub.store.get("deals", binding.external_id)
        self.assertEqual(float(deal["properties"]["amount"]), order.amount_total)
        self.assertEqual(deal["properties"]["odoo_order_ref"], order.name)
        self.assertEqual(deal["properties"]["dealstage"], "closedwon", "stage mapped to confirmed orders")
        contact_id = self.hub_object("contacts", customer)["id"]
        self.assertIn(contact_id, self.hub.store.associated("deals", deal["id"], "contacts"))
        self.assertEqual(self.hub_object("contacts", customer)["properties"]["odoo_open_orders"], "1",
                         "ERP facts follow the order")

    def test_stage_moved_in_hubspot_is_kept(self):
        order = self.order(self.customer("Stage Keeper", email="stage@example.com"))
        order.action_confirm()
        self.run_queue()
        deal_id = self.Binding._find(self.backend, "deals", record=order).external_id
        self.hub.update_object("deals", deal_id, {"dealstage": "contractsent"})
        self.backend._enqueue("deal_import", external_id=deal_id, direction="import")
        self.run_queue()
        self.assertEqual(order.hubspot_deal_stage, "contractsent")

    def test_won_deal_creates_a_quotation(self):
        company = self.hub.create_object("companies", {"name": "Won Corp"})
        deal = self.hub.create_object("deals", {"dealname": "Big win", "amount": "5000", "dealstage": "qualifiedtobuy"})
        self.hub.store.associate("deals", deal["id"], "companies", company["id"], 341)
        self.hub.update_object("deals", deal["id"], {"dealstage": "closedwon"})
        job = self.backend._enqueue("deal_import", external_id=deal["id"], direction="import")
        self.run_queue()
        self.assertEqual(job.state, "done", job.failure_reason)
        order = self.env["sale.order"].browse(self.Binding._find(self.backend, "deals", external_id=deal["id"]).res_id)
        self.assertEqual((order.state, order.partner_id.name, order.origin), ("draft", "Won Corp", "Big win"))
        self.assertEqual(self.hub.store.get("deals", deal["id"])["properties"]["odoo_id"], str(order.id))

    def test_a_won_deal_of_another_companys_backend_is_that_companys_quotation(self):
        other = self.env["res.company"].create({"name": "HubSpot Branch Ltd"})
        self.backend.company_id = other
        self.backend.hubspot_team_id = False
        company = self.hub.create_object("companies", {"name": "Branch Customer"})
        deal = self.hub.create_object("deals", {"dealname": "Branch win", "dealstage": "closedwon"})
        self.hub.store.associate("deals", deal["id"], "companies", company["id"], 341)
        job = self.backend._enqueue("deal_import", external_id=deal["id"], direction="import")
        self.run_queue()  # run by a user of the main company, as the cron is
        self.assertEqual(job.state, "done", job.failure_reason)
        order = self.env["sale.order"].browse(self.Binding._find(self.backend, "deals", external_id=deal["id"]).res_id)
        self.assertEqual(order.company_id, other)
        self.assertEqual(order.partner_id.company_id, other, "the customer is the branch's, not every company's")
