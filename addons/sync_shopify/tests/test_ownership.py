from odoo.tests import tagged

from .common import ShopifyCase


@tagged("post_install", "-at_install")
class TestOwnership(ShopifyCase):
    def exported(self):
        self.run_queue()
        return self.body(self.writes("ProductSet")[-1])["variables"]["input"]

    def test_export_sends_only_what_odoo_owns(self):
        template = self.make_template()
        self.run_queue()
        product = self.shopify_product(template)
        self.shop.update_product(product["id"], title="Storefront title")
        template.with_context(sync_base_incoming="shopify").name = "Renamed in Odoo"
        template.list_price = 99.0
        sent = self.exported()
        self.assertNotIn("title", sent, "the title belongs to Shopify once the product exists")
        self.assertEqual(sent["variants"][0]["price"], "99.00")
        self.assertEqual(product["title"], "Storefront title")

    def test_backend_rule_can_give_a_field_to_shopify(self):
        self.env["sync.field.rule"].create({
            "model_name": "product.template", "field_name": "list_price", "backend_id": self.backend.id,
            "owner": "shopify", "readers": "odoo", "external_field": "price",
        })
        template = self.make_template()
        sent = self.exported()
        self.assertNotIn("price", sent["variants"][0])
        template.list_price = 12.0
        self.assertFalse(self.jobs("product_export", "pending"), "a field Odoo does not own queues nothing")

    def test_import_applies_shopify_fields_and_records_conflicts(self):
        template = self.make_template()
        self.run_queue()
        product = self.shopify_product(template)
        self.shop.update_product(product["id"], title="Storefront title", tags=["summer", "linen"])
        self.backend._enqueue("product_pull", direction="import", dedup_key="shopify_product_pull")
        self.run_queue()
        self.run_queue()  # the pull queues one import per changed linked product
        self.assertEqual(self.jobs("product_import").state, "done")
        self.assertEqual(template.name, "Storefront title")
        self.assertEqual(sorted(template.product_tag_ids.mapped("name")), ["linen", "summer"])

    def test_import_does_not_overwrite_what_odoo_owns(self):
        self.env["sync.field.rule"].create({
            "model_name": "product.template", "field_name": "name", "backend_id": self.backend.id,
            "owner": "odoo", "readers": "shopify", "external_field": "title",
        })
        template = self.make_template()
        self.run_queue()
        product = self.shopify_product(template)
        self.shop.update_product(product["id"], title="Changed in the store")
        self.backend._enqueue("product_import", external_id=product["id"], direction="import")
        self.run_queue()
        self.assertEqual(template.name, "Linen shirt")
        conflict = self.env["sync.conflict"].search([("res_model", "=", "product.template"),
                                                     ("res_id", "=", template.id), ("field_name", "=", "name")])
        self.assertTrue(conflict, "the refused value is recorded as a conflict")
