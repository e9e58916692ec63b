from odoo import api, fields, models
from odoo.addons.sync_base.flows import sync_work_in_flow
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
    def _shopify_sent_by_backend(self):
        """{backend: Odoo fields it receives} for the Shopify backends of the company."""
        backends = self.env["sync.backend"]._shopify_backends()
        return {backend: backend._shopify_sent_odoo_fields() for backend in backends}

    @api.model
    def _shopify_watched(self, vals, sent_by_backend):
        """The fields of ``vals`` that may change what some Shopify backend receives."""
        sent = set().union(*sent_by_backend.values()) if sent_by_backend else set()
        return (sent | self._shopify_triggers | IMAGE_FIELDS) & vals.keys()

    def _shopify_snapshot(self, fnames):
        return {record.id: {fname: plain_value(record, fname) for fname in fnames} for record in self}

    def write(self, vals):
        if self.env.context.get("sync_shopify_no_export"):
            return super().write(vals)
        # Read the ownership map once per write, not once per step.
        sent_by_backend = self._shopify_sent_by_backend()
        watched = self._shopify_watched(vals, sent_by_backend)
        if not watched:
            return super().write(vals)
        before = self._shopify_snapshot(watched)
        result = super().write(vals)
        after = self._shopify_snapshot(watched)
        changed_fields = {
            fname for record in self for fname in watched if before[record.id][fname] != after[record.id][fname]
        }
        changed = self.filtered(lambda record: before[record.id] != after[record.id])
        if changed:
            changed._shopify_templates()._shopify_queue_changes(changed_fields, sent_by_backend)
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
        templates.filtered("shopify_publish")._shopify_queue_changes()
        return templates

    def _shopify_templates(self):
        return self

    def _shopify_queue_changes(self, fnames=None, sent_by_backend=None):
        """Queue the export of these templates on every Shopify backend exporting as things change.

        ``fnames``: the fields that changed; a backend is concerned only when it
        receives one of them. None: everything changed (new product).
        """
        templates = self.with_context(active_test=False)
        if not templates or self.env.context.get("sync_shopify_no_export"):
            return
        if sent_by_backend is None:
            sent_by_backend = self._shopify_sent_by_backend()
        if not sent_by_backend:
            return  # no Shopify backend: nothing to queue, and no query for it
        with sync_work_in_flow(self.env, f"the Shopify export of product.template{templates.ids}"):
            templates._shopify_queue_changes_now(fnames, sent_by_backend)

    def _shopify_queue_changes_now(self, fnames, sent_by_backend):
        templates = self
        Binding = self.env["sync.binding"].sudo()
        for backend, sent in sent_by_backend.items():
            concerned = None if fnames is None else fnames & (
                sent | TEMPLATE_TRIGGERS | VARIANT_TRIGGERS | IMAGE_FIELDS
            )
            if concerned is not None and not concerned:
                continue
            product = concerned is None or bool(concerned - IMAGE_FIELDS)
            images = concerned is None or bool(concerned & IMAGE_FIELDS)
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

    def unlink(self):
        # A variant removed in Odoo (attribute value dropped) is removed from Shopify
        # by the next export of its product, which lists the remaining variants.
        templates = self.product_tmpl_id
        result = super().unlink()
        templates.exists()._shopify_queue_changes({"active"})
        return result


class ProductCategory(models.Model):
    _inherit = "product.category"

    shopify_safety_stock = fields.Float(
        "Shopify safety stock", help="Units held back from the Shopify stock of this category's products. "
        "0: the backend's."
    )
