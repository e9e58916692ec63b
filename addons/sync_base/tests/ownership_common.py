from odoo.tests import new_test_user

from .common import SyncCase


class OwnershipCase(SyncCase):
    """Two connector backends, a partner linked to HubSpot, and rules to play with.

    The default map (shipped as data) gives partner name, email, phone and
    salesperson to HubSpot; the tests add rules on other partner fields for each
    policy and transform.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Rule = cls.env["sync.field.rule"]
        # Resolving writes the record with the manager's own rights: this one may edit contacts.
        cls.manager = new_test_user(
            cls.env, login="sync_partner_manager",
            groups="base.group_user,base.group_partner_manager,sync_base.group_sync_manager",
        )
        cls.Conflict = cls.env["sync.conflict"]
        # Connectors installed in the same database ship partner rules of their own;
        # these tests are about the engine, so they start from sync_base's defaults alone.
        partner_rules = cls.Rule.with_context(active_test=False).search([("model_name", "=", "res.partner")])
        xmlids = partner_rules.get_external_id()
        partner_rules.filtered(lambda rule: not xmlids[rule.id].startswith("sync_base.")).unlink()
        cls.hubspot = cls._connector_backend("HubSpot test", "hubspot")
        cls.shopify = cls._connector_backend("Shopify test", "shopify")
        cls.partner = cls.env["res.partner"].create({
            "name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 1", "ref": "C-1",
            "function": "Analyst", "website": "https://ada.example.com", "street": "12 Analytical Row",
            "street2": "Flat 3", "city": "  London ", "zip": "NW1 6XE",
        })
        cls.env["sync.binding"]._bind(cls.hubspot, "contact", cls.partner, "101")
        cls.env["sync.binding"]._bind(cls.shopify, "customer", cls.partner, "9001")
        cls.rule_ref = cls.Rule.create({
            "model_name": "res.partner", "field_name": "ref", "owner": "odoo", "readers": "odoo,hubspot,shopify",
            "external_field": "customer_ref", "max_length": 20,
        })
        cls.rule_website = cls.Rule.create({
            "model_name": "res.partner", "field_name": "website", "owner": "odoo", "readers": "hubspot",
            "policy": "manual", "external_field": "website",
        })
        cls.rule_function = cls.Rule.create({
            "model_name": "res.partner", "field_name": "function", "owner": "hubspot", "readers": "odoo,shopify",
            "policy": "accept", "external_field": "jobtitle",
        })

    @classmethod
    def _connector_backend(cls, name, code):
        backend = cls.env["sync.backend"].create({"name": name})
        # The connector modules add these codes with selection_add; sync_base's own
        # tests stand in for them by giving the backend the code directly.
        cls.env.cr.execute("UPDATE sync_backend SET code = %s WHERE id = %s", (code, backend.id))
        backend.invalidate_recordset(["code"])
        return backend

    def conflicts(self, record=None, field_name=None):
        domain = [("res_model", "=", "res.partner"), ("res_id", "=", (record or self.partner).id)]
        if field_name:
            domain.append(("field_name", "=", field_name))
        return self.Conflict.search(domain)
