import base64
import hashlib
import hmac
import json
import time

from odoo.tests import HttpCase, tagged

from .common import create_backend, start_sandbox


@tagged("post_install", "-at_install")
class TestWebhook(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub = start_sandbox(cls)
        cls.backend = create_backend(cls.env, cls.hub)
        cls.path = f"/sync_hubspot/webhook/{cls.backend.id}"

    def event_jobs(self):
        """The import jobs of the deliveries received, once the queue took them in (as every claim does)."""
        self.backend._queue_received_deliveries()
        return self.env["sync.job"].search([("backend_id", "=", self.backend.id), ("direction", "=", "import")])

    def post(self, events, secret=None, timestamp=None):
        body = json.dumps(events).encode()
        url = self.base_url() + self.path
        timestamp = str(timestamp or int(time.time() * 1000))
        signed = b"POST" + url.encode() + body + timestamp.encode()
        digest = hmac.new((secret or self.hub.client_secret).encode(), signed, hashlib.sha256).digest()
        return self.url_open(url, data=body, headers={
            "Content-Type": "application/json",
            "X-HubSpot-Signature-v3": base64.b64encode(digest).decode(),
            "X-HubSpot-Request-Timestamp": timestamp,
        })

    def event(self, event_id, object_id=101, kind="contact.propertyChange"):
        return {"eventId": event_id, "objectId": object_id, "subscriptionType": kind, "changeSource": "CRM_UI",
                "propertyName": "email", "occurredAt": int(time.time() * 1000)}

    def test_good_signature_queues_one_import_per_event(self):
        response = self.post([self.event(1), self.event(2, 102, "company.creation")])
        self.assertEqual(response.status_code, 204)
        delivery = self.env["sync.webhook.delivery"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(delivery.state, "received", "the request only stores the delivery")
        self.assertFalse(self.env["sync.job"].search([("backend_id", "=", self.backend.id)]))
        jobs = self.event_jobs()
        self.assertEqual((delivery.state, delivery.job_count), ("taken", 2))
        self.assertEqual(sorted(jobs.mapped("operation")), ["company_import", "contact_import"])
        self.assertEqual(set(jobs.mapped("state")), {"pending"}, "stored and queued, not processed")
        # HubSpot delivers again: same event id, no second job.
        self.assertEqual(self.post([self.event(1)]).status_code, 204)
        self.assertEqual(len(self.event_jobs()), 2)

    def test_bad_signature_is_refused_and_nothing_stored(self):
        response = self.post([self.event(3)], secret="not-the-secret")
        self.assertEqual(response.status_code, 401)
        self.assertFalse(self.event_jobs())

    def test_expired_signature_is_refused(self):
        six_minutes_ago = int(time.time() * 1000) - 6 * 60 * 1000
        self.assertEqual(self.post([self.event(4)], timestamp=six_minutes_ago).status_code, 401)
        self.assertFalse(self.event_jobs())

    def test_sandbox_webhook_end_to_end(self):
        self.hub.webhook_target_url = self.base_url() + self.path
        contact = next(iter(self.hub.store.objects["contacts"].values()))
        self.hub.update_object("contacts", contact["id"], {"phone": "+1 555 0100"})
        self.assertTrue(self.hub.webhooks.drain(10))
        self.hub.webhook_target_url = None
        delivery = self.hub.webhooks.deliveries[-1]
        self.assertTrue(delivery["delivered"], delivery["attempts"])
        self.assertEqual(self.event_jobs().external_id, contact["id"])

    def test_the_creation_of_an_object_odoo_made_is_not_imported_back(self):
        """Odoo's initial load creates contacts; HubSpot reports each creation (changeSource INTEGRATION).
        An object Odoo already binds is our own write: no import. One made in HubSpot is imported."""
        partner = self.env["res.partner"].create({"name": "Made in Odoo"})
        self.env["sync.binding"]._bind(self.backend, "contacts", partner, "501")
        ours = dict(self.event(11, 501, "contact.creation"), changeSource="INTEGRATION")
        theirs = dict(self.event(12, 502, "contact.creation"), changeSource="INTEGRATION")
        self.assertEqual(self.post([ours, theirs]).status_code, 204)
        self.assertEqual(self.event_jobs().mapped("external_id"), ["502"])

    def test_a_privacy_deletion_in_hubspot_erases_the_partner_in_odoo(self):
        """contact.privacyDeletion (developers.hubspot.com changelog, "Webhooks now support privacy-compliant
        contact deletions"): the contact was permanently deleted for a privacy request; HubSpot also sends
        the ordinary contact.deletion."""
        contact = next(iter(self.hub.store.objects["contacts"].values()))
        partner = self.env["res.partner"].create({"name": "Erase Me", "email": "erase.me@example.com",
                                                  "phone": "+33 1 23 45 67 89", "street": "1 Rue du Secret"})
        self.env["sync.binding"]._bind(self.backend, "contacts", partner, contact["id"])
        self.env["sync.exchange"].create({"backend_id": self.backend.id, "method": "GET", "url": "/crm/v3/x",
                                          "response_body": '{"email": "erase.me@example.com"}'})
        self.hub.webhook_target_url = self.base_url() + self.path
        self.hub.privacy_delete_contact(contact["id"])
        self.assertTrue(self.hub.webhooks.drain(10))
        self.hub.webhook_target_url = None
        self.backend._queue_received_deliveries()
        job = self.env["sync.job"].search([("backend_id", "=", self.backend.id), ("operation", "=", "privacy_redact")])
        self.assertEqual(job.external_id, contact["id"])
        self.env["sync.job"]._process_queue(backends=self.backend, commit=False)
        self.assertEqual(job.state, "done", job.failure_reason)
        partner.invalidate_recordset()
        self.assertFalse(partner.email or partner.phone or partner.street)
        self.assertNotIn("Erase", partner.name)
        self.assertFalse(self.env["sync.exchange"].search([("backend_id", "=", self.backend.id),
                                                           ("response_body", "ilike", "erase.me@")]))
