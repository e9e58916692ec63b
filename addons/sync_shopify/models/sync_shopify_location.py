from odoo import fields, models


class SyncShopifyLocation(models.Model):
    """Which Odoo stock feeds one Shopify location."""

    _name = "sync.shopify.location"
    _description = "Shopify Location Mapping"
    _order = "backend_id, sequence, id"

    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    name = fields.Char("Shopify location", required=True)
    shopify_gid = fields.Char("Shopify ID", required=True, help="e.g. gid://shopify/Location/71")
    location_ids = fields.Many2many(
        "stock.location",
        string="Odoo locations",
        domain=[("usage", "=", "internal")],
        help="Stock of these locations and their sub-locations is published at this Shopify location.",
    )

    _sql_constraints = [
        ("gid_uniq", "UNIQUE(backend_id, shopify_gid)", "This Shopify location is already mapped on this backend."),
    ]
