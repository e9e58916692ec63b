import time

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models.sync_backend import RatePacer
from .common import HubSpotCase


@tagged("post_install", "-at_install")
class TestRateLimit(HubSpotCase):
    def test_429_waits_for_the_window_and_is_not_a_failure(self):
        partner = self.customer("Throttled", is_company=True)
        self.hub.faults.set(throttle_storm=True)
        before = fields.Datetime.now()
        with mute_logger("odoo.addons.sync_base.models.sync_job"):
            self.run_queue()
        job = self.jobs("partner_export")
        self.assertEqual((job.state, job.failure_type, job.attempts), ("pending", "rate_limit", 1))
        self.assertGreaterEqual((job.next_attempt_at - before).total_seconds(), 10, "HubSpot's 10-second window")
        self.hub.faults.clear()
        job.next_attempt_at = False
        self.run_queue()
        self.assertEqual(job.state, "done")
        self.assertTrue(self.hub_object("companies", partner))

    def test_429_fails_only_when_retries_are_exhausted(self):
        self.customer("Always Throttled", is_company=True)
        self.hub.faults.set(throttle_storm=True)
        job = self.jobs("partner_export")
        with mute_logger("odoo.addons.sync_base.models.sync_job"):
            for _attempt in range(3):
                job.next_attempt_at = False
                self.run_queue()
        self.assertEqual((job.state, job.failure_type), ("failed", "rate_limit"))
        self.assertIn("Gave up after 3 attempts", job.failure_reason)

    def test_pacer_waits_for_the_rolling_window(self):
        pacer = RatePacer()
        pacer.learn({"X-HubSpot-RateLimit-Max": "3", "X-HubSpot-RateLimit-Interval-Milliseconds": "200"})
        started = time.monotonic()
        for _request in range(4):
            pacer.wait()
        self.assertGreaterEqual(time.monotonic() - started, 0.2, "the fourth request waits for the window")

    def test_pacer_counts_the_calls_of_other_workers(self):
        """HubSpot's Remaining header says what the whole account has left, not only this worker."""
        pacer = RatePacer()
        pacer.learn({"X-HubSpot-RateLimit-Max": "3", "X-HubSpot-RateLimit-Interval-Milliseconds": "200"})
        started = time.monotonic()
        pacer.wait()
        pacer.learn({"X-HubSpot-RateLimit-Remaining": "0"})  # another worker spent the rest of the window
        pacer.wait()
        self.assertGreaterEqual(time.monotonic() - started, 0.2, "the second request waits for the window")
        self.assertEqual(len(pacer.hits), 1, "the window passed: only the request just made counts")
        pacer.learn({"X-HubSpot-RateLimit-Remaining": "2"})
        self.assertEqual(len(pacer.hits), 1, "HubSpot agrees with this worker's log: nothing booked")

    def test_daily_budget_spent_postpones_instead_of_calling(self):
        self.customer("Budget", is_company=True)
        self.backend._hubspot_pacer().daily_remaining = 10
        with mute_logger("odoo.addons.sync_base.models.sync_job"):
            self.run_queue()
        job = self.jobs("partner_export")
        self.assertEqual((job.state, job.failure_type), ("pending", "rate_limit"))
        self.assertFalse(self.hub.requests)
