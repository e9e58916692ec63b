import hashlib
import json

from odoo import api, fields, models

# What callers of _find read of a binding.
FOUND_FIELDS = ["res_model", "res_id", "external_id", "external_updated_at", "sync_hash", "last_sync_date"]


class SyncBinding(models.Model):
    """Which external object an Odoo record is, on one backend.

    A small row pointing at the record (not an ``_inherits`` copy of it), unique
    both ways: one external object per record and one record per external object,
    for each backend and external type.
    """

    _name = "sync.binding"
    _inherit = ["sync.record.link.mixin"]
    _description = "Sync Binding"
    _order = "backend_id, external_type, id"
    _rec_name = "external_id"

    # Neither indexed alone: bindings are looked up by external id or by record, each through
    # its unique index, and an index on the backend or on the company (which the record rule
    # adds to every search) would look just as cheap to a planner without statistics.
    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    code = fields.Selection(related="backend_id.code", string="Connector")
    external_type = fields.Char(required=True, help="Kind of external object, e.g. product, variant, contact.")
    external_id = fields.Char(required=True)  # indexed by external_uniq, which leads with it
    res_model = fields.Char(required=True)
    res_id = fields.Many2oneReference(required=True, index=False)  # record_uniq leads with it
    sync_hash = fields.Char(
        "Last payload hash", help="Hash of the last payload synced; an identical payload is not sent again."
    )
    last_sync_date = fields.Datetime("Last synced")
    external_updated_at = fields.Datetime(
        "Remote version", help="Remote update time of the last state applied; older updates are ignored."
    )

    # Each unique index leads with the column only its own lookups give (external id; record
    # id), so the two never share leading columns: while the table has no statistics
    # (autovacuum off), PostgreSQL would otherwise answer a lookup through the other one's
    # (backend, type) prefix, reading every binding of that type.
    _sql_constraints = [
        (
            "external_uniq",
            "UNIQUE(external_id, backend_id, external_type)",
            "This external object is already linked to another Odoo record.",
        ),
        (
            "record_uniq",
            "UNIQUE(res_id, res_model, backend_id, external_type)",
            "This Odoo record is already linked to another external object of the same type.",
        ),
    ]

    @staticmethod
    def _hash_payload(payload):
        """Stable hash of a payload: key order and formatting do not matter."""
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()

    @api.model
    def _find(self, backend, external_type, *, record=None, external_id=None):
        domain = [("backend_id", "=", backend.id), ("external_type", "=", external_type)]
        if record is not None:
            domain += [("res_model", "=", record._name), ("res_id", "=", record.id)]
        if external_id is not None:
            domain.append(("external_id", "=", str(external_id)))
        # Read in the same query (a found binding is read next), by id: the model's order (by
        # backend) would join the backends for a row the key already picks.
        return self.search_fetch(domain, FOUND_FIELDS, limit=1, order="id")

    @api.model
    def _bind(self, backend, external_type, record, external_id, payload=None):
        """Link ``record`` to ``external_id`` (creating or updating the binding) and stamp the sync."""
        return self._bind_many(backend, external_type, [(record, external_id, payload, {})])

    @api.model
    def _bind_many(self, backend, external_type, links, existing=None):
        """``_bind`` for many records of one model at once: one search, one ``create`` for the new ones.

        ``links`` is a list of ``(record, external_id, payload, extra values)``, one per record;
        returns the bindings in the same order. A bulk export binds a whole batch this way instead of
        two queries per record. ``existing`` ({record id: binding}) is what the caller already read
        of these records' bindings, to skip the search: should another transaction have bound one
        of them since, the unique constraints refuse the second binding.
        """
        if not links:
            return self.browse()
        if existing is None:
            records = links[0][0].browse([record.id for record, *_rest in links])
            existing = {
                binding.res_id: binding
                for binding in self.search([
                    ("backend_id", "=", backend.id), ("external_type", "=", external_type),
                    ("res_model", "=", records._name), ("res_id", "in", records.ids),
                ], order="id")
            }
        now = fields.Datetime.now()
        to_create, bindings = [], []
        for record, external_id, payload, extra in links:
            values = dict(extra, external_id=str(external_id), last_sync_date=now)
            if payload is not None:
                values["sync_hash"] = self._hash_payload(payload)
            binding = existing.get(record.id)
            if binding:
                binding.write(values)
            else:
                # The company given with the backend: its recompute then finds nothing to UPDATE.
                to_create.append(dict(
                    values, backend_id=backend.id, company_id=backend.company_id.id, external_type=external_type,
                    res_model=record._name, res_id=record.id,
                ))
            bindings.append(binding)
        created = iter(self.create(to_create))
        return self.union(*(binding or next(created) for binding in bindings))

    def _is_unchanged(self, payload):
        """True when ``payload`` is what was synced last time: nothing to send."""
        self.ensure_one()
        return bool(self.sync_hash) and self.sync_hash == self._hash_payload(payload)
