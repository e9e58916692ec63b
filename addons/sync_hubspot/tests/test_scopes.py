"""What the HubSpot token may do, and in which account.

Written from developers.hubspot.com: private apps ("Show private app access token information":
POST /oauth/v2/private-apps/get/access-token-info answers hubId and scopes), the 2026-03 token
introspection for OAuth apps, and the scopes page (each object API's reference lists its read and
write scopes; a call outside them is answered 403 with category MISSING_SCOPES).
"""

from odoo.tests import tagged

from .common import HubSpotCase, create_backend

DEAL_WRITE = "crm.objects.deals.write"
CONTACT_WRITE = "crm.objects.contacts.write"


@tagged("post_install", "-at_install")
class TestScopes(HubSpotCase):
    def jobs(self, operation):
        return self.Job.search([("backend_id", "=", self.backend.id), ("operation", "=", operation)])

    def export_a_partner(self):
        partner = self.env["res.partner"].create({"name": "Ada Scoped", "email": "ada.scoped@example.com",
                                                  "customer_rank": 1})
        self.backend._enqueue("partner_export", record=partner, category="customer")
        self.run_queue()
        return self.jobs("partner_export")

    def test_a_private_app_token_says_its_account_and_scopes(self):
        result = self.backend.action_test_connection()
        self.assertEqual(result["params"]["type"], "success", result["params"]["message"])
        self.assertEqual(self.backend.hubspot_portal_id, str(self.hub.portal_id))
        self.assertIn(CONTACT_WRITE, self.backend.granted_scopes.split(","))
        self.assertIn(str(self.hub.portal_id), result["params"]["message"])

    def test_a_missing_scope_is_named_per_feature_and_its_work_does_not_start(self):
        self.hub.private_app_scopes.remove(DEAL_WRITE)
        result = self.backend.action_test_connection()
        self.assertEqual(result["params"]["type"], "warning")
        self.assertIn("Deals needs %s" % DEAL_WRITE, result["params"]["message"])
        self.assertIn("Scopes tab", result["params"]["message"], "says where to grant it")
        self.hub.requests.clear()
        job = self.backend._enqueue("deal_import", external_id="1", direction="import")
        self.run_queue()
        self.assertEqual(job.state, "failed")
        self.assertEqual(job.failure_type, "auth")
        self.assertIn(DEAL_WRITE, job.failure_reason)
        self.assertFalse([r for r in self.hub.requests if "/deals" in r["path"]], "nothing asked of HubSpot")
        # Customers keep flowing: their scopes are granted.
        self.assertEqual(set(self.export_a_partner().mapped("state")), {"done"})

    def test_a_scope_withdrawn_after_test_connection_fails_the_job_naming_it(self):
        self.backend.action_test_connection()
        self.hub.private_app_scopes.remove(CONTACT_WRITE)  # an admin unticked it in HubSpot since
        jobs = self.export_a_partner()
        self.assertEqual(set(jobs.mapped("state")), {"failed"})
        self.assertEqual(jobs.failure_type, "auth")
        self.assertIn(CONTACT_WRITE, jobs.failure_reason)
        self.assertNotIn("Check the access token", jobs.failure_reason, "the token is fine, a scope is missing")

    def test_a_token_of_another_account_is_refused(self):
        self.backend.hubspot_portal_id = "111"  # connected to another account before
        result = self.backend.action_test_connection()
        self.assertEqual(result["params"]["type"], "danger")
        self.assertIn(str(self.hub.portal_id), result["params"]["message"])
        self.assertIn("111", result["params"]["message"])
        self.assertEqual(self.backend.hubspot_portal_id, "111")

    def test_events_of_another_account_are_not_imported(self):
        self.backend.action_test_connection()
        event = {"eventId": 9, "objectId": 101, "subscriptionType": "contact.propertyChange",
                 "changeSource": "CRM_UI", "propertyName": "email"}
        self.assertFalse(self.backend._hubspot_receive_events([dict(event, portalId=111)]))
        self.assertTrue(self.backend._hubspot_receive_events([dict(event, portalId=self.hub.portal_id)]))

    def test_introspection_refused_is_a_failed_test_not_a_crash(self):
        backend = create_backend(self.env, self.hub, name="HubSpot OAuth, wrong secret", api_token=False,
                                 hubspot_auth_method="oauth", hubspot_client_id=self.hub.oauth.client_id,
                                 hubspot_client_secret="not-the-secret")
        result = backend.action_test_connection()
        self.assertEqual(result["params"]["type"], "danger")
        self.assertEqual(backend.state, "disconnected")
