from odoo.tests import tagged
from odoo.tools import SQL, mute_logger
from psycopg2 import IntegrityError

from .common import SyncCase


@tagged("post_install", "-at_install")
class TestBinding(SyncCase):
    def setUp(self):
        super().setUp()
        self.Binding = self.env["sync.binding"]
        self.partner = self.env["res.partner"].create({"name": "Bound"})

    def test_unique_both_ways(self):
        self.Binding._bind(self.backend, "contact", self.partner, "101")
        other = self.env["res.partner"].create({"name": "Other"})
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.cr.savepoint():
            self.Binding.create({"backend_id": self.backend.id, "external_type": "contact", "external_id": "101",
                                 "res_model": "res.partner", "res_id": other.id})
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.cr.savepoint():
            self.Binding.create({"backend_id": self.backend.id, "external_type": "contact", "external_id": "102",
                                 "res_model": "res.partner", "res_id": self.partner.id})
        # Another external type (a company and its contact) may point at the same record.
        self.Binding.create({"backend_id": self.backend.id, "external_type": "company", "external_id": "101",
                             "res_model": "res.partner", "res_id": self.partner.id})

    def rows_read_beyond_the_match(self, domain):
        """Rows PostgreSQL reads and throws away to answer the binding search of ``domain``."""
        query = self.Binding._search(domain, limit=1)
        self.cr.execute(SQL("EXPLAIN (ANALYZE, FORMAT JSON) %s", query.select()))
        plans, removed = [self.cr.fetchone()[0][0]["Plan"]], 0
        while plans:
            plan = plans.pop()
            removed += plan.get("Rows Removed by Filter", 0) + plan.get("Rows Removed by Index Recheck", 0)
            plans += plan.get("Plans", [])
        return removed

    def test_lookups_read_only_the_binding_they_look_for(self):
        # Each unique index leads with its own lookup's column: while the table has no
        # statistics, a lookup by external id must not walk the record index's
        # (backend, type) prefix, nor a lookup by record the external one's.
        partners = self.env["res.partner"].create([{"name": f"Bound {index}"} for index in range(300)])
        self.Binding._bind_many(self.backend, "contact", [(partner, f"c-{partner.id}", None, {})
                                                          for partner in partners])
        self.env.flush_all()
        self.cr.execute("SET LOCAL enable_seqscan = off")  # a small table's scan is not the question
        target = partners[150]
        by_external_id = [("backend_id", "=", self.backend.id), ("external_type", "=", "contact"),
                          ("external_id", "=", f"c-{target.id}")]
        by_records = [("backend_id", "=", self.backend.id), ("external_type", "=", "contact"),
                      ("res_model", "=", "res.partner"), ("res_id", "in", partners[10:13].ids)]
        self.assertEqual(self.rows_read_beyond_the_match(by_external_id), 0)
        self.assertEqual(self.rows_read_beyond_the_match(by_records), 0)
        self.Binding = self.Binding.with_user(self.sync_user)  # the company rule's clause joins in
        self.assertEqual(self.rows_read_beyond_the_match(by_external_id), 0)
        self.assertEqual(self.rows_read_beyond_the_match(by_records), 0)
        self.assertEqual(self.Binding._find(self.backend, "contact", record=target).external_id, f"c-{target.id}")

    def test_hash_detects_unchanged_payloads(self):
        binding = self.Binding._bind(self.backend, "contact", self.partner, "7", payload={"a": 1, "b": [1, 2]})
        self.assertTrue(binding._is_unchanged({"b": [1, 2], "a": 1}), "key order does not matter")
        self.assertFalse(binding._is_unchanged({"a": 2, "b": [1, 2]}))
        self.assertTrue(binding.last_sync_date)
        self.assertEqual(self.Binding._bind(self.backend, "contact", self.partner, "7"), binding)

    def test_smart_button_on_bound_record(self):
        self.Binding._bind(self.backend, "contact", self.partner, "55")
        self.assertEqual(self.partner.sync_binding_count, 1)
        action = self.partner.action_view_sync_bindings()
        self.assertEqual(self.Binding.search(action["domain"]).external_id, "55")
        self.assertEqual(self.Binding.search(action["domain"]).record_name, "Bound")
