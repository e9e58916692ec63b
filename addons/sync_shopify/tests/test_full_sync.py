from odoo.tests import tagged

from .common import ShopifyCase


@tagged("post_install", "-at_install")
class TestFullSync(ShopifyCase):
    def test_bulk_read_links_by_sku_and_queues_the_rest(self):
        remote = next(v for v in self.shop.store.variants.values() if v["sku"] == "SKU-0002-01")
        product = self.env["product.product"].create({"name": "Known in both", "default_code": "SKU-0002-01"})
        published = self.make_template(name="Odoo only", code="ODOO-ONLY")
        self.Job.search([("backend_id", "=", self.backend.id)]).unlink()
        self.backend.action_shopify_full_sync()
        job = self.jobs("full_sync")
        self.assertTrue(job.heavy, "runs in the nightly window")
        self.run_queue()
        self.assertEqual(job.state, "done", job.failure_reason)
        self.assertEqual(self.binding(product, "variant").external_id, remote["id"])
        self.assertEqual(self.binding(product.product_tmpl_id, "product").external_id, remote["_product_id"])
        self.assertIn("1 variants linked", job.result)
        self.assertTrue(self.binding(published, "product"), "published products were exported")
        names = [r.get("operation_name") for r in self.shop.requests]
        self.assertIn("BulkRun", names)
