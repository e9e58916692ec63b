from odoo.addons.sync_base.exceptions import SyncValidationError
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .ownership_common import OwnershipCase


@tagged("post_install", "-at_install")
class TestOwnership(OwnershipCase):
    # ------------------------------------------------------------------
    # The map
    # ------------------------------------------------------------------
    def test_default_map_gives_customer_identity_to_hubspot(self):
        for fname in ("name", "email", "phone", "user_id"):
            self.assertEqual(self.Rule._owner("res.partner", fname), "hubspot", fname)
        self.assertEqual(self.Rule._owner("res.partner", "ref"), "odoo")
        self.assertFalse(self.Rule._owner("res.partner", "comment"))
        # Product and order rules ship too, inert while those models are not installed.
        price = self.env.ref("sync_base.sync_field_rule_product_template_list_price")
        self.assertEqual((price.owner, price.readers), ("odoo", "shopify"))
        lines = self.env.ref("sync_base.sync_field_rule_sale_order_lines")
        self.assertEqual((lines.import_owner, lines.owner), ("shopify", "odoo"))
        if "product.template" not in self.env:
            self.assertFalse(price.is_installed)
        self.assertTrue(self.env.ref("sync_base.sync_field_rule_res_partner_email").is_installed)

    def test_owner_selection_lists_odoo_and_connectors(self):
        codes = [code for code, _label in self.Rule._fields["owner"]._description_selection(self.env)]
        self.assertEqual(codes[0], "odoo")
        self.assertIn("shopify", codes)
        self.assertIn("hubspot", codes)
        self.assertNotIn("none", codes)

    def test_per_backend_rule_overrides_the_generic_one(self):
        self.Rule.create({
            "model_name": "res.partner", "field_name": "ref", "backend_id": self.shopify.id, "owner": "shopify",
        })
        self.assertEqual(self.Rule._owner("res.partner", "ref", self.shopify), "shopify")
        self.assertEqual(self.Rule._owner("res.partner", "ref", self.hubspot), "odoo")
        applied = self.Rule._apply_incoming(self.shopify, self.partner, {"ref": "SHOP-7"})
        self.assertEqual(applied, {"ref": "SHOP-7"})
        self.assertEqual(self.partner.ref, "SHOP-7")

    def test_rules_are_checked_against_the_registry(self):
        with self.assertRaises(ValidationError):
            self.Rule.create({"model_name": "res.partner", "field_name": "no_such_field", "owner": "odoo"})
        with self.assertRaises(ValidationError):
            self.Rule.create({"model_name": "res.partner", "field_name": "ref", "owner": "odoo"})  # duplicate
        with self.assertRaises(ValidationError):
            self.Rule.create({"model_name": "res.partner", "field_name": "comment", "readers": "odoo,myspace"})
        inert = self.Rule.create({"model_name": "x_not.installed", "field_name": "anything", "owner": "shopify"})
        self.assertFalse(inert.is_installed)
        self.assertEqual(self.Rule._owner("x_not.installed", "anything"), "shopify")

    def test_plain_user_cannot_change_the_map(self):
        rule = self.rule_ref.with_user(self.sync_user)
        self.assertEqual(rule.owner, "odoo")  # sync users read the map
        with self.assertRaises(AccessError):
            rule.write({"owner": "shopify"})
        with self.assertRaises(AccessError):
            self.Rule.with_user(self.sync_user).create({"model_name": "res.partner", "field_name": "comment"})
        with self.assertRaises(AccessError):
            rule.unlink()
        employee = new_test_user(self.env, login="employee_map", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.Rule.with_user(employee).search([])
        self.rule_ref.with_user(self.sync_manager).write({"owner": "shopify"})
        self.assertEqual(self.rule_ref.owner, "shopify")

    # ------------------------------------------------------------------
    # Outgoing
    # ------------------------------------------------------------------
    def test_outgoing_sends_only_what_odoo_owns_or_shares(self):
        values = self.Rule._outgoing_values(self.hubspot, self.partner)
        # ref: Odoo owns it; website: Odoo owns it (manual policy); function: shared.
        self.assertEqual(values, {"customer_ref": "C-1", "website": "https://ada.example.com", "jobtitle": "Analyst"})
        # name, email, phone belong to HubSpot: never sent back to it.
        self.assertNotIn("firstname", values)
        # Shopify does not read the website.
        self.assertEqual(self.Rule._outgoing_values(self.shopify, self.partner),
                         {"customer_ref": "C-1", "jobtitle": "Analyst"})
        self.assertEqual(self.Rule._outgoing_values(self.hubspot, self.partner, ["ref", "name"]),
                         {"customer_ref": "C-1"})

    def test_outgoing_transforms(self):
        self.Rule.create([
            {"model_name": "res.partner", "field_name": "street", "owner": "odoo", "readers": "shopify",
             "external_field": "address1", "transform": "concat", "source_field_names": "street2",
             "separator": ", ", "max_length": 35},
            {"model_name": "res.partner", "field_name": "city", "owner": "odoo", "readers": "shopify",
             "external_field": "city", "transform": "strip"},
            {"model_name": "res.partner", "field_name": "zip", "owner": "odoo", "readers": "shopify",
             "external_field": "zip", "transform": "truncate", "max_length": 3},
            {"model_name": "res.partner", "field_name": "street2", "owner": "odoo", "readers": "shopify",
             "external_field": "address2", "transform": "lower"},
        ])
        values = self.Rule._outgoing_values(self.shopify, self.partner, ["street", "street2", "city", "zip"])
        self.assertEqual(values, {"address1": "12 Analytical Row, Flat 3", "address2": "flat 3", "city": "London",
                                  "zip": "NW1"})

    def test_outgoing_length_limit_names_record_field_and_limit(self):
        self.partner.ref = "CUSTOMER-REFERENCE-0042"  # 23 characters, the rule allows 20
        with self.assertRaises(SyncValidationError) as caught:
            self.Rule._outgoing_values(self.shopify, self.partner)
        message = caught.exception.message
        self.assertIn("Ada Lovelace", message)
        self.assertIn(self.rule_ref.field_description, message)
        self.assertIn("20", message)
        self.assertIn("23", message)
        self.assertEqual(caught.exception.failure_type, "validation")

    # ------------------------------------------------------------------
    # Incoming
    # ------------------------------------------------------------------
    def test_incoming_from_the_owner_is_applied(self):
        applied = self.Rule._apply_incoming(self.hubspot, self.partner, {"name": "Ada King", "email": "ada@king.uk"})
        self.assertEqual(applied, {"name": "Ada King", "email": "ada@king.uk"})
        self.assertEqual((self.partner.name, self.partner.email), ("Ada King", "ada@king.uk"))
        self.assertFalse(self.conflicts())  # the guard knows an owner's import when it sees one

    def test_incoming_owner_wins_is_ignored_and_recorded(self):
        applied = self.Rule._apply_incoming(
            self.shopify, self.partner, {"name": "ADA L.", "email": "ada@example.com", "ref": "C-1"}
        )
        self.assertEqual(applied, {})
        self.assertEqual(self.partner.name, "Ada Lovelace")
        conflict = self.conflicts()
        self.assertEqual(len(conflict), 1, "equal values are no conflict")
        self.assertEqual(
            (conflict.field_name, conflict.owner, conflict.source_system, conflict.state, conflict.resolution),
            ("name", "hubspot", "shopify", "resolved", "auto_ignored"),
        )
        self.assertEqual((conflict.odoo_value_display, conflict.incoming_value_display), ("Ada Lovelace", "ADA L."))
        self.assertEqual(conflict.company_id, self.shopify.company_id)
        self.assertFalse(self.Rule._has_open_conflicts(self.partner))
        # The same write again is the same conflict, seen twice.
        self.Rule._apply_incoming(self.shopify, self.partner, {"name": "ADA L."})
        self.assertEqual(self.conflicts().occurrence_count, 2)

    def test_incoming_for_an_odoo_owned_field_is_ignored(self):
        self.Rule._apply_incoming(self.hubspot, self.partner, {"ref": "HS-1"})
        self.assertEqual(self.partner.ref, "C-1")
        self.assertEqual(self.conflicts(field_name="ref").resolution, "auto_ignored")

    def test_incoming_manual_waits_for_a_person(self):
        applied = self.Rule._apply_incoming(self.hubspot, self.partner, {"website": "https://evil.example.com"})
        self.assertEqual(applied, {})
        self.assertEqual(self.partner.website, "https://ada.example.com")
        conflict = self.conflicts(field_name="website")
        self.assertEqual((conflict.state, conflict.policy), ("open", "manual"))
        self.assertTrue(self.Rule._has_open_conflicts(self.partner))

    def test_incoming_shared_field_is_accepted_from_anyone(self):
        applied = self.Rule._apply_incoming(self.shopify, self.partner, {"function": "Engineer"})
        self.assertEqual(applied, {"function": "Engineer"})
        self.assertEqual(self.partner.function, "Engineer")
        self.assertFalse(self.conflicts())

    def test_incoming_field_without_rule_is_not_applied(self):
        self.assertEqual(self.Rule._apply_incoming(self.hubspot, self.partner, {"comment": "hello"}), {})
        self.assertFalse(self.partner.comment)

    def test_owner_until_imported(self):
        self.rule_ref.import_owner = "shopify"
        fresh = self.env["res.partner"].create({"name": "New customer"})
        self.assertEqual(self.Rule._apply_incoming(self.shopify, fresh, {"ref": "S-1"}), {"ref": "S-1"})
        self.env["sync.binding"]._bind(self.shopify, "customer", fresh, "9002")
        self.assertEqual(self.Rule._apply_incoming(self.shopify, fresh, {"ref": "S-2"}), {})
        self.assertEqual(fresh.ref, "S-1")
        self.assertEqual(self.conflicts(fresh).incoming_value_display, "S-2")

    # ------------------------------------------------------------------
    # Resolution
    # ------------------------------------------------------------------
    def _manual_conflict(self):
        self.Rule._apply_incoming(self.hubspot, self.partner, {"website": "https://new.example.com"})
        return self.conflicts(field_name="website")

    def test_manual_resolution_keep_owner(self):
        conflict = self._manual_conflict()
        with self.assertRaises(AccessError):
            conflict.with_user(self.sync_user).action_keep_owner()
        conflict.with_user(self.manager).action_keep_owner()
        self.assertEqual(self.partner.website, "https://ada.example.com")
        self.assertEqual((conflict.state, conflict.resolution), ("resolved", "owner_kept"))
        self.assertEqual(conflict.resolved_by_id, self.manager)
        self.assertIn("was kept", self.partner.message_ids[0].body)
        self.assertIn("was kept", conflict.message_ids[0].body)
        self.assertFalse(self.Rule._has_open_conflicts(self.partner))

    def test_manual_resolution_accept_incoming(self):
        conflict = self._manual_conflict()
        with self.assertRaises(AccessError):
            conflict.with_user(self.sync_user).action_accept_incoming()
        conflict.with_user(self.manager).action_accept_incoming()
        self.assertEqual(self.partner.website, "https://new.example.com")
        self.assertEqual((conflict.state, conflict.resolution), ("resolved", "incoming_accepted"))
        self.assertIn("was accepted", self.partner.message_ids[0].body)
        self.assertIn("was accepted", conflict.message_ids[0].body)
        self.assertEqual(len(self.conflicts()), 1, "accepting is not itself a new conflict")

    # ------------------------------------------------------------------
    # Odoo side
    # ------------------------------------------------------------------
    def test_odoo_side_edit_of_externally_owned_field(self):
        self.partner.with_user(self.manager).write({"name": "Augusta Ada", "ref": "C-2"})
        self.assertEqual(self.partner.name, "Augusta Ada", "a manager's change is applied...")
        conflict = self.conflicts()
        self.assertEqual(len(conflict), 1, "...and recorded; ref is Odoo's, no conflict")
        self.assertEqual(
            (conflict.field_name, conflict.owner, conflict.source_system, conflict.state),
            ("name", "hubspot", "odoo", "open"),
        )
        self.assertEqual((conflict.odoo_value_display, conflict.incoming_value_display),
                         ("Ada Lovelace", "Augusta Ada"))
        self.assertFalse(conflict.company_id)
        # Keeping HubSpot's value puts it back without a new conflict.
        conflict.with_user(self.manager).action_keep_owner()
        self.assertEqual(self.partner.name, "Ada Lovelace")
        self.assertEqual(len(self.conflicts()), 1)

    def test_odoo_side_edit_by_code_is_recorded(self):
        self.partner.write({"email": "ada@typo.com"})
        self.assertEqual(self.conflicts(field_name="email").incoming_value_display, "ada@typo.com")
        self.assertEqual(self.conflicts(field_name="email").source_system, "odoo")

    def test_partner_unknown_to_the_owner_is_odoo_to_edit(self):
        local = self.env["res.partner"].create({"name": "Walk-in"})
        self.env["sync.binding"]._bind(self.shopify, "customer", local, "9100")  # Shopify does not own names
        local.write({"name": "Walk-in customer"})
        self.assertFalse(self.conflicts(local))
        self.assertEqual(local.sync_locked_fields, ",")
        self.assertFalse(local.sync_ownership_banner)

    def test_form_shows_owner_and_locks_fields_for_non_managers(self):
        Partner = self.env["res.partner"].with_user(self.sync_user)
        arch = Partner.get_view(self.env.ref("base.view_partner_form").id, "form")["arch"]
        self.assertIn("sync_ownership_banner", arch)
        self.assertIn("',name,' in (sync_locked_fields or '')", arch)
        self.assertIn("action_view_sync_conflicts", arch)
        as_user = self.partner.with_user(self.sync_user)
        self.assertIn(",name,", as_user.sync_locked_fields)
        self.assertIn(",email,", as_user.sync_locked_fields)
        self.assertIn("Owned by HubSpot: ", as_user.sync_ownership_banner)
        self.assertIn("Email", as_user.sync_ownership_banner)
        as_manager = self.partner.with_user(self.sync_manager)
        self.assertEqual(as_manager.sync_locked_fields, ",")
        self.assertIn("recorded as a conflict", as_manager.sync_ownership_banner)

    def test_conflict_history_per_field(self):
        self.Rule._apply_incoming(self.shopify, self.partner, {"name": "ADA", "phone": "+1 555"})
        self.partner.write({"name": "Ada B."})
        history = {entry["field"]: entry for entry in self.partner._sync_conflict_history()}
        self.assertEqual(set(history), {"name", "phone"})
        self.assertEqual(history["name"]["writers"], ["shopify", "odoo"])
        self.assertEqual(history["name"]["open"], 1)
        self.assertEqual(self.partner.with_user(self.sync_user).sync_conflict_count, 3)
        action = self.partner.action_view_sync_conflicts()
        self.assertEqual(self.Conflict.search_count(action["domain"]), 3)

    # ------------------------------------------------------------------
    # Report
    # ------------------------------------------------------------------
    def test_report_highlights_risky_fields(self):
        orphan = self.Rule.create({"model_name": "res.partner", "field_name": "comment", "readers": "shopify"})
        self.Rule._apply_incoming(self.shopify, self.partner, {"name": "ADA"})
        name_rule = self.env.ref("sync_base.sync_field_rule_res_partner_name")
        self.assertEqual(orphan.risk, "no_owner")
        self.assertEqual(self.rule_function.risk, "shared")
        self.assertEqual(name_rule.risk, "conflicts")
        self.assertEqual(name_rule.recent_conflict_count, 1)
        self.assertEqual(name_rule.recent_writers, "Shopify")
        self.assertFalse(self.rule_ref.risk)
        risky = self.Rule.search([("risk", "!=", False)])
        self.assertTrue(orphan | self.rule_function | name_rule <= risky)
        self.assertNotIn(self.rule_ref, risky)
        self.assertEqual(self.Rule.search([("recent_conflict_count", ">", 0)]), name_rule)
        self.assertEqual(self.rule_ref.flow, "Odoo -> Odoo, HubSpot, Shopify")
        self.assertEqual(self.rule_ref.direction, "export")
        self.assertEqual(name_rule.direction, "import")

    def test_conflicts_follow_companies(self):
        self.Rule._apply_incoming(self.shopify, self.partner, {"name": "ADA"})
        self.partner.write({"phone": "+44 2"})
        other_company = self.env["res.company"].create({"name": "Other Co"})
        outsider = new_test_user(
            self.env, login="outsider_own", groups="base.group_user,sync_base.group_sync_manager",
            company_id=other_company.id, company_ids=[other_company.id],
        )
        seen = self.Conflict.with_user(outsider).search([])
        self.assertEqual(seen.mapped("field_name"), ["phone"], "only the Odoo-side conflict has no company")
