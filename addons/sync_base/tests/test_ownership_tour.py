from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestOwnershipTour(HttpCase):
    def setUp(self):
        super().setUp()
        self.hubspot = self.env["sync.backend"].create({"name": "HubSpot tour"})
        # The HubSpot connector adds this code with selection_add; sync_base plays it here.
        self.env.cr.execute("UPDATE sync_backend SET code = 'hubspot' WHERE id = %s", (self.hubspot.id,))
        self.hubspot.invalidate_recordset(["code"])
        self.partner = self.env["res.partner"].create(
            {"name": "Ada Lovelace", "email": "ada@example.com", "website": "https://ada.example.com"}
        )
        self.env["sync.binding"]._bind(self.hubspot, "contact", self.partner, "101")

    def test_contact_form_shows_ownership(self):
        new_test_user(
            self.env, login="tour_sync_user",
            groups="base.group_user,base.group_partner_manager,sync_base.group_sync_user",
        )
        self.start_tour(
            f"/odoo/action-base.action_partner_form/{self.partner.id}", "sync_base_ownership_banner",
            login="tour_sync_user",
        )

    def test_accept_incoming_from_the_conflicts_inbox(self):
        self.env["sync.field.rule"].create({
            "model_name": "res.partner", "field_name": "website", "owner": "odoo", "readers": "hubspot",
            "policy": "manual",
        })
        self.env["sync.field.rule"]._apply_incoming(self.hubspot, self.partner, {"website": "https://new.example.com"})
        self.start_tour("/odoo/action-sync_base.sync_conflict_action", "sync_base_conflict_inbox", login="admin")
        self.assertEqual(self.partner.website, "https://new.example.com")
