import time
from unittest.mock import patch

import requests
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

    def test_a_poll_of_many_pages_of_changes_completes(self):
        """HubSpot's search has a per-second limit of its own (the sandbox: 5 a second, a 429 past it);
        the poll used to page without pause, and 703 changed contacts failed it at the 6th page."""
        for index in range(700):
            self.hub.create_object("contacts", {"email": f"changed{index}@example.com", "firstname": "Changed"})
        queued = self.backend._hubspot_poll_type("contacts", {}, now_ms=1)
        self.assertEqual(queued, 703, "every changed contact, the 3 seeded ones included")
        searches = [r for r in self.hub.requests if r["path"].endswith("/search")]
        self.assertEqual(len(searches), 8)
        self.assertEqual({r["status"] for r in searches}, {200}, "paced: no search was refused")

    def test_a_search_refused_by_the_per_second_limit_is_asked_again(self):
        """Another worker's searches spend the same per-second budget: the refused page is waited out
        and asked again, instead of failing the poll and losing the pages already read."""
        for index in range(250):
            self.hub.create_object("contacts", {"email": f"busy{index}@example.com"})
        other_worker = {"Authorization": f"Bearer {self.hub.token}"}
        for _ in range(5):
            requests.post(f"{self.hub.url}/crm/v3/objects/contacts/search", json={"limit": 1},
                          headers=other_worker, timeout=5)
        queued = self.backend._hubspot_poll_type("contacts", {}, now_ms=1)
        self.assertEqual(queued, 253)
        statuses = [r["status"] for r in self.hub.requests if r["path"].endswith("/search")][5:]
        self.assertIn(429, statuses, "the first page met the other worker's budget")
        self.assertEqual(statuses[-1], 200)
