from odoo import fields, models


class SyncShopifyTax(models.Model):
    """Which Odoo tax stands for a tax Shopify computed on an order.

    Shopify sends rates, not tax records; one rate can mean several Odoo taxes
    (goods, services, included in price or not), so the choice is the merchant's.
    """

    _name = "sync.shopify.tax"
    _description = "Shopify Tax Mapping"
    _order = "backend_id, rate, id"

    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade", index=True)
    name = fields.Char("Shopify tax title", help="e.g. VAT. Empty: any tax of this rate.")
    rate = fields.Float("Rate (%)", required=True, digits=(6, 4))
    tax_id = fields.Many2one(
        "account.tax", string="Odoo tax", required=True, ondelete="restrict", domain=[("type_tax_use", "=", "sale")]
    )
