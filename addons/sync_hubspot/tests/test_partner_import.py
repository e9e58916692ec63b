from odoo.tests import tagged

from .common import HubSpotCase


@tagged("post_install", "-at_install")
class TestPartnerImport(HubSpotCase):
    def import_contact(self, hs_id, payload=None):
        job = self.backend._enqueue("contact_import", external_id=str(hs_id), payload=payload, direction="import",
                                    category="customer", dedup_key=False)
        self.run_queue()
        self.assertEqual(job.state, "done", job.failure_reason)
        return job

    def exported(self, name, **values):
        partner = self.customer(name, **values)
        self.run_queue()
        return partner, self.hub_object("contacts", partner)

    def test_initial_load_both_ways(self):
        seeded = sorted(self.hub.store.objects["contacts"].values(), key=lambda r: int(r["id"]))
        same_person = self.customer("Local Name", email=seeded[0]["properties"]["email"].upper())
        odoo_only = self.customer("Only In Odoo", email="only@odoo.example")
        self.env["sync.job"].search([("backend_id", "=", self.backend.id)]).unlink()
        partners_before = self.env["res.partner"].search_count([])
        self.backend.action_hubspot_initial_load()
        self.run_queue()
        self.assertFalse(self.Job.search([("backend_id", "=", self.backend.id), ("state", "!=", "done")]))
        self.assertEqual(self.hub_object("contacts", same_person)["id"], seeded[0]["id"], "matched by email")
        self.assertEqual(seeded[0]["properties"]["odoo_id"], str(same_person.id), "our id written back")
        self.assertEqual(same_person.name, "{firstname} {lastname}".format(**seeded[0]["properties"]),
                         "HubSpot owns the name")
        self.assertEqual(self.env["res.partner"].search_count([]), partners_before + 2 + 2,
                         "two new contacts and two companies, no duplicate of the matched one")
        other = self.Binding._find(self.backend, "contacts", external_id=seeded[1]["id"])
        self.assertTrue(self.env["res.partner"].browse(other.res_id).parent_id.is_company, "company from association")
        self.assertEqual(self.hub_object("contacts", odoo_only)["properties"]["email"], "only@odoo.example")

    def test_identity_comes_from_hubspot(self):
        partner, contact = self.exported("Ada Before", email="ada@example.com")
        self.hub.update_object("contacts", contact["id"], {
            "firstname": "Ada", "lastname": "After", "phone": "+33 1 02 03 04 05", "lifecyclestage": "customer",
        })
        self.import_contact(contact["id"])
        self.assertEqual((partner.name, partner.phone, partner.hubspot_lifecycle_stage),
                         ("Ada After", "+33 1 02 03 04 05", "customer"))

    def test_changed_email_is_still_the_same_partner(self):
        partner, contact = self.exported("Mail Changer", email="old@example.com")
        count = self.env["res.partner"].search_count([])
        self.hub.update_object("contacts", contact["id"], {"email": "new@example.com"})
        self.import_contact(contact["id"])
        self.assertEqual(partner.email, "new@example.com")
        self.assertEqual(self.env["res.partner"].search_count([]), count, "no new partner")

    def test_merged_contacts_are_followed(self):
        keeper, kept = self.exported("Keeper One", email="keeper@example.com")
        merged_away, gone = self.exported("Merged Two", email="merged@example.com")
        self.hub.merge_objects("contacts", kept["id"], gone["id"])
        self.import_contact(kept["id"], payload={"subscriptionType": "contact.merge",
                                                 "mergedObjectIds": [int(gone["id"])]})
        self.assertEqual(self.hub_object("contacts", keeper)["id"], kept["id"])
        self.assertFalse(self.Binding._find(self.backend, "contacts", record=merged_away), "no longer synced")
        self.assertIn("merged", merged_away.message_ids[0].body)
        # An event about the merged-away id lands on the surviving partner.
        self.import_contact(gone["id"])
        self.assertFalse(self.Binding._find(self.backend, "contacts", record=merged_away))

    def test_merge_into_an_unlinked_contact_moves_the_link(self):
        partner, contact = self.exported("Moving Link", email="moving@example.com")
        other = self.hub.create_object("contacts", {"email": "crm-only@example.com", "firstname": "Crm"})
        self.hub.merge_objects("contacts", other["id"], contact["id"])
        self.import_contact(contact["id"])
        self.assertEqual(self.hub_object("contacts", partner)["id"], other["id"])

    def test_erp_owned_property_changed_in_hubspot_is_reported_and_restored(self):
        partner, contact = self.exported("Fact Checker", email="facts@example.com")
        self.hub.update_object("contacts", contact["id"], {"odoo_open_orders": "42"})
        self.import_contact(contact["id"])
        conflict = self.env["sync.conflict"].search([("res_model", "=", "res.partner"), ("res_id", "=", partner.id)])
        self.assertEqual((conflict.field_name, conflict.source_system), ("hubspot_open_order_count", "hubspot"))
        self.assertEqual(self.hub.store.get("contacts", contact["id"])["properties"]["odoo_open_orders"], "0",
                         "Odoo's value was sent back")
