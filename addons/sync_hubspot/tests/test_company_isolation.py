"""Company isolation of the HubSpot stage map: a Sync user or manager of one company reads only the
stages of their company's backends, over RPC."""

from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestHubSpotCompanyIsolation(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company_b = cls.env["res.company"].create({"name": "Second CRM Company"})
        cls.backends = cls.env["sync.backend"].create([
            {"name": f"CRM of {company.name}", "code": "hubspot", "company_id": company.id,
             "hubspot_stage_ids": [(0, 0, {"name": "Won", "stage_id": f"won-{company.id}", "pipeline_id": "default"})]}
            for company in (cls.env.company, company_b)
        ])
        cls.users = [
            new_test_user(cls.env, login=f"hub_iso_{role}", groups=f"base.group_user,sync_base.group_sync_{role}",
                          company_id=cls.env.company.id, company_ids=[(6, 0, cls.env.company.ids)])
            for role in ("user", "manager")
        ]

    def test_stage_map_shows_only_the_users_company(self):
        own = self.backends[0]
        for user in self.users:
            rows = self.xmlrpc_object.execute_kw(self.env.cr.dbname, user.id, user.login, "sync.hubspot.stage",
                                                 "search_read", [[]], {"fields": ["backend_id"]})
            self.assertEqual({row["backend_id"][0] for row in rows}, {own.id}, user.login)
