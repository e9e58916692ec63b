from odoo import api, models
from odoo.addons.sync_base.flows import sync_work_in_flow


class StockQuant(models.Model):
    _inherit = "stock.quant"

    @api.model
    def _update_available_quantity(self, product_id, location_id, *args, **kwargs):
        # Every change of on-hand or reserved quantity goes through here (moves done,
        # reservations, inventory adjustments): the store learns of it at the next run.
        result = super()._update_available_quantity(product_id, location_id, *args, **kwargs)
        if location_id.usage == "internal":
            with sync_work_in_flow(self.env, f"the Shopify stock of product.product{product_id.ids}"):
                self.env["sync.backend"]._shopify_note_stock_change(product_id)
        return result
