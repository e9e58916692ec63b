"""Company isolation over RPC: a Sync user or manager of one company reads nothing of another
company's Shopify data (webhook events with customers' names and addresses, stock rows, location and
tax maps, tokens), whatever the model's list, search or export."""

import xmlrpc.client

from odoo.tests import HttpCase, new_test_user, tagged

ACCESS_ERROR = 4  # the XML-RPC fault code of Odoo's AccessError
MODELS = ("sync.shopify.webhook", "sync.shopify.stock", "sync.shopify.location", "sync.shopify.tax")


@tagged("post_install", "-at_install")
class TestCompanyIsolation(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Second Store Company"})
        cls.backend_a = cls._backend(cls.company_a)
        cls.backend_b = cls._backend(cls.company_b)
        cls.users = [
            new_test_user(cls.env, login=f"iso_{role}", company_id=cls.company_a.id,
                          groups=f"base.group_user,base.group_allow_export,sync_base.group_sync_{role}",
                          company_ids=[(6, 0, cls.company_a.ids)])
            for role in ("user", "manager")
        ]

    @classmethod
    def _backend(cls, company):
        env = cls.env
        country = company.account_fiscal_country_id or env.ref("base.be")
        group = env["account.tax.group"].create(
            {"name": f"VAT {company.name}", "company_id": company.id, "country_id": country.id})
        tax = env["account.tax"].create({
            "name": f"VAT 20% {company.name}", "amount": 20.0, "amount_type": "percent", "type_tax_use": "sale",
            "company_id": company.id, "tax_group_id": group.id, "country_id": country.id,
        })
        backend = env["sync.backend"].create({
            "name": f"Store of {company.name}", "code": "shopify", "company_id": company.id,
            "shopify_shop_domain": f"shop-{company.id}.myshopify.com",
            "shopify_location_ids": [(0, 0, {"name": "Main", "shopify_gid": f"gid://shopify/Location/{company.id}"})],
            "shopify_tax_map_ids": [(0, 0, {"name": "VAT", "rate": 20.0, "tax_id": tax.id})],
        })
        product = env["product.product"].create({"name": f"Shirt {company.name}", "default_code": f"S-{company.id}"})
        env["sync.shopify.stock"].create({
            "backend_id": backend.id, "product_id": product.id, "shopify_location_id": backend.shopify_location_ids.id,
            "inventory_item_gid": f"gid://shopify/InventoryItem/{company.id}",
        })
        env["sync.shopify.webhook"].create({
            "backend_id": backend.id, "event_id": f"event-{company.id}", "topic": "customers/update",
            "payload": '{"email": "buyer-%s@example.com", "default_address": {"address1": "12 Main St"}}' % company.id,
        })
        env["sync.backend.token"].create({
            "backend_id": backend.id, "access_token": f"shpat_secret_{company.id}", "expires_at": "2030-01-01",
        })
        return backend

    def rpc(self, user, model, method, *args, **kwargs):
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, user.id, user.login, model, method, list(args), kwargs)

    def test_each_model_shows_only_the_users_company(self):
        for user in self.users:
            for model in MODELS:
                rows = self.rpc(user, model, "search_read", [], fields=["backend_id"])
                backends = {row["backend_id"][0] for row in rows}
                self.assertIn(self.backend_a.id, backends, f"{user.login} sees their own {model}")
                self.assertNotIn(self.backend_b.id, backends, f"{user.login} sees another company's {model}")
                self.assertEqual(self.env["sync.backend"].browse(backends).company_id, self.company_a)
                self.assertEqual(self.rpc(user, model, "search_count", [("backend_id", "=", self.backend_b.id)]), 0)

    def test_exports_and_reads_by_id_refuse_the_other_company(self):
        other = self.env["sync.shopify.webhook"].search([("backend_id", "=", self.backend_b.id)])
        for user in self.users:
            with self.assertRaises(xmlrpc.client.Fault) as refused:
                self.rpc(user, "sync.shopify.webhook", "read", other.ids, fields=["payload"])
            self.assertEqual(refused.exception.faultCode, ACCESS_ERROR)
            try:
                exported = self.rpc(user, "sync.shopify.webhook", "export_data", other.ids, ["payload"])
            except xmlrpc.client.Fault as error:
                self.assertEqual(error.faultCode, ACCESS_ERROR)
            else:
                self.assertNotIn("buyer-%s" % self.company_b.id, str(exported))

    def test_tokens_only_for_managers_of_the_company(self):
        user, manager = self.users
        with self.assertRaises(xmlrpc.client.Fault) as refused:
            self.rpc(user, "sync.backend.token", "search_read", [], fields=["access_token"])
        self.assertEqual(refused.exception.faultCode, ACCESS_ERROR)
        rows = self.rpc(manager, "sync.backend.token", "search_read", [], fields=["backend_id", "access_token"])
        self.assertEqual([row["backend_id"][0] for row in rows], [self.backend_a.id])
