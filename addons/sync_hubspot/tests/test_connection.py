from odoo.tests import tagged

from .common import HubSpotCase, create_backend


@tagged("post_install", "-at_install")
class TestConnection(HubSpotCase):
    def test_first_connection_creates_unique_odoo_id_properties(self):
        self.hub.reset()
        action = self.backend.action_test_connection()
        self.assertEqual(action["params"]["type"], "success", action["params"]["message"])
        self.assertEqual(self.backend.state, "connected")
        for otype in ("contacts", "companies", "deals"):
            definition = self.hub.store.properties[otype]["odoo_id"]
            self.assertTrue(definition["hasUniqueValue"], f"odoo_id on {otype} must be unique for upserts")
        self.assertIn("odoo_total_invoiced", self.hub.store.properties["companies"])
        won = self.backend.hubspot_stage_ids.filtered("is_won")
        self.assertEqual(won.stage_id, "closedwon")
        self.assertTrue(won.create_quotation)

    def test_second_connection_creates_nothing_and_keeps_the_stage_mapping(self):
        self.backend.hubspot_stage_ids.filtered("is_won").create_quotation = False
        self.hub.requests.clear()
        self.backend.action_test_connection()
        posts = [r for r in self.hub.requests if r["method"] == "POST" and "/crm/" in r["path"]]
        self.assertFalse(posts, "properties exist already")
        self.assertFalse(self.backend.hubspot_stage_ids.filtered("is_won").create_quotation)
        self.assertEqual(len(self.backend.hubspot_stage_ids), 7)

    def test_refused_token_says_so_and_disconnects(self):
        backend = create_backend(self.env, self.hub, api_token="pat-wrong")
        action = backend.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("refused the credentials", action["params"]["message"])
        self.assertEqual(backend.state, "disconnected")
