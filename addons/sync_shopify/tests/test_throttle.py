import time

from odoo.tests import tagged

from .common import ShopifyCase


@tagged("post_install", "-at_install")
class TestThrottle(ShopifyCase):
    sandbox_options = {"bucket_max": 60, "restore_rate": 30}

    def test_small_bucket_paces_instead_of_failing(self):
        templates = self.env["product.template"].browse()
        for index in range(12):
            templates |= self.make_template(name=f"Paced {index}", code=f"PACE-{index}")
        started = time.monotonic()
        self.run_queue()
        elapsed = time.monotonic() - started
        exports = self.jobs("product_export")
        self.assertEqual(set(exports.mapped("state")), {"done"}, "a throttle is never a failure")
        self.assertTrue(all(self.binding(template, "product") for template in templates))
        throttled = [r for r in self.shop.requests if "THROTTLED" in (r.get("errors") or [])]
        self.assertLessEqual(len(throttled), 2, "paced by throttleStatus, not by trial and error")
        # 12 products cost about 170 points, the bucket holds 60 and refills 30 a second:
        # the client had to wait for refills.
        self.assertGreater(elapsed, 2.0)

    def test_persistent_throttle_is_retried_later_not_failed(self):
        template = self.make_template()
        self.shop.faults.set(throttle_storm=True)
        self.run_queue()
        job = self.jobs("product_export")
        self.assertEqual(job.state, "pending")
        self.assertEqual(job.failure_type, "rate_limit")
        self.assertTrue(job.next_attempt_at)
        self.shop.faults.clear()
        job.next_attempt_at = False
        self.run_queue()
        self.assertEqual(job.state, "done")
        self.assertTrue(self.binding(template, "product"))

    def test_server_errors_are_retried_with_backoff(self):
        template = self.make_template()
        self.shop.faults.set(error_rate=0.5)
        self.run_queue()
        self.shop.faults.clear()
        for job in self.jobs("product_export").filtered(lambda j: j.state == "pending"):
            job.next_attempt_at = False
        self.run_queue()
        self.assertEqual(self.jobs("product_export").state, "done")
        self.assertTrue(self.binding(template, "product"))
