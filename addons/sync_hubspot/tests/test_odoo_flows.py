"""Odoo's own work on HubSpot-synced customers, done by staff without any Sync group.

The rule (sync_base/readme/DEVELOP.md): the suite's hooks in sale confirmation, cancellation and
partner saves work for whoever may run those flows, and never make them fail. Found by Odoo's
own ``product`` test ``test_pricelists_res_partner_form``: a Form could not set a new partner's
name once the suite guarded it.
"""

from unittest.mock import patch

from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from .common import HubSpotCase


@tagged("post_install", "-at_install")
class TestOdooFlowsWithoutSyncGroups(HubSpotCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # "Contact Creation" comes with every new internal user in Odoo (the default user's groups).
        cls.salesman = new_test_user(
            cls.env, login="hub_flow_salesman",
            groups="base.group_user,base.group_partner_manager,sales_team.group_sale_salesman",
        )
        cls.accountant = new_test_user(
            cls.env, login="hub_flow_accountant", groups="base.group_user,account.group_account_invoice"
        )
        cls.product = cls.env["product.product"].create({"name": "Consulting hour", "list_price": 90.0})

    def own_order(self, customer):
        return self.env["sale.order"].with_user(self.salesman).create({
            "partner_id": customer.id,
            "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 3})],
        })

    def queued(self, operation, record):
        return self.jobs(operation).filtered(lambda job: job.res_id == record.id and job.state == "pending")

    def test_a_salesman_on_own_orders_confirms_and_cancels_synced_orders(self):
        customer = self.customer("Own Orders Customer", email="own@example.com")
        self.run_queue()
        order = self.own_order(customer)
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertTrue(self.queued("deal_export", order), "the deal is queued")
        self.run_queue()
        deal = self.hub.store.get("deals", self.Binding._find(self.backend, "deals", record=order).external_id)
        self.assertEqual(float(deal["properties"]["amount"]), order.amount_total)
        order._action_cancel()
        self.assertEqual(order.state, "cancel")
        self.assertTrue(self.queued("deal_export", order), "the cancellation is queued")

    def test_a_salesman_edits_a_synced_customer(self):
        customer = self.customer("Edited By Sales", email="edited@example.com")
        self.run_queue()
        customer.with_user(self.salesman).write({"phone": "+33 1 02 03 04 05"})
        self.assertEqual(customer.phone, "+33 1 02 03 04 05")
        # HubSpot owns the phone (the ownership map): the edit is kept as a conflict to settle,
        # and the partner's export is queued all the same, as for a Sync user.
        conflict = self.env["sync.conflict"].search([("res_id", "=", customer.id), ("field_name", "=", "phone")])
        self.assertEqual((conflict.state, conflict.source_system), ("open", "odoo"))
        job = self.queued("partner_export", customer)
        self.assertTrue(job)
        self.run_queue()
        self.assertEqual(job.state, "done", job.failure_reason)

    def test_new_partners_are_made_in_a_form(self):
        """The guard's read-only condition is evaluated before a new record has values."""
        with Form(self.env["res.partner"].with_user(self.salesman)) as form:
            form.name = "Made in a form"
            form.email = "form@example.com"
        self.assertEqual(form.record.name, "Made in a form")

    def test_an_accountant_invoices_a_synced_customer(self):
        customer = self.customer("Invoiced Customer", email="invoiced@example.com")
        self.run_queue()
        invoice = self.env["account.move"].with_user(self.accountant).create({
            "move_type": "out_invoice", "partner_id": customer.id,
            "invoice_line_ids": [(0, 0, {"product_id": self.product.id, "quantity": 2, "price_unit": 90.0})],
        })
        invoice.action_post()
        self.assertEqual(invoice.state, "posted")

    def test_a_failure_to_queue_never_fails_the_sale(self):
        customer = self.customer("Queue Down", email="down@example.com")
        self.run_queue()
        order = self.own_order(customer)
        Backend = type(self.env["sync.backend"])
        with patch.object(Backend, "_enqueue", side_effect=RuntimeError("queue unavailable")), \
                mute_logger("odoo.addons.sync_base.flows"):
            order.action_confirm()
        self.assertEqual(order.state, "sale", "confirmed all the same")
        self.assertFalse(self.queued("deal_export", order))
