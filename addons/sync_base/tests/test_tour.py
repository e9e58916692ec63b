from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestFailureInboxTour(HttpCase):
    def test_retry_from_the_failure_inbox(self):
        backend = self.env["sync.backend"].create({"name": "Tour backend", "restrict_heavy_to_window": False})
        job = self.env["sync.job"].create({
            "backend_id": backend.id,
            "operation": "noop",
            "external_id": "TOUR-FAILED-JOB",
            "state": "failed",
            "failure_type": "validation",
            "failure_reason": "The tour's broken job",
        })
        self.start_tour("/odoo/action-sync_base.sync_job_action_failures", "sync_base_failure_inbox", login="admin")
        self.assertEqual(job.state, "pending")
