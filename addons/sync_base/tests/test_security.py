from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import SyncCase


@tagged("post_install", "-at_install")
class TestSecurity(SyncCase):
    def test_sync_user_can_retry_but_not_read_the_token(self):
        self.server.answers = [(422, {}, {})]
        job = self.backend._enqueue("http_post", external_id="S", payload={})
        self.run_queue()
        backend_as_user = self.backend.with_user(self.sync_user)
        self.assertEqual(backend_as_user.name, "Test remote")
        with self.assertRaises(AccessError):
            backend_as_user.api_token  # noqa: B018
        with self.assertRaises(AccessError):
            backend_as_user.read(["webhook_secret"])
        self.assertNotIn("api_token", backend_as_user.fields_get())
        job.with_user(self.sync_user).action_retry()
        self.assertEqual(job.state, "pending")
        self.assertEqual(self.backend.with_user(self.sync_manager).api_token, "tok-SECRET-1234")

    def test_sync_user_cannot_configure_backends(self):
        with self.assertRaises(AccessError):
            self.backend.with_user(self.sync_user).write({"max_attempts": 99})
        with self.assertRaises(AccessError):
            self.env["sync.backend"].with_user(self.sync_user).create({"name": "Rogue"})

    def test_plain_employee_sees_no_sync_data(self):
        employee = new_test_user(self.env, login="employee", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.env["sync.job"].with_user(employee).search([])
        job = self.backend._enqueue("noop", external_id="x")
        with self.assertRaises(AccessError):
            job.with_user(employee).action_retry()

    def test_other_company_sees_none_of_our_jobs(self):
        self.backend._enqueue("noop", external_id="ours")
        self.env["sync.binding"].create({
            "backend_id": self.backend.id, "external_type": "contact", "external_id": "1",
            "res_model": "res.partner", "res_id": self.env.user.partner_id.id,
        })
        other_company = self.env["res.company"].create({"name": "Other Co"})
        outsider = new_test_user(
            self.env, login="outsider", groups="base.group_user,sync_base.group_sync_manager",
            company_id=other_company.id, company_ids=[other_company.id],
        )
        for model in ("sync.backend", "sync.job", "sync.binding"):
            self.assertFalse(self.env[model].with_user(outsider).search([]).filtered(
                lambda r: r.company_id == self.env.company), model)
        self.assertFalse(self.env["sync.job"].with_user(outsider).search([("backend_id", "=", self.backend.id)]))
        self.assertEqual(self.env["sync.job"].with_user(self.sync_user).search_count(
            [("backend_id", "=", self.backend.id)]), 1)
