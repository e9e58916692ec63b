from odoo import fields, models
from odoo.addons.sync_base.flows import sync_work_in_flow


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "sync.bound.mixin"]

    hubspot_deal_stage = fields.Char(
        "HubSpot deal stage", copy=False, help="Stage id of the order's deal, as moved in HubSpot."
    )

    def action_confirm(self):
        result = super().action_confirm()
        self._hubspot_enqueue_deal_export()
        return result

    def _action_cancel(self):
        result = super()._action_cancel()
        self._hubspot_enqueue_deal_export()
        return result

    def _hubspot_enqueue_deal_export(self):
        backends = self.env["sync.backend"]._hubspot_backends()
        if not backends:
            return
        with sync_work_in_flow(self.env, f"the HubSpot deals of sale.order{self.ids}"):
            self._hubspot_enqueue_deal_export_to(backends)

    def _hubspot_enqueue_deal_export_to(self, backends):
        Binding = self.env["sync.binding"].sudo()
        for backend in backends:
            # A salesman confirms the orders they may read; the customer behind the order is
            # read as superuser, as the suite's own concern (its scope and bindings).
            for order in self.sudo():
                customer = order.partner_id
                synced = Binding._find(backend, customer._hubspot_type(), record=customer) or (
                    customer._hubspot_in_scope(backend)
                )
                if not synced and not Binding._find(backend, "deals", record=order):
                    continue
                backend._enqueue("deal_export", record=order, category="order")
                # The customer's ERP facts (open orders, last order...) changed with the order.
                for partner in customer | customer.commercial_partner_id:
                    backend._enqueue("partner_export", record=partner, category="customer")
