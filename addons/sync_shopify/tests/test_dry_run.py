from odoo.tests import tagged

from .common import ShopifyCase


@tagged("post_install", "-at_install")
class TestDryRun(ShopifyCase):
    def test_dry_run_records_payloads_and_sends_nothing(self):
        self.backend.mode = "dry_run"
        template = self.make_template(name="Dry shirt")
        self.run_queue()
        job = self.jobs("product_export")
        self.assertEqual(job.state, "done")
        self.assertIn("Dry run", job.result)
        self.assertFalse(self.writes(), "no mutation reached Shopify")
        exchange = self.env["sync.exchange"].search(
            [("backend_id", "=", self.backend.id), ("dry_run", "=", True), ("operation", "=", "product_export")]
        )
        self.assertEqual(len(exchange), 1)
        self.assertIn("Dry shirt", exchange.request_body)
        self.assertNotIn(self.shop.access_token, exchange.request_headers)
        self.assertFalse(self.binding(template, "product"), "nothing is linked to what was not created")
