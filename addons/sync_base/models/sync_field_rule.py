import logging
import math
from datetime import timedelta

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression
from odoo.tools import float_compare

from ..exceptions import SyncValidationError

_logger = logging.getLogger(__name__)

# The suite's own connectors: listed so that sync_base can ship their default rules
# before the connector module (which adds the backend code) is installed.
SUITE_SYSTEMS = [("shopify", "Shopify"), ("hubspot", "HubSpot")]
POLICIES = [
    ("owner_wins", "Owner wins"),
    ("manual", "Manual decision"),
    ("accept", "Shared (accept any writer)"),
]
TRANSFORMS = [
    ("strip", "Strip spaces"),
    ("lower", "Lower case"),
    ("truncate", "Cut to maximum length"),
    ("concat", "Join several fields"),
]
DIRECTIONS = [
    ("export", "Odoo to external"),
    ("import", "External to Odoo"),
    ("both", "Both ways (shared)"),
    ("none", "No flow (no owner or no reader)"),
]
RECENT_DAYS = 30


def system_selection(env):
    """'odoo' and every system that can own a field: backend codes (connectors add
    theirs with ``selection_add``) and the suite's known connectors."""
    systems = [("odoo", "Odoo")]
    codes = env["sync.backend"]._fields["code"]._description_selection(env)
    for code, label in [*codes, *SUITE_SYSTEMS]:
        if code != "none" and code not in dict(systems):
            systems.append((code, label))
    return systems


def plain_value(record, fname):
    """A field's value as JSON data, in the shape ``write`` accepts back."""
    field = record._fields[fname]
    value = record[fname]
    if field.type == "many2one":
        return value.id or False
    if field.type in ("one2many", "many2many"):
        return sorted(value.ids)
    if field.type in ("date", "datetime"):
        return field.to_string(value) or False
    if isinstance(value, bytes):
        return value.decode()
    return value


def normalise_value(field, value):
    """An incoming value in the same shape as ``plain_value`` so both compare."""
    if isinstance(value, models.BaseModel):
        value = value.id if field.type == "many2one" else sorted(value.ids)
    elif field.type in ("one2many", "many2many") and isinstance(value, (list, tuple)):
        # Commands cannot be compared: they stay as they are and count as a change.
        value = sorted(value) if all(isinstance(item, int) for item in value) else value
    elif field.type == "date" and value:
        value = _normalised_text(value, fields.Date.to_date, fields.Date.to_string)
    elif field.type == "datetime" and value:
        value = _normalised_text(value, fields.Datetime.to_datetime, fields.Datetime.to_string)
    elif isinstance(value, bytes):
        value = value.decode()
    return False if value in ("", None) else value


def _normalised_text(value, parse, to_text):
    """``value`` in Odoo's text form; a value that does not parse stays as it is, so it compares as different."""
    try:
        return to_text(parse(value))
    except (TypeError, ValueError):
        return value


def write_value(field, value):
    """The value to pass to ``write`` for a value stored by ``plain_value``."""
    is_ids = isinstance(value, list) and all(isinstance(item, int) for item in value)
    if field.type in ("one2many", "many2many") and is_ids:
        return [Command.set(value)]
    return value


def finite_number(value):
    """``value`` as a finite float, or None for what is not one (text, NaN, infinity)."""
    try:
        number = float(value or 0.0)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def same_value(env, field, current, incoming):
    if field.type in ("float", "monetary"):
        current_number, incoming_number = finite_number(current), finite_number(incoming)
        if current_number is None or incoming_number is None:
            # A remote system sent something that is not a number: never the same as ours.
            return current == incoming
        digits = field.get_digits(env) if field.type == "float" else None
        precision = digits[1] if digits else 6
        return float_compare(current_number, incoming_number, precision_digits=precision) == 0
    return (current or False) == (incoming or False)


class SyncFieldRule(models.Model):
    """Who owns one field that crosses a system boundary, and what happens when
    someone else writes it.

    Rules name models and fields as strings so that sync_base (and connectors) can
    ship rules for product or sale fields without depending on those modules: a rule
    whose model or field is not installed is inert. A rule with a backend overrides
    the generic rule of the same field for that backend.
    """

    _name = "sync.field.rule"
    _description = "Sync Field Ownership Rule"
    _inherit = ["mail.thread"]
    _order = "model_name, field_name, backend_id, id"

    name = fields.Char(compute="_compute_name", store=True)
    active = fields.Boolean(default=True, tracking=True)
    model_name = fields.Char("Model", required=True, index=True, tracking=True, help="Technical name, e.g. res.partner")
    field_name = fields.Char("Field", required=True, index=True, tracking=True, help="Technical name, e.g. email")
    model_id = fields.Many2one("ir.model", compute="_compute_model_field", string="Odoo model")
    field_id = fields.Many2one("ir.model.fields", compute="_compute_model_field", string="Odoo field")
    field_description = fields.Char("Field label", compute="_compute_model_field")
    is_installed = fields.Boolean(
        "Enforced",
        compute="_compute_model_field",
        help="False while the model or the field is not installed: the rule waits, inert.",
    )
    backend_id = fields.Many2one(
        "sync.backend",
        ondelete="cascade",
        index=True,
        tracking=True,
        help="Leave empty for a rule valid for every backend; set it to override the generic rule for one backend.",
    )
    owner = fields.Selection(
        "_selection_owner",
        tracking=True,
        help="The one system whose value is the truth. Empty means nobody owns it: flagged as risky.",
    )
    import_owner = fields.Selection(
        "_selection_owner",
        string="Owner until imported",
        help="Owner while the record has not been imported yet (e.g. a Shopify order's lines belong to Shopify "
        "until the order exists in Odoo, then to Odoo).",
    )
    readers = fields.Char(
        tracking=True,
        help="Comma-separated codes of the systems that receive the owner's value, e.g. odoo,shopify",
    )
    direction = fields.Selection(DIRECTIONS, compute="_compute_direction", store=True)
    flow = fields.Char(compute="_compute_direction", store=True, help="Owner -> readers")
    policy = fields.Selection(
        POLICIES,
        string="When a non-owner writes",
        required=True,
        default="owner_wins",
        tracking=True,
        help="Owner wins: the non-owner's value is ignored and recorded as a conflict.\n"
        "Manual decision: a conflict waits for a person.\n"
        "Shared: any system may write it; use only for the rare truly shared field.",
    )
    external_field = fields.Char(help="Name of the field on the external system, e.g. title, firstname.")
    transform = fields.Selection(TRANSFORMS, help="Applied to the Odoo value before it is sent.")
    source_field_names = fields.Char(
        "Joined fields",
        help="For 'Join several fields': comma-separated Odoo fields joined after this rule's field.",
    )
    separator = fields.Char(default=" ")
    max_length = fields.Integer(help="Longest value the receiving system accepts; 0 means no limit.")
    note = fields.Text()
    conflict_ids = fields.One2many("sync.conflict", "rule_id")
    recent_conflict_count = fields.Integer(
        f"Conflicts ({RECENT_DAYS} days)", compute="_compute_risk", search="_search_recent_conflict_count"
    )
    recent_writers = fields.Char("Recent writers", compute="_compute_risk")
    risk = fields.Selection(
        [("no_owner", "No owner"), ("shared", "Shared"), ("conflicts", "Several writers")],
        compute="_compute_risk",
        search="_search_risk",
    )

    @api.model
    def _selection_owner(self):
        return system_selection(self.env)

    # ------------------------------------------------------------------
    # Computes and checks
    # ------------------------------------------------------------------
    @api.depends("model_name", "field_name", "backend_id")
    def _compute_name(self):
        for rule in self:
            name = f"{rule.model_name or ''}.{rule.field_name or ''}"
            rule.name = f"{name} ({rule.backend_id.name})" if rule.backend_id else name

    @api.depends("model_name", "field_name")
    def _compute_model_field(self):
        # Sync users read the map without reading the technical model registry.
        IrModel, IrField = self.env["ir.model"].sudo(), self.env["ir.model.fields"].sudo()
        for rule in self:
            rule.model_id = IrModel._get(rule.model_name) if rule.model_name else False
            field = IrField._get(rule.model_name, rule.field_name) if rule.model_id else IrField
            rule.field_id = field
            rule.field_description = field.field_description or rule.field_name
            rule.is_installed = rule._field() is not None

    @api.depends("owner", "readers", "policy")
    def _compute_direction(self):
        labels = dict(system_selection(self.env))
        for rule in self:
            readers = rule._reader_codes()
            if rule.policy == "accept":
                rule.direction = "both"
            elif not readers or not rule.owner:
                rule.direction = "none"
            else:
                rule.direction = "export" if rule.owner == "odoo" else "import"
            owner = labels.get(rule.owner, rule.owner) if rule.owner else _("nobody")
            names = ", ".join(labels.get(code, code) for code in readers) or _("nobody")
            arrow = "<->" if rule.policy == "accept" else "->"
            rule.flow = f"{owner} {arrow} {names}"

    def _compute_risk(self):
        since = fields.Datetime.now() - timedelta(days=RECENT_DAYS)
        groups = self.env["sync.conflict"].sudo()._read_group(
            [("rule_id", "in", self.ids), ("detected_at", ">=", since)], ["rule_id", "source_system"], ["__count"]
        )
        labels = dict(system_selection(self.env))
        for rule in self:
            mine = [(source, count) for group_rule, source, count in groups if group_rule == rule]
            rule.recent_conflict_count = sum(count for _source, count in mine)
            rule.recent_writers = ", ".join(labels.get(source, source) for source, _count in mine)
            if not rule.owner and rule._reader_codes():
                rule.risk = "no_owner"
            elif rule.policy == "accept":
                rule.risk = "shared"
            elif mine:
                rule.risk = "conflicts"
            else:
                rule.risk = False

    def _recent_conflict_rule_ids(self):
        since = fields.Datetime.now() - timedelta(days=RECENT_DAYS)
        conflicts = self.env["sync.conflict"].sudo().search([("detected_at", ">=", since), ("rule_id", "!=", False)])
        return conflicts.rule_id.ids

    def _search_recent_conflict_count(self, operator, value):
        # Only "has recent conflicts or not" is worth searching; counts are for reading.
        rule_ids = self._recent_conflict_rule_ids()
        if (operator, value) in ((">", 0), (">=", 1), ("!=", 0)):
            return [("id", "in", rule_ids)]
        if (operator, value) == ("=", 0):
            return [("id", "not in", rule_ids)]
        raise UserError(_("Search conflicts with '> 0' or '= 0'."))

    def _search_risk(self, operator, value):
        domains = {
            "no_owner": [("owner", "=", False), ("readers", "!=", False)],
            "shared": [("policy", "=", "accept")],
            "conflicts": [("id", "in", self._recent_conflict_rule_ids())],
        }
        if operator == "=" and value in domains:
            return domains[value]
        if operator == "!=" and not value:
            return expression.OR(domains.values())
        raise UserError(_("Search the risk for one kind, or for any risk (is set)."))

    @api.constrains("model_name", "field_name", "source_field_names")
    def _check_field_exists(self):
        # Shipped defaults may name fields of optional modules (website_sale's SEO
        # fields...): those rules stay inert instead of failing the install.
        if self.env.context.get("install_filename"):
            return
        for rule in self:
            if rule.model_name not in self.env:
                continue
            for fname in [rule.field_name, *rule._source_fields()]:
                if fname not in self.env[rule.model_name]._fields:
                    raise ValidationError(
                        _("Ownership rule %(rule)s: model %(model)s has no field %(field)s. Use its technical name.",
                          rule=rule.name, model=rule.model_name, field=fname)
                    )

    @api.constrains("readers", "owner")
    def _check_readers(self):
        known = dict(system_selection(self.env))
        for rule in self:
            unknown = [code for code in rule._reader_codes() if code not in known]
            if unknown:
                raise ValidationError(
                    _("Ownership rule %(rule)s: unknown reader %(codes)s. Use one of: %(known)s.",
                      rule=rule.name, codes=", ".join(unknown), known=", ".join(known))
                )

    @api.constrains("model_name", "field_name", "backend_id", "active")
    def _check_unique(self):
        for rule in self.filtered("active"):
            twins = self.search_count([
                ("id", "!=", rule.id),
                ("model_name", "=", rule.model_name),
                ("field_name", "=", rule.field_name),
                ("backend_id", "=", rule.backend_id.id),
            ])
            if twins:
                raise ValidationError(
                    _("%(rule)s already has an ownership rule: each field has exactly one owner (per backend).",
                      rule=rule.name)
                )

    @api.constrains("max_length", "transform")
    def _check_max_length(self):
        for rule in self:
            if rule.max_length < 0 or (rule.transform == "truncate" and not rule.max_length):
                raise ValidationError(
                    _("Ownership rule %(rule)s: set a positive maximum length.", rule=rule.name)
                )

    # The Odoo-side guard reads the map when views are built: keep the view cache in step.
    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache("templates")
        return super().create(vals_list)

    def write(self, vals):
        self.env.registry.clear_cache("templates")
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache("templates")
        return super().unlink()

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def _reader_codes(self):
        self.ensure_one()
        return [code.strip() for code in (self.readers or "").split(",") if code.strip()]

    def _source_fields(self):
        self.ensure_one()
        return [name.strip() for name in (self.source_field_names or "").split(",") if name.strip()]

    def _field(self):
        """The ORM field this rule governs, or None while it is not installed."""
        self.ensure_one()
        if self.model_name not in self.env:
            return None
        return self.env[self.model_name]._fields.get(self.field_name)

    def _owner_label(self, code=None):
        code = code or self.owner
        return dict(system_selection(self.env)).get(code, code) if code else _("nobody")

    def _effective_owner(self, first_import=False):
        self.ensure_one()
        return self.import_owner if first_import and self.import_owner else self.owner

    def _owned_on(self, backend):
        """True when ``backend`` is the owner of this field on records linked to it."""
        self.ensure_one()
        return self.backend_id == backend if self.backend_id else backend.code == self.owner

    def _participants(self):
        self.ensure_one()
        return {self.owner, *self._reader_codes()} - {False}

    @api.model
    def _rules_for(self, model_name, backend=None):
        """Field name -> rule for one model; a backend's own rule wins over the generic one."""
        domain = [("model_name", "=", model_name), ("backend_id", "=", False)]
        if backend:
            domain = [("model_name", "=", model_name), "|", ("backend_id", "=", False),
                      ("backend_id", "=", backend.id)]
        rules = self.sudo().search(domain)
        result = {}
        for rule in rules.sorted(lambda r: bool(r.backend_id)):
            result[rule.field_name] = rule
        return result

    # ------------------------------------------------------------------
    # Enforcement API used by connectors
    # ------------------------------------------------------------------
    @api.model
    def _owner(self, model_name, field_name, backend=None):
        """Code of the system owning ``model_name.field_name`` ('odoo', 'shopify'...) or False."""
        rule = self._rules_for(model_name, backend).get(field_name)
        return rule.owner or False if rule else False

    @api.model
    def _outgoing_values(self, backend, record, field_names=None):
        """{external field: value} that Odoo may send for ``record`` to ``backend``.

        Only fields Odoo owns (or shared ones) that the backend reads; transforms
        applied and length limits checked here, so a bad value fails as a clear
        validation error before any API call.
        """
        record.ensure_one()
        values = {}
        for fname, rule in self._rules_for(record._name, backend).items():
            if field_names is not None and fname not in field_names:
                continue
            if rule._field() is None or not rule._sends_to(backend):
                continue
            values[rule.external_field or fname] = rule._transform(record, backend)
        return values

    def _sends_to(self, backend):
        self.ensure_one()
        if self.owner != "odoo" and self.policy != "accept":
            return False
        return self.backend_id == backend or backend.code in self._participants()

    def _transform(self, record, backend):
        self.ensure_one()
        value = self._export_value(record, self.field_name)
        if self.transform == "concat":
            parts = [value, *(self._export_value(record, name) for name in self._source_fields())]
            value = (self.separator or "").join(str(part) for part in parts if part not in (False, None, ""))
        elif self.transform == "strip" and isinstance(value, str):
            value = value.strip()
        elif self.transform == "lower" and isinstance(value, str):
            value = value.lower()
        elif self.transform == "truncate" and isinstance(value, str):
            value = value[: self.max_length]
        if self.max_length and isinstance(value, str) and len(value) > self.max_length:
            raise SyncValidationError(
                _(
                    "%(record)s cannot be sent to %(backend)s: %(field)s is %(length)s characters long and "
                    "%(system)s accepts at most %(limit)s. Shorten it in Odoo, then retry.",
                    record=record.display_name,
                    backend=backend.name,
                    field=self.field_description,
                    length=len(value),
                    system=self._owner_label(backend.code),
                    limit=self.max_length,
                )
            )
        return value

    @staticmethod
    def _export_value(record, fname):
        field = record._fields.get(fname)
        if field is None:
            return False
        value = record[fname]
        if field.type == "many2one":
            return value.display_name or False
        if field.type in ("one2many", "many2many"):
            return value.mapped("display_name")
        return plain_value(record, fname)

    @api.model
    def _apply_incoming(self, backend, record, values, external_updated_at=None):
        """Write into ``record`` the ``values`` ({odoo field: value}) that ``backend`` owns.

        Values of fields owned by someone else are not applied; when they differ from
        Odoo's they are recorded as conflicts (auto-ignored under 'owner wins', open
        under 'manual'). Fields without a rule are not applied either. Returns the
        values written.
        """
        record.ensure_one()
        rules = self._rules_for(record._name, backend)
        first_import = not self.env["sync.binding"].sudo().search_count(
            [("backend_id", "=", backend.id), ("res_model", "=", record._name), ("res_id", "=", record.id)], limit=1
        )
        applied, refused = {}, []
        for fname, value in values.items():
            rule = rules.get(fname)
            field = record._fields.get(fname)
            if not rule or field is None:
                _logger.debug("%s.%s has no ownership rule: not applied from %s", record._name, fname, backend.code)
                continue
            if rule.policy == "accept" or rule._effective_owner(first_import) == backend.code:
                applied[fname] = value
            elif not same_value(self.env, field, plain_value(record, fname), normalise_value(field, value)):
                refused.append((rule, fname, value))
        for rule, fname, value in refused:
            self.env["sync.conflict"]._record(
                rule, record, fname, normalise_value(record._fields[fname], value),
                source=backend.code, backend=backend, external_updated_at=external_updated_at,
                owner=rule._effective_owner(first_import),
            )
        if applied:
            record.with_context(sync_base_incoming=backend.code).write(
                {fname: write_value(record._fields[fname], value) for fname, value in applied.items()}
            )
        return applied

    @api.model
    def _has_open_conflicts(self, record):
        return bool(self.env["sync.conflict"].sudo().search_count(
            [("res_model", "=", record._name), ("res_id", "in", record.ids), ("state", "=", "open")], limit=1
        ))

    @api.model
    def _guarded_fields(self, model_name):
        """Field name -> rule for the fields of ``model_name`` an external system owns
        (generic or per-backend) and does not share: the ones Odoo must not change."""
        rules = self.sudo().search([("model_name", "=", model_name), ("policy", "!=", "accept"),
                                    ("owner", "not in", [False, "odoo"])])
        result = {}
        for rule in rules.sorted(lambda r: bool(r.backend_id), reverse=True):
            result[rule.field_name] = rule
        return result
