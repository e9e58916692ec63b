from odoo import api, fields, models
from odoo.addons.sync_base.models.sync_field_rule import plain_value

# Fields that change what is sent besides those the ownership map gives to Odoo.
TEMPLATE_TRIGGERS = {"active", "shopify_publish", "attribute_line_ids"}
VARIANT_TRIGGERS = {"active", "product_template_attribute_value_ids"}
IMAGE_FIELDS = {"image_1920", "product_template_image_ids"}


class ShopifyExportMixin(models.AbstractModel):
    """Queues a Shopify export when a field Odoo sends actually changes.

    The comparison is made on the records written, before and after the write, so
    the work is proportional to the changes, never to the catalogue; a save that
    changes nothing Shopify sees queues nothing.
    """

    _name = "sync.shopify.export.mixin"
    _description = "Exported to Shopify on change"

    _shopify_triggers = set()

    @api.model
    def _shopify_watched(self, vals):
        if self.env.context.get("sync_shopify_no_export"):
            return set()
        # Product rules are written on the template but apply to every variant too.
        Rule = self.env["sync.field.rule"]
        rules = {**Rule._rules_for("product.template"), **Rule._rules_for("product.product")}
        owned = {fname for fname, rule in rules.items() if rule.owner == "odoo" or rule.policy == "accept"}
        return (owned | self._shopify_triggers | IMAGE_FIELDS) & vals.keys()

    def _shopify_snapshot(self, fnames):
        return {record.id: tuple(plain_value(record, fname) for fname in sorted(fnames)) for record in self}

    def write(self, vals):
        watched = self._shopify_watched(vals)
        if not watched:
            return super().write(vals)
        before = self._shopify_snapshot(watched)
        result = super().write(vals)
        after = self._shopify_snapshot(watched)
        changed = self.filtered(lambda record: before[record.id] != after[record.id])
        if changed:
            images_only = watched <= IMAGE_FIELDS
            changed._shopify_templates()._shopify_queue_changes(images=bool(watched & IMAGE_FIELDS),
                                                                 product=not images_only)
        return result


class ProductTemplate(models.Model):
    _name = "product.template"
    _inherit = ["product.template", "sync.bound.mixin", "sync.owned.mixin", "sync.shopify.export.mixin"]

    _shopify_triggers = TEMPLATE_TRIGGERS

    shopify_publish = fields.Boolean(
        "Sell on Shopify", help="Sent to the Shopify stores of the company, with its variants, prices and stock."
    )
    shopify_safety_stock = fields.Float(
        "Shopify safety stock", help="Units held back from the stock published to Shopify. 0: the category's."
    )

    @api.model_create_multi
    def create(self, vals_list):
        templates = super().create(vals_list)
        templates.filtered("shopify_publish")._shopify_queue_changes(images=True)
        return templates

    def _shopify_templates(self):
        return self

    def _shopify_queue_changes(self, images=False, product=True):
        """Queue the export of these templates on every Shopify backend exporting as things change."""
        templates = self.with_context(active_test=False)
        if not templates or self.env.context.get("sync_shopify_no_export"):
            return
        Backend = self.env["sync.backend"]
        Binding = self.env["sync.binding"].sudo()
        for backend in Backend._shopify_backends():
            bound_ids = set(Binding.search([
                ("backend_id", "=", backend.id), ("external_type", "=", "product"),
                ("res_model", "=", "product.template"), ("res_id", "in", templates.ids),
            ]).mapped("res_id"))
            for template in templates:
                if not (template.shopify_publish or template.id in bound_ids):
                    continue
                if product and backend.shopify_schedule_products == "realtime":
                    backend._enqueue("product_export", record=template, category="catalogue")
                if images and backend.shopify_schedule_images == "realtime":
                    backend._enqueue("image_export", record=template, category="catalogue")


class ProductProduct(models.Model):
    _name = "product.product"
    _inherit = ["product.product", "sync.bound.mixin", "sync.shopify.export.mixin"]

    _shopify_triggers = VARIANT_TRIGGERS

    @api.model_create_multi
    def create(self, vals_list):
        variants = super().create(vals_list)
        variants.product_tmpl_id.filtered("shopify_publish")._shopify_queue_changes()
        return variants

    def _shopify_templates(self):
        return self.product_tmpl_id


class ProductCategory(models.Model):
    _inherit = "product.category"

    shopify_safety_stock = fields.Float(
        "Shopify safety stock", help="Units held back from the Shopify stock of this category's products. "
        "0: the backend's."
    )
