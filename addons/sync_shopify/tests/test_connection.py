from odoo.tests import tagged

from .common import ShopifyCase


@tagged("post_install", "-at_install")
class TestConnection(ShopifyCase):
    def test_test_connection_reports_shop_plan_and_budget(self):
        action = self.backend.action_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        message = action["params"]["message"]
        self.assertIn("Sandbox Shop", message)
        self.assertIn("Basic plan", message)
        self.assertIn("2000 points", message)
        self.assertEqual(self.backend.state, "connected")
        request = self.shop.requests[-1]
        self.assertEqual(request["path"], "/admin/api/2026-04/graphql.json")
        exchange = self.env["sync.exchange"].search([("backend_id", "=", self.backend.id)], limit=1)
        self.assertNotIn(self.shop.access_token, exchange.request_headers)

    def test_wrong_token_says_so(self):
        self.backend.api_token = "shpat_wrong_token"
        action = self.backend.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("refused the credentials", action["params"]["message"])
        self.assertEqual(self.backend.state, "disconnected")

    def test_fetch_locations_adds_the_missing_ones(self):
        self.backend.action_shopify_fetch_locations()
        self.assertEqual(sorted(self.backend.shopify_location_ids.mapped("shopify_gid")), sorted(self.locations))
