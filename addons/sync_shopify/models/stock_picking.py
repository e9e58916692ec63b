from odoo import _, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        result = super()._action_done()
        # Anyone who may validate a delivery may validate a Shopify order's: a clerk without Sync
        # groups, or with sales rights on their own orders only, cannot read the order or the
        # backend, so which store to tell is read as superuser (the suite's own link).
        for picking in self.sudo().filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state == "done" and p.sale_id.shopify_backend_id
        ):
            picking.sale_id.shopify_backend_id._enqueue_in_flow(
                "fulfilment_export", record=picking, category="order",
                what=_("the Shopify fulfilment of %s", picking.name),
            )
        return result
