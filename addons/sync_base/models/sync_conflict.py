import json

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from .sync_field_rule import POLICIES, plain_value, same_value, system_selection, write_value

RESOLUTIONS = [
    ("owner_kept", "Owner's value kept"),
    ("incoming_accepted", "Incoming value accepted"),
    ("auto_ignored", "Ignored automatically (owner wins)"),
]


class SyncConflict(models.Model):
    """A write to a field by a system that does not own it.

    Recorded by ``sync.field.rule._apply_incoming`` (an external system sent a value
    for a field it does not own) and by ``sync.owned.mixin`` (someone changed, in
    Odoo, a field an external system owns). Values are kept as JSON in the shape
    ``write`` accepts, so either side can be restored.
    """

    _name = "sync.conflict"
    _description = "Sync Ownership Conflict"
    _inherit = ["mail.thread", "sync.record.link.mixin"]
    _order = "state, detected_at desc, id desc"

    name = fields.Char(compute="_compute_name")
    rule_id = fields.Many2one("sync.field.rule", ondelete="set null", index=True)
    res_model = fields.Char(required=True)
    res_id = fields.Many2oneReference(required=True)
    field_name = fields.Char("Field", required=True, index=True)
    field_description = fields.Char("Field label")
    owner = fields.Selection("_selection_system", help="The system owning the field when the conflict happened.")
    policy = fields.Selection(POLICIES)
    source_system = fields.Selection("_selection_system", string="Written by", required=True)
    backend_id = fields.Many2one("sync.backend", ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    odoo_value = fields.Text("Value in Odoo (data)", help="JSON, as written back by 'Keep owner's value'.")
    incoming_value = fields.Text("Incoming value (data)", help="JSON, as written by 'Accept incoming value'.")
    odoo_value_display = fields.Char("Value in Odoo")
    incoming_value_display = fields.Char("Incoming value")
    detected_at = fields.Datetime("Detected", required=True, default=fields.Datetime.now, index=True)
    last_seen_at = fields.Datetime("Last seen", default=fields.Datetime.now)
    occurrence_count = fields.Integer("Times", default=1, help="The same write seen again adds to this count.")
    external_updated_at = fields.Datetime("Remote version", help="Update time the external system gave its value.")
    state = fields.Selection(
        [("open", "Waiting for a person"), ("resolved", "Resolved")], required=True, default="open", tracking=True
    )
    resolution = fields.Selection(RESOLUTIONS, tracking=True)
    resolved_by_id = fields.Many2one("res.users", "Resolved by", readonly=True)
    resolved_at = fields.Datetime(readonly=True)

    @api.model
    def _selection_system(self):
        return system_selection(self.env)

    @api.depends("record_name", "field_description", "field_name")
    def _compute_name(self):
        for conflict in self:
            conflict.name = f"{conflict.record_name} / {conflict.field_description or conflict.field_name}"

    def _target(self):
        """The record fought over, in the current user's environment, or None when gone."""
        self.ensure_one()
        if self.res_model not in self.env:
            return None
        return self.env[self.res_model].browse(self.res_id).exists() or None

    # ------------------------------------------------------------------
    # Recording
    # ------------------------------------------------------------------
    @api.model
    def _display(self, record, fname, value):
        """A stored value as people read it: names rather than ids."""
        field = record._fields[fname]
        if value in (False, None, []):
            return ""
        if field.type == "many2one":
            return self.env[field.comodel_name].sudo().browse(value).exists().display_name or str(value)
        if field.type in ("one2many", "many2many") and isinstance(value, list):
            names = self.env[field.comodel_name].sudo().browse(
                [item for item in value if isinstance(item, int)]
            ).exists().mapped("display_name")
            return ", ".join(names)
        if field.type == "binary":
            return _("(file, %s characters)", len(value))
        return str(value)[:250]

    @api.model
    def _record(self, rule, record, fname, incoming, *, source, backend=None, external_updated_at=None,
                odoo_value=None, state=None, owner=None):
        """Record that ``source`` tried to write ``incoming`` into ``record.fname``.

        ``odoo_value`` defaults to the record's current value. The same write seen
        again updates the existing conflict instead of piling up new ones.
        """
        odoo_value = plain_value(record, fname) if odoo_value is None else odoo_value
        if state is None:
            state = "open" if rule.policy == "manual" or source == "odoo" else "resolved"
        values = {
            "rule_id": rule.id,
            "res_model": record._name,
            "res_id": record.id,
            "field_name": fname,
            "field_description": record._fields[fname]._description_string(self.env),
            "owner": owner or rule.owner,
            "policy": rule.policy,
            "source_system": source,
            "backend_id": backend.id if backend else False,
            "odoo_value": json.dumps(odoo_value),
            "incoming_value": json.dumps(incoming),
            "odoo_value_display": self._display(record, fname, odoo_value),
            "incoming_value_display": self._display(record, fname, incoming),
            "external_updated_at": external_updated_at or False,
            "state": state,
            "resolution": "auto_ignored" if state == "resolved" else False,
        }
        conflicts = self.sudo().with_context(mail_create_nolog=True, mail_create_nosubscribe=True)
        existing = conflicts._find_repeat(values)
        if existing:
            existing.write({
                **{key: values[key] for key in ("incoming_value", "incoming_value_display", "external_updated_at")},
                "last_seen_at": fields.Datetime.now(),
                "occurrence_count": existing.occurrence_count + 1,
            })
            return existing
        return conflicts.create(values)

    def _find_repeat(self, values):
        """An open conflict on the same field from the same writer, or the same
        auto-ignored write: a store sending the old price at every webhook is one conflict."""
        domain = [
            ("res_model", "=", values["res_model"]),
            ("res_id", "=", values["res_id"]),
            ("field_name", "=", values["field_name"]),
            ("source_system", "=", values["source_system"]),
        ]
        if values["state"] == "open":
            domain.append(("state", "=", "open"))
        else:
            domain += [("resolution", "=", "auto_ignored"), ("incoming_value", "=", values["incoming_value"]),
                       ("odoo_value", "=", values["odoo_value"])]
        return self.search(domain, limit=1, order="id desc")

    # ------------------------------------------------------------------
    # Resolution (managers)
    # ------------------------------------------------------------------
    def _check_can_resolve(self):
        if not (self.env.su or self.env.user.has_group("sync_base.group_sync_manager")):
            raise AccessError(_("Only Sync managers can resolve ownership conflicts."))
        resolved = self.filtered(lambda conflict: conflict.state == "resolved")
        if resolved:
            raise UserError(_("%s is already resolved.", resolved[0].name))

    def action_keep_owner(self):
        """Keep the owner's value. When an external system owns the field, the value
        it had in Odoo before the conflict is written back; when Odoo owns it, the
        connector re-sends it on its next export."""
        self._check_can_resolve()
        for conflict in self:
            record = conflict._target()
            if record and conflict.owner != "odoo":
                conflict._write_to_record(record, conflict.odoo_value, {"sync_base_incoming": conflict.owner})
            conflict._resolve("owner_kept", _(
                "Conflict on %(field)s: the value of %(owner)s was kept (%(value)s); %(writer)s's value "
                "%(incoming)s was discarded.",
                field=conflict.field_description, owner=conflict._label(conflict.owner),
                value=conflict.odoo_value_display or _("empty"), writer=conflict._label(conflict.source_system),
                incoming=conflict.incoming_value_display or _("empty"),
            ), record)
        return True

    def action_accept_incoming(self):
        """Write the non-owner's value into Odoo, past the ownership guard."""
        self._check_can_resolve()
        for conflict in self:
            record = conflict._target()
            if record:
                conflict._write_to_record(record, conflict.incoming_value, {"sync_base_resolving": True})
            message = _(
                "Conflict on %(field)s: %(writer)s's value %(incoming)s was accepted in place of %(value)s.",
                field=conflict.field_description, writer=conflict._label(conflict.source_system),
                incoming=conflict.incoming_value_display or _("empty"), value=conflict.odoo_value_display or _("empty"),
            )
            if conflict.owner not in ("odoo", False):
                message += " " + _(
                    "%(owner)s still owns this field: change it there too, or its next update restores its value.",
                    owner=conflict._label(conflict.owner),
                )
            conflict._resolve("incoming_accepted", message, record)
        return True

    def _write_to_record(self, record, stored, context):
        field = record._fields.get(self.field_name)
        if field is None:
            return
        value = json.loads(stored) if stored else False
        if not same_value(self.env, field, plain_value(record, self.field_name), value):
            record.with_context(**context).write({self.field_name: write_value(field, value)})

    def _resolve(self, resolution, message, record):
        self.write({
            "state": "resolved",
            "resolution": resolution,
            "resolved_by_id": self.env.user.id,
            "resolved_at": fields.Datetime.now(),
        })
        self.message_post(body=message)
        # The record's own history shows who settled which value, next to its other changes.
        if record and hasattr(record, "message_post"):
            record.message_post(body=message)

    def _label(self, code):
        return dict(system_selection(self.env)).get(code, code or _("nobody"))
