from odoo.tests import tagged

from .common import ShopifyCase


@tagged("post_install", "-at_install")
class TestProductExport(ShopifyCase):
    def test_publishing_queues_one_export(self):
        template = self.make_template()
        template.write({"list_price": 30.0})
        template.write({"list_price": 31.0})
        jobs = self.jobs("product_export", "pending")
        self.assertEqual(len(jobs), 1, "edits before the run are merged into one job")
        self.assertEqual((jobs.res_model, jobs.res_id), ("product.template", template.id))
        self.assertFalse(self.writes(), "queuing makes no call")

    def test_create_then_update(self):
        template = self.make_template(list_price=25.0)
        self.run_queue()
        product = self.shopify_product(template)
        self.assertEqual(product["title"], "Linen shirt")
        self.assertEqual(product["status"], "ACTIVE")
        variant = self.shop.store.variants[self.binding(template.product_variant_id, "variant").external_id]
        self.assertEqual((variant["sku"], variant["price"]), ("LS-1", "25.00"))
        self.assertEqual(self.jobs("product_export").state, "done")

        template.write({"list_price": 27.5, "default_code": "LS-1B"})
        self.run_queue()
        self.assertEqual(len(self.shop.store.products), 6, "updated in place, not created again")
        self.assertEqual((variant["sku"], variant["price"]), ("LS-1B", "27.50"))
        update = self.body(self.writes("ProductSet")[-1])
        self.assertEqual(update["variables"]["identifier"], {"id": product["id"]})

    def test_links_by_sku_instead_of_duplicating(self):
        existing = next(v for v in self.shop.store.variants.values() if v["sku"] == "SKU-0001-01")
        template = self.make_template(name="Odoo name", code="SKU-0001-01")
        count = len(self.shop.store.products)
        self.run_queue()
        self.assertEqual(len(self.shop.store.products), count, "no duplicate")
        self.assertEqual(self.binding(template, "product").external_id, existing["_product_id"])
        self.assertEqual(self.binding(template.product_variant_id, "variant").external_id, existing["id"])

    def test_links_by_barcode(self):
        existing = next(v for v in self.shop.store.variants.values() if v["barcode"])
        template = self.make_template(code=False, barcode=existing["barcode"])
        self.run_queue()
        self.assertEqual(self.binding(template, "product").external_id, existing["_product_id"])

    def test_variants_become_options(self):
        template = self.make_template(variants=True, code="TEE")
        self.run_queue()
        product = self.shopify_product(template)
        self.assertEqual([o["name"] for o in product["options"]], ["Size"])
        self.assertEqual(product["options"][0]["values"], ["S", "M", "L"])
        skus = sorted(self.shop.store.variants[v]["sku"] for v in product["_variant_ids"])
        self.assertEqual(skus, ["TEE-L", "TEE-M", "TEE-S"])
        for variant in template.product_variant_ids:
            self.assertTrue(self.binding(variant, "variant"))
        # Removing a value archives its variant in Odoo and deletes it in Shopify.
        line = template.attribute_line_ids
        line.value_ids = [(3, self.size_attribute.value_ids[2].id)]
        self.run_queue()
        self.assertEqual(len(product["_variant_ids"]), 2)

    def test_archive_and_restore(self):
        template = self.make_template()
        self.run_queue()
        template.action_archive()
        self.run_queue()
        product = self.shopify_product(template)
        self.assertEqual(product["status"], "ARCHIVED")
        template.action_unarchive()
        self.run_queue()
        self.assertEqual(product["status"], "ACTIVE")

    def test_unchanged_product_sends_nothing(self):
        template = self.make_template()
        self.run_queue()
        self.shop.requests.clear()
        template.write({"list_price": template.list_price, "default_code": "LS-1"})
        self.assertFalse(self.jobs("product_export", "pending"), "a save that changes nothing queues nothing")
        # Even a job queued anyway (nightly reconcile) sends nothing when the hash is the same.
        self.backend._shopify_queue_templates(template)
        self.run_queue()
        self.assertFalse(self.writes())
        self.assertIn("Unchanged", self.jobs("product_export").sorted("id")[-1].result)

    def test_pricelist_price_and_compare_at(self):
        pricelist = self.env["product.pricelist"].create({
            "name": "Shopify", "item_ids": [(0, 0, {"compute_price": "percentage", "percent_price": 20})],
        })
        self.backend.shopify_pricelist_id = pricelist
        template = self.make_template(list_price=50.0)
        self.run_queue()
        variant = self.shop.store.variants[self.binding(template.product_variant_id, "variant").external_id]
        self.assertEqual((variant["price"], variant["compareAtPrice"]), ("40.00", "50.00"))

    def test_shopify_refusal_fails_that_job_with_the_reason(self):
        template = self.make_template()
        template.attribute_line_ids  # noqa: B018
        attributes = self.env["product.attribute"].create([
            {"name": f"A{i}", "value_ids": [(0, 0, {"name": "x"}), (0, 0, {"name": "y"})]} for i in range(4)
        ])
        template.attribute_line_ids = [
            (0, 0, {"attribute_id": a.id, "value_ids": [(6, 0, a.value_ids.ids)]}) for a in attributes
        ]
        self.run_queue()
        job = self.jobs("product_export")
        self.assertEqual(job.state, "failed")
        self.assertEqual(job.failure_type, "validation")
        self.assertIn("at most 3 options", job.failure_reason)
