import base64
import csv
import io

import openpyxl
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .ownership_common import OwnershipCase


@tagged("post_install", "-at_install")
class TestOwnershipTransfer(OwnershipCase):
    def _export(self, file_format, user=None):
        wizard = self.env["sync.ownership.transfer"].with_user(user or self.sync_manager).create(
            {"file_format": file_format}
        )
        action = wizard.action_export()
        self.assertIn("/web/content/", action["url"])
        self.assertEqual(wizard.export_filename, f"ownership_map.{file_format}")
        return base64.b64decode(wizard.export_file)

    def _import(self, content, filename, user=None):
        wizard = self.env["sync.ownership.transfer"].with_user(user or self.sync_manager).create({
            "import_file": base64.b64encode(content), "import_filename": filename,
        })
        wizard.action_import()
        return wizard

    @staticmethod
    def _csv_table(content):
        return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))

    @staticmethod
    def _csv_bytes(table):
        output = io.StringIO()
        csv.writer(output).writerows(table)
        return output.getvalue().encode("utf-8-sig")

    def _row(self, table, model, field):
        header = table[0]
        for row in table[1:]:
            if row[header.index("Model")] == model and row[header.index("Field")] == field:
                return row
        raise AssertionError(f"{model}.{field} is not in the sheet")

    def test_xlsx_export_is_readable_by_a_business_owner(self):
        workbook = openpyxl.load_workbook(io.BytesIO(self._export("xlsx", self.sync_user)))
        table = [["" if cell is None else cell for cell in row] for row in workbook.active.iter_rows(values_only=True)]
        header = table[0]
        self.assertEqual(header[:5], ["Model", "Field", "Field label", "Backend", "Owner"])
        email = self._row(table, "res.partner", "email")
        self.assertEqual(email[header.index("Owner")], "HubSpot")
        self.assertEqual(email[header.index("Policy")], "Owner wins")
        self.assertEqual(email[header.index("Direction")], "HubSpot -> Odoo")
        self.assertEqual(self._row(table, "res.partner", "function")[header.index("Risk")], "Shared")
        self.assertTrue(self._row(table, "product.template", "list_price"), "inert rules are in the review too")

    def test_csv_round_trip(self):
        table = self._csv_table(self._export("csv"))
        untouched = [list(row) for row in table[1:] if row[1] != "phone"]
        header = table[0]
        phone = self._row(table, "res.partner", "phone")
        phone[header.index("Owner")] = "odoo"  # codes are accepted as well as labels
        phone[header.index("Readers")] = "HubSpot, Shopify"
        phone[header.index("Policy")] = "Manual decision"
        phone[header.index("Max length")] = "25"
        new = [""] * len(header)
        new[header.index("Model")], new[header.index("Field")] = "res.partner", "comment"
        new[header.index("Owner")], new[header.index("Backend")] = "Shopify", "Shopify test"
        table.append(new)
        wizard = self._import(self._csv_bytes(table), "map.csv")
        self.assertIn("1 created", wizard.result)
        rule = self.env.ref("sync_base.sync_field_rule_res_partner_phone")
        self.assertEqual((rule.owner, rule.readers, rule.policy, rule.max_length),
                         ("odoo", "hubspot,shopify", "manual", 25))
        self.assertEqual(self.env["sync.field.rule"]._owner("res.partner", "comment", self.shopify), "shopify")
        # Unchanged rows come back unchanged.
        exported = self._csv_table(self._export("csv"))[1:]
        for row in untouched:
            self.assertIn(row, exported)
        email = self.env.ref("sync_base.sync_field_rule_res_partner_email")
        self.assertEqual((email.owner, email.readers, email.policy), ("hubspot", "odoo", "owner_wins"))

    def test_xlsx_round_trip(self):
        workbook = openpyxl.load_workbook(io.BytesIO(self._export("xlsx")))
        sheet = workbook.active
        header = [cell.value for cell in sheet[1]]
        for row in sheet.iter_rows(min_row=2):
            if (row[0].value, row[1].value) == ("res.partner", "website"):
                row[header.index("Policy")].value = "Owner wins"
                row[header.index("Active")].value = "no"
        output = io.BytesIO()
        workbook.save(output)
        self._import(output.getvalue(), "map.xlsx")
        self.assertEqual(self.rule_website.policy, "owner_wins")
        self.assertFalse(self.rule_website.active)
        self.assertEqual(self.rule_ref.max_length, 20)

    def test_bad_rows_are_reported_and_nothing_is_imported(self):
        table = self._csv_table(self._export("csv"))
        header = table[0]
        email = self._row(table, "res.partner", "email")
        email[header.index("Owner")] = "Odoo"  # a good row...
        self._row(table, "res.partner", "phone")[header.index("Owner")] = "Myspace"
        self._row(table, "res.partner", "ref")[header.index("Max length")] = "twenty"
        bad_field = [""] * len(header)
        bad_field[header.index("Model")], bad_field[header.index("Field")] = "res.partner", "no_such_field"
        table.append(bad_field)
        rows = {tuple(row[:2]): number for number, row in enumerate(table, start=1)}
        with self.assertRaises(UserError) as caught:
            self._import(self._csv_bytes(table), "map.csv")
        message = str(caught.exception)
        self.assertIn(f"Row {rows[('res.partner', 'phone')]}: Owner 'Myspace' is unknown", message)
        self.assertIn(f"Row {rows[('res.partner', 'ref')]}: Max length 'twenty' is not a number", message)
        self.assertIn(f"Row {rows[('res.partner', 'no_such_field')]}: ", message)
        self.assertIn("has no field no_such_field", message)
        self.assertNotIn(f"Row {rows[('res.partner', 'email')]}:", message)
        self.assertEqual(self.env.ref("sync_base.sync_field_rule_res_partner_email").owner, "hubspot",
                         "...is not applied either: all or nothing")

    def test_plain_user_cannot_import(self):
        content = self._export("csv", self.sync_user)
        with self.assertRaises(AccessError):
            self._import(content, "map.csv", self.sync_user)
