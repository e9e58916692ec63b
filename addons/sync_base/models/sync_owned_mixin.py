from collections import defaultdict

from lxml import etree
from odoo import _, api, fields, models

from ..flows import sync_work_in_flow
from .sync_field_rule import plain_value, same_value


class SyncOwnedMixin(models.AbstractModel):
    """Guards, on the Odoo side, the fields of a record that an external system owns.

    Connectors add it to the models they sync (sync_base adds it to partners). On
    records linked to the owner's system, the form shows who owns which field and
    makes those fields read-only for everyone but Sync managers; a change made
    anyway (manager, import, code) is applied and recorded as a conflict so the
    divergence is visible, and the owner's next update restores its value.
    Writes made by the enforcement API itself carry ``sync_base_incoming`` or
    ``sync_base_resolving`` in the context and are not guarded.
    """

    _name = "sync.owned.mixin"
    _description = "Record with fields owned by external systems"

    sync_locked_fields = fields.Char(
        compute="_compute_sync_ownership",
        help="',name,email,': the fields this user may not edit here (read by the form's readonly conditions).",
    )
    sync_ownership_banner = fields.Char("Ownership", compute="_compute_sync_ownership")
    sync_conflict_count = fields.Integer(
        "Conflicts", compute="_compute_sync_conflict_count", groups="sync_base.group_sync_user"
    )

    # ------------------------------------------------------------------
    # Who owns what on these records
    # ------------------------------------------------------------------
    def _sync_external_owners(self):
        """{record id: {field name: rule}} of the fields an external system owns on each record.

        A field is guarded only on records linked to its owner: a partner HubSpot has
        never seen is Odoo's to edit.
        """
        rules = self.env["sync.field.rule"]._guarded_fields(self._name)
        record_ids = [rid for rid in self._origin.ids if rid]
        if not rules or not record_ids:
            return defaultdict(dict)
        bindings = self.env["sync.binding"].sudo().search(
            [("res_model", "=", self._name), ("res_id", "in", record_ids)]
        )
        backends = defaultdict(lambda: self.env["sync.backend"])
        for binding in bindings:
            backends[binding.res_id] |= binding.backend_id
        owned = defaultdict(dict)
        for record_id in record_ids:
            for fname, rule in rules.items():
                if fname in self._fields and any(rule._owned_on(backend) for backend in backends[record_id]):
                    owned[record_id][fname] = rule
        return owned

    @api.depends_context("uid")
    def _compute_sync_ownership(self):
        owned = self._sync_external_owners()
        is_manager = self.env.user.has_group("sync_base.group_sync_manager")
        for record in self:
            mine = owned.get(record._origin.id) or {}
            record.sync_locked_fields = "," + "".join(f"{fname}," for fname in mine if not is_manager)
            by_owner = defaultdict(list)
            for fname, rule in mine.items():
                by_owner[rule._owner_label()].append(record._fields[fname]._description_string(self.env))
            banner = "; ".join(
                _("Owned by %(system)s: %(fields)s", system=system, fields=", ".join(labels))
                for system, labels in by_owner.items()
            )
            if banner:
                banner += ". " + (
                    _("A change made here is recorded as a conflict, and the owner's next update restores its value.")
                    if is_manager else _("Change these fields in the owning system.")
                )
            record.sync_ownership_banner = banner

    def _compute_sync_conflict_count(self):
        counts = dict(self.env["sync.conflict"].sudo()._read_group(
            [("res_model", "=", self._name), ("res_id", "in", self._origin.ids)], ["res_id"], ["__count"]
        ))
        for record in self:
            record.sync_conflict_count = counts.get(record._origin.id, 0)

    # ------------------------------------------------------------------
    # Guard
    # ------------------------------------------------------------------
    def write(self, vals):
        context = self.env.context
        if context.get("sync_base_incoming") or context.get("sync_base_resolving"):
            return super().write(vals)
        guarded = self.env["sync.field.rule"]._guarded_fields(self._name)
        if not any(fname in guarded for fname in vals):
            return super().write(vals)
        owned = self._sync_external_owners()
        before = {
            (record.id, fname): (rule, plain_value(record, fname))
            for record in self
            for fname, rule in owned[record.id].items()
            if fname in vals
        }
        result = super().write(vals)
        if before:
            with sync_work_in_flow(self.env, f"the ownership conflicts of {self._name}{self.ids}"):
                self._sync_record_local_conflicts(before)
        return result

    def _sync_record_local_conflicts(self, before):
        Conflict = self.env["sync.conflict"]
        for (record_id, fname), (rule, old) in before.items():
            record = self.browse(record_id)
            new = plain_value(record, fname)
            if not same_value(self.env, record._fields[fname], old, new):
                Conflict._record(rule, record, fname, new, source="odoo", odoo_value=old, state="open")

    # ------------------------------------------------------------------
    # Form: banner, read-only owned fields, conflicts button
    # ------------------------------------------------------------------
    @api.model
    def _get_view(self, view_id=None, view_type="form", **options):
        arch, view = super()._get_view(view_id, view_type, **options)
        if view_type == "form":
            self._sync_decorate_form(arch, self.env["sync.field.rule"]._guarded_fields(self._name))
        return arch, view

    @api.model
    def _sync_decorate_form(self, arch, guarded):
        for fname in guarded:
            # Fields of embedded one2many views belong to another model: leave them.
            for node in arch.xpath(f"//field[@name='{fname}'][not(ancestor::field)]"):
                # A new record's value may still be False (a Form before its first onchange).
                condition = f"',{fname},' in (sync_locked_fields or '')"
                current = node.get("readonly")
                node.set("readonly", f"({current}) or {condition}" if current else condition)
        banner = etree.fromstring(
            '<div class="alert alert-info mb-0" role="status" invisible="not sync_ownership_banner">'
            '<i class="fa fa-lock me-2" role="img" title="Ownership"/>'
            '<field name="sync_ownership_banner" class="d-inline" readonly="1"/></div>'
        )
        banner[0].set("title", _("Ownership"))
        sheet = arch.find(".//sheet")
        parent, index = (sheet.getparent(), sheet.getparent().index(sheet)) if sheet is not None else (arch, 0)
        parent.insert(index, banner)
        parent.insert(index, etree.Element("field", name="sync_locked_fields", invisible="1"))
        box = arch.xpath("//div[@name='button_box']")
        if box:
            button = etree.SubElement(box[0], "button", {
                "name": "action_view_sync_conflicts", "type": "object", "class": "oe_stat_button",
                "icon": "fa-random", "groups": "sync_base.group_sync_user", "invisible": "not sync_conflict_count",
            })
            etree.SubElement(button, "field", name="sync_conflict_count", widget="statinfo", string=_("Conflicts"))

    # ------------------------------------------------------------------
    # Conflict history of a record
    # ------------------------------------------------------------------
    def _sync_conflict_history(self):
        """Per field fought over on this record: who wrote it, how often, how many still open."""
        self.ensure_one()
        conflicts = self.env["sync.conflict"].sudo().search(
            [("res_model", "=", self._name), ("res_id", "=", self.id)], order="detected_at, id"
        )
        history = {}
        for conflict in conflicts:
            entry = history.setdefault(conflict.field_name, {
                "field": conflict.field_name, "label": conflict.field_description, "owner": conflict.owner,
                "writers": [], "count": 0, "open": 0, "last": conflict.detected_at,
            })
            if conflict.source_system not in entry["writers"]:
                entry["writers"].append(conflict.source_system)
            entry["count"] += conflict.occurrence_count
            entry["open"] += conflict.state == "open"
            entry["last"] = max(entry["last"], conflict.last_seen_at or conflict.detected_at)
        return list(history.values())

    def action_view_sync_conflicts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sync_base.sync_conflict_action")
        action.update(
            name=_("Conflicts of %s", self.display_name),
            domain=[("res_model", "=", self._name), ("res_id", "=", self.id)],
            context={"search_default_group_field": 1},
        )
        return action
