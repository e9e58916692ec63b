import time
from unittest.mock import patch

from odoo.tests import tagged

from ..models import sync_backend_poll
from .common import HubSpotCase


@tagged("post_install", "-at_install")
class TestPoll(HubSpotCase):
    def test_poll_queues_imports_of_changed_objects(self):
        self.backend._enqueue("poll", direction="import", dedup_key="hubspot_poll")
        self.run_queue()
        imported = self.Binding.search([("backend_id", "=", self.backend.id), ("external_type", "=", "contacts")])
        self.assertEqual(len(imported), 3, "the seeded contacts were imported")
        self.hub.requests.clear()
        self.backend._enqueue("poll", direction="import", dedup_key="hubspot_poll")
        self.run_queue()
        self.assertFalse(self.jobs("contact_import").filtered(lambda j: j.state == "pending"))
        self.assertFalse([r for r in self.hub.requests if r["method"] == "GET"], "nothing new to fetch")

    def test_search_cap_moves_the_window(self):
        # The cap is made tiny so that the 10,000-result limit is reached with 3 records.
        for contact in sorted(self.hub.store.objects["contacts"].values(), key=lambda r: int(r["id"])):
            time.sleep(0.003)  # distinct modification times, as in a real portal
            self.hub.update_object("contacts", contact["id"], {"jobtitle": "Buyer"})
        with patch.object(sync_backend_poll, "SEARCH_RESULT_CAP", 3), patch.object(sync_backend_poll, "SEARCH_PAGE", 2):
            state = {}
            queued = self.backend._hubspot_poll_type("contacts", state)
        self.assertGreaterEqual(queued, 3)
        pending = self.jobs("contact_import").filtered(lambda j: j.state == "pending")
        self.assertEqual(len(pending), 3, "each contact once")
        searches = [r for r in self.hub.requests if r["path"].endswith("/search")]
        self.assertGreaterEqual(len(searches), 2)
