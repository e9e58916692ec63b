import base64
import csv
import io

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools.misc import xlsxwriter
from odoo.tools.translate import LazyTranslate

from ..models.sync_field_rule import POLICIES, TRANSFORMS, system_selection

_lt = LazyTranslate(__name__)

# (rule field, column header, editable): the sheet a business owner reviews. Read-only
# columns are there to judge the map (direction, risk, conflicts) and ignored on import.
COLUMNS = [
    ("model_name", _lt("Model"), True),
    ("field_name", _lt("Field"), True),
    ("field_description", _lt("Field label"), False),
    ("backend", _lt("Backend"), True),
    ("owner", _lt("Owner"), True),
    ("import_owner", _lt("Owner until imported"), True),
    ("readers", _lt("Readers"), True),
    ("flow", _lt("Direction"), False),
    ("policy", _lt("Policy"), True),
    ("external_field", _lt("External field"), True),
    ("transform", _lt("Transform"), True),
    ("source_field_names", _lt("Joined fields"), True),
    ("separator", _lt("Separator"), True),
    ("max_length", _lt("Max length"), True),
    ("active", _lt("Active"), True),
    ("note", _lt("Note"), True),
    ("recent_conflict_count", _lt("Conflicts (30 days)"), False),
    ("recent_writers", _lt("Recent writers"), False),
    ("risk", _lt("Risk"), False),
]
TRUE_WORDS = {"1", "yes", "true", "y", "x"}
FALSE_WORDS = {"0", "no", "false", "n", ""}


class SyncOwnershipTransfer(models.TransientModel):
    """Export the ownership map as a spreadsheet and import an edited one back."""

    _name = "sync.ownership.transfer"
    _description = "Ownership Map Export and Import"

    file_format = fields.Selection([("xlsx", "Excel (XLSX)"), ("csv", "CSV")], required=True, default="xlsx")
    export_file = fields.Binary(readonly=True, attachment=False)
    export_filename = fields.Char(readonly=True)
    import_file = fields.Binary("Edited sheet", attachment=False)
    import_filename = fields.Char()
    result = fields.Text(readonly=True)

    # ------------------------------------------------------------------
    # Export
    # ------------------------------------------------------------------
    def _rules_to_export(self):
        context = self.env.context
        Rule = self.env["sync.field.rule"].with_context(active_test=False)
        if context.get("active_model") == "sync.field.rule" and context.get("active_ids"):
            return Rule.browse(context["active_ids"])
        return Rule.search([])

    @api.model
    def _rule_row(self, rule):
        systems = dict(system_selection(self.env))
        selections = {
            "owner": systems, "import_owner": systems, "policy": dict(POLICIES), "transform": dict(TRANSFORMS),
            "risk": dict(rule._fields["risk"]._description_selection(self.env)),
        }
        row = []
        for key, _header, _editable in COLUMNS:
            if key == "backend":
                value = rule.backend_id.name or ""
            elif key == "readers":
                value = ", ".join(systems.get(code, code) for code in rule._reader_codes())
            elif key == "active":
                value = "yes" if rule.active else "no"
            elif key in selections:
                value = selections[key].get(rule[key], "") if rule[key] else ""
            else:
                value = rule[key]
                value = "" if value is False else value
            row.append(value)
        return row

    def _export_rows(self):
        return [self._rule_row(rule) for rule in self._rules_to_export()]

    def _headers(self):
        return [str(header) for _key, header, _editable in COLUMNS]

    def _build_xlsx(self, rows):
        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(output, {"in_memory": True})
        sheet = workbook.add_worksheet(_("Ownership map"))
        bold = workbook.add_format({"bold": True, "bg_color": "#e9ecef", "text_wrap": True})
        risky = workbook.add_format({"bg_color": "#f8d7da"})
        for col, header in enumerate(self._headers()):
            sheet.write(0, col, header, bold)
        risk_col = len(COLUMNS) - 1
        for line, row in enumerate(rows, start=1):
            for col, value in enumerate(row):
                sheet.write(line, col, value, risky if row[risk_col] else None)
        sheet.set_column(0, len(COLUMNS) - 1, 20)
        sheet.freeze_panes(1, 2)
        sheet.autofilter(0, 0, len(rows), len(COLUMNS) - 1)
        workbook.close()
        return output.getvalue()

    def _build_csv(self, rows):
        output = io.StringIO()
        writer = csv.writer(output)
        writer.writerow(self._headers())
        writer.writerows(rows)
        # utf-8 with BOM: spreadsheet programs then read accents right.
        return output.getvalue().encode("utf-8-sig")

    def action_export(self):
        self.ensure_one()
        rows = self._export_rows()
        content = self._build_xlsx(rows) if self.file_format == "xlsx" else self._build_csv(rows)
        self.write({
            "export_file": base64.b64encode(content),
            "export_filename": f"ownership_map.{self.file_format}",
        })
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/?model={self._name}&id={self.id}&field=export_file"
            "&filename_field=export_filename&download=true",
            "target": "self",
        }

    # ------------------------------------------------------------------
    # Import
    # ------------------------------------------------------------------
    def _read_rows(self):
        """The sheet as a list of (row number, {column key: text}) with known headers only."""
        self.ensure_one()
        if not self.import_file:
            raise UserError(_("Choose the edited sheet to import."))
        content = base64.b64decode(self.import_file)
        name = (self.import_filename or "").lower()
        if name.endswith(".csv") or (not name.endswith(".xlsx") and self.file_format == "csv"):
            table = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        else:
            table = self._read_xlsx(content)
        if not table:
            raise UserError(_("The sheet is empty."))
        by_header = {}
        for key, header, editable in COLUMNS:
            if editable:
                # English or the user's language: a sheet may travel between people.
                by_header[header._source.lower()] = key
                by_header[str(header).lower()] = key
        keys = [by_header.get(str(cell or "").strip().lower()) for cell in table[0]]
        if "model_name" not in keys or "field_name" not in keys:
            raise UserError(_("The first row must hold the column names, with at least 'Model' and 'Field'."))
        rows = []
        for number, cells in enumerate(table[1:], start=2):
            pairs = zip(keys, cells, strict=False)
            row = {key: "" if cell is None else str(cell).strip() for key, cell in pairs if key}
            if any(row.values()):
                rows.append((number, row))
        return rows

    @staticmethod
    def _read_xlsx(content):
        import openpyxl

        try:
            workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as error:  # any unreadable file gets the same answer
            raise UserError(_("This file is not a readable XLSX sheet (%s).", error)) from error
        sheet = workbook.worksheets[0]
        return [
            ["" if cell is None else (int(cell) if isinstance(cell, float) and cell.is_integer() else cell)
             for cell in row]
            for row in sheet.iter_rows(values_only=True)
        ]

    def _choice(self, text, choices, what):
        """The code for ``text``, given as a code or a label in any case."""
        if not text:
            return False
        wanted = text.strip().lower()
        for code, label in choices:
            if wanted in (code.lower(), label.lower(), _(label).lower()):
                return code
        raise ValueError(_("%(what)s '%(text)s' is unknown; use one of: %(choices)s",
                           what=what, text=text, choices=", ".join(label for _code, label in choices)))

    def _row_values(self, row):
        """Rule values from one row; ValueError with a message for people when a cell is wrong."""
        values = {}
        for key in ("model_name", "field_name", "external_field", "source_field_names", "note"):
            if key in row:
                values[key] = row[key] or False
        if "separator" in row:
            values["separator"] = row["separator"] or " "
        if not values.get("model_name") or not values.get("field_name"):
            raise ValueError(_("Model and Field are required."))
        values.update(self._row_choices(row))
        if "max_length" in row:
            try:
                values["max_length"] = int(float(row["max_length"] or 0))
            except ValueError as error:
                raise ValueError(_("Max length '%s' is not a number.", row["max_length"])) from error
        if "active" in row:
            word = row["active"].lower()
            if word not in TRUE_WORDS | FALSE_WORDS:
                raise ValueError(_("Active '%s' must be yes or no.", row["active"]))
            values["active"] = word in TRUE_WORDS or word == ""
        return values

    def _row_choices(self, row):
        systems = system_selection(self.env)
        values = {}
        for key, what in (("owner", _("Owner")), ("import_owner", _("Owner until imported"))):
            if key in row:
                values[key] = self._choice(row[key], systems, what)
        if "readers" in row:
            readers = [self._choice(part, systems, _("Reader")) for part in row["readers"].split(",") if part.strip()]
            values["readers"] = ",".join(readers) or False
        if "policy" in row:
            values["policy"] = self._choice(row["policy"], POLICIES, _("Policy")) or "owner_wins"
        if "transform" in row:
            values["transform"] = self._choice(row["transform"], TRANSFORMS, _("Transform"))
        return values

    def _find_backend(self, name):
        if not name:
            return self.env["sync.backend"]
        backends = self.env["sync.backend"].with_context(active_test=False).search([("name", "=", name)])
        if len(backends) != 1:
            raise ValueError(
                _("Backend '%s' does not exist.", name) if not backends
                else _("Several backends are named '%s'; rename one.", name)
            )
        return backends

    def _import_row(self, row):
        """Create or update the rule of one row; returns 'created' or 'updated'."""
        values = self._row_values(row)
        backend = self._find_backend(row.get("backend", ""))
        values["backend_id"] = backend.id or False
        Rule = self.env["sync.field.rule"].with_context(active_test=False)
        rule = Rule.search([
            ("model_name", "=", values["model_name"]),
            ("field_name", "=", values["field_name"]),
            ("backend_id", "=", backend.id or False),
        ], limit=1)
        if rule:
            # Write only what the sheet changed: rewriting an unchanged field name would
            # re-check that it exists, and a shipped rule for an optional module's field
            # (website_sale's SEO fields...) must survive a round trip.
            current = rule._convert_to_write({name: rule[name] for name in values})
            rule.write({name: value for name, value in values.items() if current[name] != value})
            return "updated"
        Rule.create(values)
        return "created"

    def action_import(self):
        """Apply the edited sheet, all or nothing: any bad row stops the import with
        one message per bad row."""
        self.ensure_one()
        if not self.env.user.has_group("sync_base.group_sync_manager"):
            raise AccessError(_("Only Sync managers can change the ownership map."))
        counts = {"created": 0, "updated": 0}
        errors = []
        for number, row in self._read_rows():
            try:
                with self.env.cr.savepoint():
                    counts[self._import_row(row)] += 1
                    self.env.flush_all()
            except (ValueError, ValidationError, UserError) as error:
                message = error.args[0] if error.args else str(error)
                errors.append(_("Row %(row)s: %(error)s", row=number, error=message))
        if errors:
            raise UserError(_("Nothing was imported. Correct these rows and import again:\n%s", "\n".join(errors)))
        self.result = _("%(updated)s rules updated, %(created)s created.", **counts)
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
