"""A HubSpot app installed by OAuth (developers.hubspot.com, "Working with OAuth" and the 2026-03 OAuth
tokens API): Connect to HubSpot, the state checked once, access tokens of 30 minutes renewed with the
refresh token without a job failing, the granted scopes read by token introspection."""

from datetime import timedelta
from urllib.parse import urlsplit

import requests
from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged

from .common import create_backend, start_sandbox


@tagged("post_install", "-at_install")
class TestHubSpotOAuth(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub = start_sandbox(cls)
        cls.backend = create_backend(cls.env, cls.hub, api_token=False, hubspot_auth_method="oauth",
                                     hubspot_client_id=cls.hub.oauth.client_id,
                                     hubspot_client_secret=cls.hub.oauth.client_secret)
        new_test_user(cls.env, login="hub_oauth_manager", groups="base.group_user,sync_base.group_sync_manager")

    def setUp(self):
        super().setUp()
        self.hub.reset()
        self.backend._tokens.clear()
        self.authenticate("hub_oauth_manager", "hub_oauth_manager")

    def install(self):
        action = self.backend.action_hubspot_connect()
        consent = requests.get(action["url"], allow_redirects=False, timeout=10)
        self.assertEqual(consent.status_code, 302)
        parts = urlsplit(consent.headers["Location"])
        self.assertEqual(parts.path, "/sync_hubspot/oauth/callback")
        response = self.url_open("%s?%s" % (parts.path, parts.query), allow_redirects=False)
        self.env.invalidate_all()
        return response, parts

    def token(self):
        return self.env["sync.backend.token"].sudo().search([("backend_id", "=", self.backend.id)])

    def test_connect_to_hubspot_then_work_with_the_token(self):
        response, _parts = self.install()
        self.assertEqual(response.status_code, 303, response.text)
        self.assertTrue(self.token().refresh_token.startswith("na1-"))
        result = self.backend.action_test_connection()
        self.assertEqual(result["params"]["type"], "success", result["params"]["message"])
        self.assertEqual(self.backend.state, "connected")

    def test_an_expired_token_is_renewed_and_no_job_fails(self):
        self.install()
        self.backend.action_test_connection()
        self.hub.oauth.expire_all()  # the 30 minutes are over while the worker holds the token
        partner = self.env["res.partner"].create({"name": "Renewed Token Ltd", "email": "renew@example.com",
                                                  "customer_rank": 1, "is_company": True})
        self.backend._enqueue("partner_export", record=partner, category="customer")
        self.env["sync.job"]._process_queue(backends=self.backend, commit=False)
        jobs = self.env["sync.job"].search([("backend_id", "=", self.backend.id), ("operation", "=", "partner_export")])
        self.assertEqual(set(jobs.mapped("state")), {"done"}, jobs.mapped("failure_reason"))
        self.assertEqual(len(self.hub.oauth.grants), 2, "one renewal")

    def test_missing_scopes_are_named(self):
        self.hub.oauth.scopes = [scope for scope in self.hub.oauth.scopes if scope != "crm.objects.deals.write"]
        self.install()
        result = self.backend.action_test_connection()
        self.assertEqual(result["params"]["type"], "warning")
        self.assertIn("crm.objects.deals.write", result["params"]["message"])

    def test_a_replayed_or_unknown_state_connects_nothing(self):
        response, parts = self.install()
        self.assertEqual(response.status_code, 303)
        replay = self.url_open("%s?%s" % (parts.path, parts.query), allow_redirects=False)
        self.assertEqual(replay.status_code, 400)
        forged = self.url_open("/sync_hubspot/oauth/callback?code=abc&state=forged", allow_redirects=False)
        self.assertEqual(forged.status_code, 400)
        self.assertEqual(len(self.hub.oauth.grants), 1)

    def test_an_install_in_another_account_connects_nothing(self):
        self.backend.hubspot_portal_id = "111"  # the backend's bindings are account 111's records
        response, _parts = self.install()
        self.assertEqual(response.status_code, 400)
        self.assertIn("111", response.text)
        self.assertFalse(self.token(), "no token of the other account kept")
        self.backend.hubspot_portal_id = False

    def test_a_token_about_to_expire_is_renewed_before_the_call(self):
        self.install()
        stored = self.token()
        stored.expires_at = fields.Datetime.now() + timedelta(minutes=2)  # HubSpot still takes it
        self.backend._tokens.clear()
        result = self.backend.action_test_connection()
        self.assertEqual(result["params"]["type"], "success", result["params"]["message"])
        self.assertEqual(len(self.hub.oauth.grants), 2, "renewed ahead of its expiry, not after a refusal")
        refused = [r for r in self.hub.requests if r["status"] == 401]
        self.assertFalse(refused, "no call was sent with the old token and refused")

    def test_a_refused_refresh_is_one_auth_failure_that_says_what_to_do(self):
        self.install()
        self.backend.action_test_connection()
        self.hub.oauth.refresh_tokens.clear()  # the app was uninstalled, or the refresh token revoked
        self.hub.oauth.expire_all()
        self.backend._tokens.clear()
        self.token().expires_at = fields.Datetime.now()
        partner = self.env["res.partner"].create({"name": "Revoked Ltd", "email": "revoked@example.com",
                                                  "customer_rank": 1, "is_company": True})
        self.backend._enqueue("partner_export", record=partner, category="customer")
        self.env["sync.job"]._process_queue(backends=self.backend, commit=False)
        job = self.env["sync.job"].search([("backend_id", "=", self.backend.id), ("operation", "=", "partner_export")])
        self.assertEqual((job.state, job.failure_type), ("failed", "auth"), job.failure_reason)
        self.assertIn("Connect to HubSpot again", job.failure_reason)
