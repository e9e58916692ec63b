from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import HubSpotCase


@tagged("post_install", "-at_install")
class TestPartnerExport(HubSpotCase):
    def test_new_customer_is_queued(self):
        partner = self.customer("Queued Ltd", is_company=True)
        job = self.jobs("partner_export").filtered(lambda j: j.res_id == partner.id)
        self.assertEqual(job.state, "pending")
        self.assertFalse(self.hub.requests, "nothing is sent before the queue runs")

    def test_partners_go_in_batches_of_100(self):
        partners = self.env["res.partner"]
        for index in range(150):
            partners |= self.customer(f"Batch Person {index}", email=f"batch{index}@example.com")
        self.run_queue()
        upserts = [r for r in self.hub.requests if r["path"].endswith("/batch/upsert")]
        self.assertEqual(len(upserts), 2, "150 contacts take two calls of at most 100")
        self.assertEqual(set(self.jobs("partner_export").mapped("state")), {"done"})
        contact = self.hub_object("contacts", partners[0])
        self.assertEqual(contact["properties"]["odoo_id"], str(partners[0].id))
        self.assertEqual(contact["properties"]["firstname"], "Batch Person")
        self.assertEqual(contact["properties"]["lastname"], "0")

    def test_retry_after_a_lost_answer_creates_no_duplicate(self):
        partner = self.customer("Lost Answer", email="lost@example.com")
        self.hub.faults.set(drop_after_write=1)
        with mute_logger("odoo.addons.sync_base.models.sync_job"):
            self.run_queue()
        job = self.jobs("partner_export")
        self.assertEqual((job.state, job.failure_type), ("pending", "network"), "retried, not failed")
        self.assertEqual(len(self.hub.store.objects["contacts"]), 4, "HubSpot applied the write")
        job.next_attempt_at = False
        self.run_queue()
        self.assertEqual(job.state, "done", job.failure_reason)
        self.assertEqual(len(self.hub.store.objects["contacts"]), 4, "the retry found the contact by odoo_id")
        self.assertEqual(self.hub_object("contacts", partner)["properties"]["email"], "lost@example.com")

    def test_unchanged_partner_is_not_sent_again(self):
        partner = self.customer("Same Again", is_company=True)
        self.run_queue()
        self.hub.requests.clear()
        self.backend._enqueue("partner_export", record=partner, category="customer")
        self.run_queue()
        self.assertFalse(self.hub.requests)

    def test_partial_failure_fails_only_the_refused_record(self):
        partners = [self.customer(f"Partial {index}", email=f"partial{index}@example.com") for index in range(3)]
        self.run_queue()
        gone = self.hub_object("contacts", partners[1])
        self.hub.archive_object("contacts", gone["id"])
        jobs = []
        for partner in partners:
            self.Binding._find(self.backend, "contacts", record=partner).sync_hash = False
            jobs.append(self.backend._enqueue("partner_export", record=partner, category="customer"))
        with mute_logger("odoo.addons.sync_base.models.sync_job"):
            self.run_queue()
        self.assertEqual(len([r for r in self.hub.requests if r["path"].endswith("/batch/update")]), 1)
        self.assertEqual((jobs[0].state, jobs[2].state), ("done", "done"))
        failed = jobs[1]
        self.assertEqual((failed.state, failed.failure_type), ("failed", "validation"))
        self.assertIn("Partial 1", failed.failure_reason)
        self.assertIn("Could not get some CONTACT objects", failed.failure_reason, "HubSpot's own message")

    def test_batch_that_cannot_be_bound_at_once_fails_only_the_culprit(self):
        """The batch is bound in one go; when that fails, each partner is bound alone."""
        first, second = (self.customer(f"Bound {index}", email=f"bound{index}@example.com") for index in range(2))
        # HubSpot already has first's contact (by odoo_id), but Odoo links it to another partner.
        contact = self.hub.create_object("contacts", {"email": "old@example.com", "odoo_id": str(first.id)})
        holder = self.env["res.partner"].create({"name": "Holder"})
        self.Binding.create({"backend_id": self.backend.id, "external_type": "contacts", "res_model": "res.partner",
                             "res_id": holder.id, "external_id": contact["id"]})
        quiet = ("odoo.addons.sync_base.models.sync_job", "odoo.addons.sync_hubspot.models.sync_backend_partner",
                 "odoo.sql_db")
        with mute_logger(*quiet):
            self.run_queue()
        job_of = {job.res_id: job for job in self.jobs("partner_export")}
        self.assertEqual(job_of[second.id].state, "done", job_of[second.id].failure_reason)
        self.assertTrue(self.hub_object("contacts", second))
        self.assertEqual(job_of[first.id].state, "failed")
        self.assertIn("sync_binding_external_uniq", job_of[first.id].failure_reason, "the database's own reason")
        self.assertFalse(self.Binding._find(self.backend, "contacts", record=first))

    def test_contact_is_linked_to_its_company(self):
        company = self.customer("Linked Corp", is_company=True)
        person = self.customer("Lin Ked", email="lin@linked.example", parent_id=company.id)
        self.run_queue()
        company_id = self.hub_object("companies", company)["id"]
        contact_id = self.hub_object("contacts", person)["id"]
        self.assertIn(company_id, self.hub.store.associated("contacts", contact_id, "companies"))
        self.assertIn("odoo_total_invoiced", self.hub_object("companies", company)["properties"])

    def test_refused_partner_fails_alone_with_hubspot_message(self):
        # Give Odoo the lifecycle stage, so that a value HubSpot does not know is sent.
        rule = self.env.ref("sync_hubspot.sync_field_rule_res_partner_hubspot_lifecycle_stage")
        rule.write({"owner": "odoo", "readers": "hubspot"})
        known = self.customer("Known Email", email="known@example.com")
        self.run_queue()
        good = self.customer("Good Person", email="good@example.com", hubspot_lifecycle_stage="lead")
        bad = self.customer("Bad Stage", email="bad@example.com", hubspot_lifecycle_stage="Customer!")
        twin = self.customer("Known Twin", email="KNOWN@example.com")
        self.hub.requests.clear()
        with mute_logger("odoo.addons.sync_base.models.sync_job"):
            self.run_queue()
        upserts = [r for r in self.hub.requests if r["path"].endswith("/batch/upsert")]
        self.assertEqual((len(upserts), upserts[0]["status"]), (1, 207), "one call, HubSpot's multi-status answer")
        job_of = {job.res_id: job for job in self.jobs("partner_export")}
        self.assertEqual(job_of[good.id].state, "done", job_of[good.id].failure_reason)
        self.assertEqual(self.hub_object("contacts", good)["properties"]["lifecyclestage"], "lead")
        failed = job_of[bad.id]
        self.assertEqual((failed.state, failed.failure_type), ("failed", "validation"))
        self.assertIn("Bad Stage", failed.failure_reason)
        self.assertIn("Customer! was not one of the allowed options", failed.failure_reason, "HubSpot's own message")
        self.assertFalse(self.Binding._find(self.backend, "contacts", record=bad))
        clash = job_of[twin.id]
        self.assertEqual(clash.state, "failed", "the email belongs to a contact already linked to another partner")
        self.assertIn(known.display_name, clash.failure_reason)
        self.assertFalse(self.Binding._find(self.backend, "contacts", record=twin))

    def test_unlinked_partner_with_a_known_email_is_linked_not_duplicated(self):
        existing = self.hub.store.objects["contacts"][min(self.hub.store.objects["contacts"], key=int)]
        first_name = existing["properties"]["firstname"]
        count = len(self.hub.store.objects["contacts"])
        partner = self.customer("Someone Else", email=existing["properties"]["email"].upper())
        fresh = self.customer("Fresh Person", email="fresh@example.com")
        self.run_queue()
        jobs = self.jobs("partner_export")
        self.assertEqual(set(jobs.mapped("state")), {"done"}, jobs.mapped("failure_reason"))
        self.assertEqual(self.hub_object("contacts", partner)["id"], existing["id"])
        self.assertEqual(len(self.hub.store.objects["contacts"]), count + 1, "only the fresh partner is new")
        self.assertTrue(self.hub_object("contacts", fresh))
        self.assertEqual(existing["properties"]["odoo_id"], str(partner.id), "HubSpot now knows the Odoo partner")
        self.assertEqual(existing["properties"]["firstname"], first_name, "HubSpot keeps the identity it owns")
        job = jobs.filtered(lambda j: j.res_id == partner.id)
        self.assertIn("Linked to HubSpot contacts %s" % existing["id"], job.result)
        # The link holds: the next export is an update of that contact.
        self.hub.requests.clear()
        partner.phone = "+32 2 555 01 01"
        self.run_queue()
        self.assertFalse([r for r in self.hub.requests if r["path"].endswith("/batch/upsert")])
