from odoo.tests import HttpCase, tagged

from .common import RecordingHttpServer


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


@tagged("post_install", "-at_install")
class TestConnectionTour(HttpCase):
    def test_the_form_shows_the_state_the_button_found(self):
        server = RecordingHttpServer()
        self.addCleanup(server.stop)
        backend = self.env["sync.backend"].create({"name": "Tour remote", "api_url": server.url})
        self.start_tour(f"/odoo/action-sync_base.sync_backend_action/{backend.id}", "sync_base_test_connection",
                        login="admin")
        self.assertEqual(backend.state, "connected")
        self.assertEqual([request["method"] for request in server.requests], ["GET"])
