from odoo.tests import tagged
from odoo.tools import mute_logger
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
