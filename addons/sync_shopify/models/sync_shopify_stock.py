from odoo import fields, models


class SyncShopifyStock(models.Model):
    """One variant's stock at one Shopify location, as Shopify last had it.

    ``dirty`` rows are the stock push's work list: marking one is a single indexed
    UPDATE when a quant moves, so finding what to send costs as much as what
    changed, not as much as the catalogue. ``last_quantity`` is the value sent as
    ``changeFromQuantity``, which lets Shopify refuse a write based on a stale view.
    """

    _name = "sync.shopify.stock"
    _description = "Shopify Stock Level"
    _order = "id"

    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade", index=True)
    product_id = fields.Many2one("product.product", required=True, ondelete="cascade", index=True)
    shopify_location_id = fields.Many2one("sync.shopify.location", required=True, ondelete="cascade")
    inventory_item_gid = fields.Char(required=True)
    last_quantity = fields.Integer(help="Available quantity Shopify had after our last write or read.")
    quantity_known = fields.Boolean(help="False until Shopify's quantity has been read or written once.")
    revision = fields.Integer(
        default=0, help="Bumped after each write or read: part of the idempotency key, so a new write gets a new key."
    )
    dirty = fields.Boolean(default=True)
    last_error = fields.Char()

    _sql_constraints = [
        (
            "level_uniq",
            "UNIQUE(backend_id, product_id, shopify_location_id)",
            "A variant has one stock level per Shopify location.",
        ),
    ]

    def init(self):
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS sync_shopify_stock_dirty_idx ON sync_shopify_stock (backend_id, id) WHERE dirty"
        )



class SyncShopifyStockChange(models.Model):
    """A product whose stock moved in Odoo, noted for a backend's next stock push.

    Odoo's own stock operations (a delivery validated, an inventory adjusted, a reservation)
    only ever INSERT here: they never update a row the push updates, so they never wait on a
    running push nor fail with a serialization error because of it. The push deletes the
    notes it takes and marks their stock rows dirty in its own transaction; a note written
    while it runs stays for the next push.
    """

    _name = "sync.shopify.stock.change"
    _description = "Shopify Stock Change"
    _order = "id"
    _log_access = False  # one narrow INSERT in Odoo's stock operations; the id orders the notes

    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade", index=True)
    product_id = fields.Many2one("product.product", required=True, ondelete="cascade")
