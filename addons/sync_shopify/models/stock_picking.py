from odoo import models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        result = super()._action_done()
        for picking in self.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state == "done" and p.sale_id.shopify_backend_id
        ):
            picking.sale_id.shopify_backend_id._enqueue("fulfilment_export", record=picking, category="order")
        return result
