from odoo import api, fields, models

FINANCIAL_STATUSES = [
    ("AUTHORIZED", "Authorized"),
    ("PAID", "Paid"),
    ("PARTIALLY_PAID", "Partially paid"),
    ("PARTIALLY_REFUNDED", "Partially refunded"),
    ("PENDING", "Pending"),
    ("REFUNDED", "Refunded"),
    ("VOIDED", "Voided"),
    ("EXPIRED", "Expired"),
]


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "sync.bound.mixin"]

    shopify_backend_id = fields.Many2one("sync.backend", string="Shopify store", readonly=True, index="btree_not_null")
    shopify_financial_status = fields.Selection(FINANCIAL_STATUSES, "Shopify payment", readonly=True)
    shopify_discount_codes = fields.Char("Shopify discount codes", readonly=True)
    shopify_refund_gids = fields.Text(
        "Shopify refunds applied", readonly=True, copy=False, help="Refunds already turned into credit notes or notes."
    )

    @api.model
    def _shopify_order_of(self, backend, order_gid):
        binding = self.env["sync.binding"].sudo()._find(backend, "order", external_id=order_gid)
        return self.browse(binding.res_id).exists() if binding else self.browse()

    def _prepare_confirmation_values(self):
        values = super()._prepare_confirmation_values()
        if self.env.context.get("sync_shopify_importing"):
            # An imported order is dated when the buyer placed it in Shopify, also when it is
            # confirmed later (payment captured, backfill): sales reports count it on that day.
            values.pop("date_order", None)
        return values


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    shopify_line_item_gid = fields.Char("Shopify line item", readonly=True, copy=False, index="btree_not_null")
