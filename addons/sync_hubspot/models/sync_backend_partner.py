import functools
import logging
from datetime import datetime

from odoo import _, fields, models
from odoo.addons.sync_base.exceptions import SyncError, SyncValidationError
from odoo.addons.sync_base.models.sync_field_rule import normalise_value, plain_value, same_value
from odoo.addons.sync_base.payload import utc_datetime
from odoo.tools import split_every

from . import hubspot_payload as payload
from .sync_backend import ODOO_ID

_logger = logging.getLogger(__name__)

IDENTITY_FIELDS = ("name", "email", "phone")
BATCH_INPUTS = 100  # the most inputs HubSpot's batch endpoints take
FACT_FIELDS = [
    "hubspot_customer_since", "hubspot_total_invoiced", "hubspot_open_order_count", "hubspot_last_order_date",
    "hubspot_outstanding_balance",
]
MODIFIED = {"contacts": "lastmodifieddate", "companies": "hs_lastmodifieddate", "deals": "hs_lastmodifieddate"}
BASE_PROPERTIES = {
    "contacts": ["firstname", "lastname", "email", "phone", "lifecyclestage", "hubspot_owner_id"],
    "companies": ["name", "phone", "lifecyclestage", "hubspot_owner_id"],
}
# HubSpot property -> Odoo field for values HubSpot may own (the ownership map decides).
INCOMING = {"phone": "phone", "lifecyclestage": "hubspot_lifecycle_stage", "email": "email"}


def parse_hubspot_datetime(value, keep_ms=False):
    """HubSpot's ISO timestamps as naive UTC, the way Odoo stores datetimes (whole seconds)."""
    if not value:
        return False
    try:
        moment = utc_datetime(value)
    except ValueError:
        return False
    return moment if keep_ms else moment.replace(microsecond=0)


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    # ------------------------------------------------------------------
    # Export: res.partner -> contacts / companies
    # ------------------------------------------------------------------
    def _hubspot_run_batch_partner_export(self, jobs):
        """The queue hands over the partner exports it claimed together: {job id: outcome}.

        HubSpot takes at most 100 objects per batch call; a record it refuses (207)
        fails alone with HubSpot's message.
        """
        self._require_scopes("customers")
        outcomes = {}
        for chunk in split_every(BATCH_INPUTS, jobs.ids, jobs.browse):
            outcomes.update(self._hubspot_export_partners(chunk))
        return outcomes

    def _hubspot_export_partners(self, jobs):
        """Send the partners of ``jobs`` in as few calls as possible: {job id: outcome}."""
        outcomes, todo = {}, []
        # One recordset for the whole batch: the computed ERP facts are then read for all of
        # its partners at once (a few grouped queries) instead of partner by partner.
        partners = self.env["res.partner"].browse(jobs.mapped("res_id")).exists()
        partners.invalidate_recordset(FACT_FIELDS)  # computed, not stored: orders confirmed since count
        existing = set(partners.ids)
        for job in jobs:
            if job.res_id in existing:
                todo.append((job, partners.browse(job.res_id).with_prefetch(partners._prefetch_ids)))
            else:
                outcomes[job.id] = _("The partner was deleted before it could be sent; nothing to do.")
        batch = self._hubspot_export_context(partners)
        hs_ids = {}
        # Companies first: contacts of the same batch are then linked to them.
        for otype in ("companies", "contacts"):
            group = [(job, partner) for job, partner in todo if partner._hubspot_type() == otype]
            if group:
                outcomes.update(self._hubspot_export_group(otype, group, hs_ids, batch))
        return outcomes

    def _hubspot_export_context(self, partners):
        """What every partner of an export batch shares: what the rules send, the bindings, HubSpot's property names."""
        bindings = self.env["sync.binding"].sudo().search([
            # All the columns of the binding's unique index, so that it finds the rows directly.
            ("backend_id", "=", self.id), ("external_type", "in", ("contacts", "companies")),
            ("res_model", "=", "res.partner"), ("res_id", "in", (partners | partners.commercial_partner_id).ids),
        ])
        return {
            "plan": self._hubspot_property_plan(self.env["sync.field.rule"]._rules_for("res.partner", self)),
            "bindings": {(b.external_type, b.res_id): b for b in bindings},
            "known": {otype: self._hubspot_known_properties(otype) for otype in ("contacts", "companies")},
        }

    def _hubspot_property_plan(self, rules):
        """What the ownership map says Odoo sends, worked out once for a whole batch of partners.

        ``sent``: ``(HubSpot property, rule)`` of the fields Odoo writes (sync.field.rule's
        ``_outgoing_values`` minus the identity and the owner, handled apart); ``identity``: the
        identity fields Odoo keeps sending once HubSpot has the object; ``owner``: whether Odoo
        owns the salesperson.
        """
        apart = {rules[fname].external_field or fname for fname in (*IDENTITY_FIELDS, "user_id") if fname in rules}
        sending = [
            (rule.external_field or fname, rule) for fname, rule in rules.items()
            if rule._field() is not None and rule._sends_to(self)
        ]
        return {
            "sent": [(key, rule) for key, rule in sending if key not in apart],
            # Sent in HubSpot's own shape, but still checked against the rule (a length limit...).
            "checked": [rule for key, rule in sending if key in apart],
            "identity": {
                fname for fname in IDENTITY_FIELDS
                if fname in rules and (rules[fname].owner == "odoo" or rules[fname].policy == "accept")
            },
            "owner": "user_id" in rules and rules["user_id"].owner == "odoo",
        }

    def _hubspot_export_group(self, otype, group, hs_ids, batch=None):
        batch = batch or self._hubspot_export_context(self.env["res.partner"].union(*(p for _j, p in group)))
        outcomes, updates, upserts, job_hashes = {}, [], [], {}
        for job, partner in group:
            binding = batch["bindings"].get((otype, partner.id)) or self.env["sync.binding"]
            try:
                properties = self._hubspot_partner_properties(partner, otype, binding, batch)
            except SyncError as error:
                outcomes[job.id] = error
                continue
            if binding and binding._is_unchanged(properties):
                outcomes[job.id] = _("Unchanged since the last sync: nothing sent.")
                continue
            (updates if binding else upserts).append((job, partner, binding, properties))
            if not binding:
                # Remember the payload as later exports will compute it (without the seeded identity),
                # so that an unchanged partner is not sent again.
                seeded = self._hubspot_seeded_keys(partner, otype, batch["plan"])
                job_hashes[job.id] = {k: v for k, v in properties.items() if k not in seeded}
        if updates:
            answer = self._hubspot_call("POST", f"/crm/v3/objects/{otype}/batch/update", body={
                "inputs": [{"id": binding.external_id, "properties": props} for _j, _p, binding, props in updates],
            }, operation="partner_export")
            outcomes.update(self._hubspot_batch_outcomes(otype, updates, answer, hs_ids, job_hashes))
        if upserts:
            # Upsert on odoo_id: a retry after a lost answer finds what the first try created. odoo_id
            # stays in the properties so that HubSpot echoes it and each result finds its partner.
            answer = self._hubspot_call("POST", f"/crm/v3/objects/{otype}/batch/upsert", body={
                "inputs": [
                    {"idProperty": ODOO_ID, "id": str(partner.id), "properties": props}
                    for _j, partner, _b, props in upserts
                ],
            }, operation="partner_export")
            outcomes.update(self._hubspot_batch_outcomes(otype, upserts, answer, hs_ids, job_hashes))
            clashes = [
                item for item in upserts
                if otype == "contacts" and item[1].email and isinstance(outcomes[item[0].id], SyncValidationError)
                and self._hubspot_email_taken(answer, item[1])
            ]
            if clashes:
                outcomes.update(self._hubspot_link_existing(otype, clashes, hs_ids, job_hashes, answer))
        if otype == "contacts":
            self._hubspot_link_contacts([partner for _j, partner, _b, _p in updates + upserts], hs_ids, batch)
        return outcomes

    def _hubspot_batch_outcomes(self, otype, items, answer, hs_ids, job_hashes):
        """Match a batch answer (200 or 207) to its records; a refused record gets HubSpot's message."""
        if answer is None:
            return {job.id: _("Dry run: recorded in the exchange log, nothing sent.") for job, *_rest in items}
        results = answer.get("results") or []
        by_odoo_id = {str((r.get("properties") or {}).get(ODOO_ID)): r for r in results}
        by_id = {str(r.get("id")): r for r in results}
        outcomes, accepted = {}, []
        for job, partner, binding, props in items:
            result = by_odoo_id.get(str(partner.id)) or (binding and by_id.get(binding.external_id))
            if not result:
                outcomes[job.id] = SyncValidationError(self._hubspot_refusal(answer, partner, binding))
                continue
            hs_ids[(otype, partner.id)] = str(result["id"])
            accepted.append((job, partner, result, job_hashes.get(job.id, props)))
        known = {partner.id: binding for _job, partner, binding, _props in items if binding}
        outcomes.update(self._hubspot_apply_exports(otype, accepted, known=known))
        return outcomes

    def _hubspot_apply_exports(self, otype, accepted, linked=False, known=None):
        """Bind the partners HubSpot accepted, the whole batch at once: {job id: outcome}.

        ``accepted`` holds ``(job, partner, result, properties)``; ``known``, the bindings the
        batch read before the call (``sync.binding._bind_many``'s ``existing``). Should the bulk
        write fail (a binding another worker made meanwhile...), each partner is bound by its own
        job instead (``sync.job._settle``), so that only the culprit fails.
        """
        if not accepted:
            return {}
        try:
            with self.env.cr.savepoint():
                self.env["sync.binding"].sudo()._bind_many(self, otype, [
                    (partner, result["id"], properties, self._hubspot_binding_version(result))
                    for _job, partner, result, properties in accepted
                ], existing=known)
        except Exception:  # settled record by record below, each failure on its own job
            _logger.info("Binding %s exported %s in bulk failed; binding them one by one", len(accepted), otype,
                         exc_info=True)
            return {
                job.id: functools.partial(self._hubspot_apply_export, otype, partner, result, properties, linked)
                for job, partner, result, properties in accepted
            }
        messages = self._hubspot_export_messages(linked)
        return {job.id: self._hubspot_export_message(otype, result, messages) for job, _p, result, _pr in accepted}

    @staticmethod
    def _hubspot_errors_of(answer, keys):
        """The errors of a batch answer that name one of ``keys`` (input ids)."""
        keys = {str(key) for key in keys if key}
        return [
            error for error in answer.get("errors") or []
            if keys & {str(i) for i in (error.get("context") or {}).get("ids", [])}
        ]

    def _hubspot_refusal(self, answer, partner, binding, extra_keys=()):
        errors = answer.get("errors") or []
        mine = self._hubspot_errors_of(answer, [partner.id, binding.external_id if binding else None, *extra_keys])
        message = "; ".join(e.get("message", "") for e in (mine or errors)) or _("no reason given")
        return _(
            "HubSpot refused %(partner)s: %(message)s. Correct the data in Odoo or HubSpot, then Retry.",
            partner=partner.display_name, message=message,
        )

    def _hubspot_email_taken(self, answer, partner):
        return any(
            error.get("category") in ("CONFLICT", "OBJECT_ALREADY_EXISTS")
            for error in self._hubspot_errors_of(answer, [partner.id])
        )

    def _hubspot_link_existing(self, otype, items, hs_ids, job_hashes, refusal):
        """Link partners whose email HubSpot already has to that contact, then update it: no duplicate.

        A contact already linked to another Odoo partner is left alone: two Odoo partners share
        an email, and people decide which one is the customer.
        """
        answer = self._hubspot_call("POST", f"/crm/v3/objects/{otype}/batch/read", body={
            "idProperty": "email", "properties": ["email", ODOO_ID],
            "inputs": [{"id": partner.email.strip()} for _j, partner, _b, _p in items],
        }, operation="partner_export")
        found = {str((r.get("properties") or {}).get("email") or "").lower(): r for r in answer.get("results") or []}
        outcomes, updates = {}, []
        for job, partner, _binding, props in items:
            contact = found.get(partner.email.strip().lower())
            holder = contact and self._hubspot_contact_holder(otype, contact)
            if not contact or (holder and holder != partner):
                outcomes[job.id] = SyncValidationError(_(
                    "%(partner)s cannot be sent: HubSpot contact %(id)s has the same email (%(email)s) and is "
                    "already linked to %(other)s in Odoo. Merge the two partners or change one email, then Retry.",
                    partner=partner.display_name, id=contact["id"], email=partner.email, other=holder.display_name,
                ) if contact else self._hubspot_refusal(refusal, partner, None))
                continue
            # HubSpot already has the identity: send only what an update of a linked partner sends.
            updates.append((job, partner, str(contact["id"]), job_hashes.get(job.id, props)))
        if not updates:
            return outcomes
        answer = self._hubspot_call("POST", f"/crm/v3/objects/{otype}/batch/update", body={
            "inputs": [{"id": hs_id, "properties": props} for _j, _p, hs_id, props in updates],
        }, operation="partner_export")
        results = {str(r.get("id")): r for r in (answer or {}).get("results") or []}
        accepted = []
        for job, partner, hs_id, props in updates:
            if answer is None:
                outcomes[job.id] = _("Dry run: recorded in the exchange log, nothing sent.")
            elif hs_id not in results:
                outcomes[job.id] = SyncValidationError(self._hubspot_refusal(answer, partner, None, [hs_id]))
            else:
                hs_ids[(otype, partner.id)] = hs_id
                accepted.append((job, partner, results[hs_id], props))
        outcomes.update(self._hubspot_apply_exports(otype, accepted, linked=True))
        return outcomes

    def _hubspot_contact_holder(self, otype, contact):
        """The Odoo partner a HubSpot object already belongs to: by binding, else by the odoo_id it carries."""
        binding = self.env["sync.binding"].sudo()._find(self, otype, external_id=contact["id"])
        if binding:
            return self.env["res.partner"].browse(binding.res_id).exists()
        odoo_id = str((contact.get("properties") or {}).get(ODOO_ID) or "")
        return self.env["res.partner"].browse(int(odoo_id)).exists() if odoo_id.isdigit() else None

    def _hubspot_apply_export(self, otype, partner, result, properties, linked=False):
        self.env["sync.binding"].sudo()._bind_many(self, otype, [
            (partner, result["id"], properties, self._hubspot_binding_version(result)),
        ])
        return self._hubspot_export_message(otype, result, self._hubspot_export_messages(linked))

    @staticmethod
    def _hubspot_binding_version(result):
        """Our own write is not news: the poll and webhooks skip versions up to this one."""
        updated_at = parse_hubspot_datetime(result.get("updatedAt"))
        return {"external_updated_at": updated_at} if updated_at else {}

    @staticmethod
    def _hubspot_export_message(otype, result, messages):
        return messages["new" if result.get("new") else "updated"] % {"type": otype, "id": result["id"]}

    def _hubspot_export_messages(self, linked):
        """The outcomes of an export, translated once for a whole batch (``%(type)s``, ``%(id)s`` to fill)."""
        if linked:
            linked_message = _("Linked to HubSpot %(type)s %(id)s, which already had this email, and updated it.")
            return {"new": linked_message, "updated": linked_message}
        return {
            "new": _("Created in HubSpot as %(type)s %(id)s."),
            "updated": _("Updated in HubSpot (%(type)s %(id)s)."),
        }

    def _hubspot_link_contacts(self, contacts, hs_ids, batch=None):
        """Associate contacts with their company; HubSpot ignores links that already exist."""
        Binding = self.env["sync.binding"].sudo()
        known = (batch or {}).get("bindings", {})
        links = []
        for contact in contacts:
            company = contact.parent_id.commercial_partner_id if contact.parent_id else None
            company_id = company and (
                hs_ids.get(("companies", company.id))
                or (known.get(("companies", company.id)) or Binding._find(self, "companies", record=company))
                .external_id
            )
            contact_id = hs_ids.get(("contacts", contact.id))
            if company_id and contact_id:
                links.append({"from": {"id": contact_id}, "to": {"id": company_id}})
        if links:
            self._hubspot_call("POST", "/crm/v4/associations/contacts/companies/batch/associate/default",
                               body={"inputs": links}, operation="partner_export")

    def _hubspot_partner_properties(self, partner, otype, binding, batch=None):
        """What Odoo sends for ``partner``: what the ownership map lets Odoo write, plus
        the identity the first time (HubSpot has nothing to own yet).

        ``batch`` (from ``_hubspot_export_context``) carries what partners of one batch share;
        without it, the rules are read and the facts recomputed for this partner alone.
        """
        if batch is None:
            # Facts are computed, not stored: orders confirmed since the last read must count.
            partner.invalidate_recordset(FACT_FIELDS)
            rules = self.env["sync.field.rule"]._rules_for("res.partner", self)
            batch = {"plan": self._hubspot_property_plan(rules), "known": {}}
        plan = batch["plan"]
        for rule in plan["checked"]:
            rule._transform(partner, self)
        properties = {key: rule._transform(partner, self) for key, rule in plan["sent"]}
        for fname in IDENTITY_FIELDS:
            if not binding or fname in plan["identity"]:
                properties.update(self._hubspot_identity(partner, otype, fname))
        if plan["owner"]:
            properties["hubspot_owner_id"] = partner.user_id.hubspot_owner_id or ""
        properties[ODOO_ID] = str(partner.id)
        known = batch["known"][otype] if otype in batch["known"] else self._hubspot_known_properties(otype)
        return {
            name: "" if value is False or value is None else value
            for name, value in properties.items()
            if known is None or name in known
        }

    def _hubspot_seeded_keys(self, partner, otype, plan):
        """HubSpot properties of the identity Odoo sends only when it creates the object."""
        return {
            key
            for fname in IDENTITY_FIELDS
            if fname not in plan["identity"]
            for key in self._hubspot_identity(partner, otype, fname)
        }

    @staticmethod
    def _hubspot_identity(partner, otype, fname):
        if fname == "name" and otype == "contacts":
            first, _space, last = (partner.name or "").strip().rpartition(" ")
            return {"firstname": first or last, "lastname": last if first else ""}
        if fname == "email" and otype == "companies":
            return {}  # HubSpot companies have a domain, not an email
        return {fname: partner[fname] or ""}

    # ------------------------------------------------------------------
    # Import: contacts / companies -> res.partner
    # ------------------------------------------------------------------
    def _hubspot_run_contact_import(self, job):
        return self._hubspot_import_partner_job(job, "contacts")

    def _hubspot_run_company_import(self, job):
        return self._hubspot_import_partner_job(job, "companies")

    def _hubspot_import_partner_job(self, job, otype):
        self._require_scopes("customers")
        event = job._payload()
        data = self._hubspot_get(
            otype, job.external_id, self._hubspot_partner_property_names(otype),
            ["companies"] if otype == "contacts" else None, operation=job.operation,
        )
        if data is None:
            return _("%(type)s %(id)s no longer exists in HubSpot; the Odoo partner is kept.",
                     type=otype, id=job.external_id)
        merged = [str(i) for i in event.get("mergedObjectIds") or []]
        _partner, message = self._hubspot_import_object(otype, data, merged_ids=[*merged, job.external_id])
        return message

    def _hubspot_partner_property_names(self, otype):
        rules = self.env["sync.field.rule"]._rules_for("res.partner", self)
        facts = [rule.external_field for rule in rules.values() if rule.owner == "odoo" and rule.external_field]
        return [*BASE_PROPERTIES[otype], *facts, ODOO_ID, "hs_merged_object_ids", MODIFIED[otype]]

    def _hubspot_import_object(self, otype, data, merged_ids=()):
        """Create or update the partner of one HubSpot contact or company: ``(partner, message)``."""
        Binding = self.env["sync.binding"].sudo()
        payload.check_object(self.env, otype, data)
        hs_id, props = str(data["id"]), data.get("properties") or {}
        merged = {*merged_ids, *(props.get("hs_merged_object_ids") or "").split(";")} - {hs_id, ""}
        partner = self._hubspot_follow_merges(otype, hs_id, merged) or self._hubspot_match_partner(otype, hs_id, props)
        binding = partner and Binding._find(self, otype, record=partner)
        updated_at = parse_hubspot_datetime(data.get("updatedAt"))
        values = self._hubspot_incoming_values(otype, props, with_facts=bool(binding))
        if binding and binding.external_updated_at and updated_at and updated_at < binding.external_updated_at:
            return partner, _("An older version of %s than the one applied: ignored.", partner.display_name)
        restore = False
        if partner:
            applied = self.env["sync.field.rule"]._apply_incoming(self, partner, values, external_updated_at=updated_at)
            restore = self._hubspot_refused_odoo_values(partner, values, applied)
            message = _("%(partner)s updated from HubSpot: %(fields)s.", partner=partner.display_name,
                        fields=", ".join(applied) or _("no change"))
        else:
            partner = self._hubspot_create_partner(otype, hs_id, values)
            message = _("%(partner)s created from HubSpot %(type)s %(id)s.", partner=partner.display_name,
                        type=otype, id=hs_id)
        binding = Binding._bind(self, otype, partner, hs_id)
        binding.external_updated_at = updated_at
        if otype == "contacts":
            self._hubspot_import_parent(partner, data)
        if restore or props.get(ODOO_ID) != str(partner.id):
            # HubSpot lacks our id or changed a value Odoo owns: send Odoo's values back.
            binding.sync_hash = False
            self._enqueue("partner_export", record=partner, category="customer")
            if restore:
                message += " " + _("HubSpot changed values Odoo owns (%s): reported and restored.", ", ".join(restore))
        return partner, message

    def _hubspot_incoming_values(self, otype, props, with_facts=True):
        """{Odoo field: value} from HubSpot properties, in the types Odoo fields take."""
        Partner = self.env["res.partner"]
        values = {}
        if otype == "contacts":
            if "firstname" in props or "lastname" in props:
                name = " ".join(part for part in (props.get("firstname"), props.get("lastname")) if part)
                if name:
                    values["name"] = name
        elif props.get("name"):
            values["name"] = props["name"]
        for prop, fname in INCOMING.items():
            if prop in props and not (prop == "email" and otype == "companies"):
                values[fname] = props[prop] or False
        owner = props.get("hubspot_owner_id")
        if owner:
            user = self.env["res.users"].sudo().search([("hubspot_owner_id", "=", owner)], limit=1)
            if user:
                values["user_id"] = user.id
        if with_facts:
            for fname, rule in self.env["sync.field.rule"]._rules_for("res.partner", self).items():
                if rule.owner == "odoo" and rule.external_field in props and fname in Partner._fields:
                    values[fname] = self._hubspot_to_field(Partner._fields[fname], props[rule.external_field])
        return values

    @staticmethod
    def _hubspot_to_field(field, raw):  # noqa: PLR0911 - one exit per field type
        if raw in (None, ""):
            return 0 if field.type in ("integer", "float", "monetary") else False
        try:
            if field.type in ("float", "monetary"):
                return float(raw)
            if field.type == "integer":
                return int(float(raw))
            if field.type == "date":
                return raw[:10] if "-" in raw else fields.Date.to_string(datetime.utcfromtimestamp(int(raw) / 1000))
        except (TypeError, ValueError):
            return raw  # kept as sent: compared as different, so reported and restored
        if field.type == "boolean":
            return raw == "true"
        return raw

    def _hubspot_refused_odoo_values(self, partner, values, applied):
        """Labels of the Odoo-owned fields HubSpot sent a different value for."""
        refused = []
        for fname, value in values.items():
            field = partner._fields[fname]
            if fname in applied or self.env["sync.field.rule"]._owner("res.partner", fname, self) != "odoo":
                continue
            if not same_value(self.env, field, plain_value(partner, fname), normalise_value(field, value)):
                refused.append(field._description_string(self.env))
        return refused

    def _hubspot_follow_merges(self, otype, hs_id, merged_ids):
        """The partner of ``hs_id``, moving the links of contacts HubSpot merged into it."""
        Binding = self.env["sync.binding"].sudo()
        primary = Binding._find(self, otype, external_id=hs_id)
        for old_id in sorted(merged_ids):
            stale = Binding._find(self, otype, external_id=old_id)
            if not stale or stale == primary:
                continue
            if not primary:
                stale.external_id = hs_id
                primary = stale
                continue
            # Two Odoo partners for what HubSpot now says is one: people decide whether to merge them.
            orphan = self.env["res.partner"].browse(stale.res_id).exists()
            survivor = self.env["res.partner"].browse(primary.res_id).exists()
            stale.unlink()
            if orphan:
                orphan.message_post(body=_(
                    "HubSpot merged this %(type)s (%(old)s) into %(new)s, which is %(partner)s in Odoo. Merge the "
                    "two partners in Odoo if they are the same; this one is no longer synced.",
                    type=otype, old=old_id, new=hs_id, partner=survivor.display_name,
                ))
        return self.env["res.partner"].browse(primary.res_id).exists() if primary else None

    def _hubspot_match_partner(self, otype, hs_id, props):
        """An unlinked partner that is this HubSpot object: by our id stored in HubSpot, then by email or name."""
        Partner = self.env["res.partner"].with_context(active_test=False)
        Binding = self.env["sync.binding"].sudo()

        def unbound(partners):
            return partners.filtered(lambda p: not Binding._find(self, otype, record=p))[:1]

        odoo_id = props.get(ODOO_ID) or ""
        if odoo_id.isdigit():
            partner = unbound(Partner.browse(int(odoo_id)).exists())
            if partner:
                return partner
        if otype == "contacts" and props.get("email"):
            return unbound(Partner.search([("email", "=ilike", props["email"]), ("is_company", "=", False)]))
        if otype == "companies" and props.get("name"):
            return unbound(Partner.search([("name", "=ilike", props["name"]), ("is_company", "=", True)]))
        return None

    def _hubspot_create_partner(self, otype, hs_id, values):
        Rule = self.env["sync.field.rule"]
        vals = {
            fname: value for fname, value in values.items()
            if Rule._owner("res.partner", fname, self) != "odoo"
        }
        vals.setdefault("name", values.get("email") or _("HubSpot %(type)s %(id)s", type=otype, id=hs_id))
        vals["is_company"] = otype == "companies"
        vals["company_id"] = self.company_id.id  # the account's customers are the backend company's
        return self.env["res.partner"].with_context(
            sync_hubspot_no_export=True, sync_base_incoming=self.code
        ).create(vals)

    def _hubspot_import_parent(self, partner, data):
        """Give a contact the company HubSpot associates it with, when it has none in Odoo."""
        links = ((data.get("associations") or {}).get("companies") or {}).get("results") or []
        if not links or partner.parent_id or partner.is_company:
            return
        company_id = str(links[0]["id"])
        binding = self.env["sync.binding"].sudo()._find(self, "companies", external_id=company_id)
        company = self.env["res.partner"].browse(binding.res_id).exists() if binding else None
        if not company:
            company_data = self._hubspot_get("companies", company_id, self._hubspot_partner_property_names("companies"),
                                             operation="company_import")
            if company_data is None:
                return
            company, _message = self._hubspot_import_object("companies", company_data)
        partner.with_context(sync_hubspot_no_export=True, sync_base_incoming=self.code).parent_id = company

    # ------------------------------------------------------------------
    # Initial load, both ways
    # ------------------------------------------------------------------
    def action_hubspot_initial_load(self):
        """Import HubSpot's companies then contacts (matching existing partners), then send the rest."""
        self.ensure_one()
        self._enqueue("initial_import", payload={"otype": "companies"}, direction="import", category="customer",
                      priority=self.priority_customer - 1, dedup_key="hubspot_initial_import:companies")
        return self._notify(_("Initial load queued"), _(
            "HubSpot companies and contacts are imported first; Odoo customers HubSpot does not have are sent after."
        ))

    def _hubspot_run_initial_import(self, job):
        self._require_scopes("customers")
        payload = job._payload()
        otype = payload["otype"]
        params = {"limit": 100, "properties": ",".join(self._hubspot_partner_property_names(otype))}
        if otype == "contacts":
            params["associations"] = "companies"
        if payload.get("after"):
            params["after"] = payload["after"]
        page = self._hubspot_call("GET", f"/crm/v3/objects/{otype}", params=params, operation=job.operation)
        imported = 0
        for data in page.get("results", []):
            try:
                with self.env.cr.savepoint():
                    self._hubspot_import_object(otype, data)
                imported += 1
            except Exception:  # noqa: BLE001 - the record gets a job of its own that fails with the reason
                operation = "contact_import" if otype == "contacts" else "company_import"
                self._enqueue(operation, external_id=str(data["id"]), direction="import", category="customer")
        after = ((page.get("paging") or {}).get("next") or {}).get("after")
        follow = {"otype": otype, "after": after} if after else None
        if not after and otype == "companies":
            follow = {"otype": "contacts"}
        if follow:
            self._enqueue("initial_import", payload=follow, direction="import", category="customer",
                          priority=job.priority, dedup_key=False)
        else:
            self._hubspot_enqueue_initial_export()
        return _("%(count)s %(type)s imported.", count=imported, type=otype)

    def _hubspot_enqueue_initial_export(self):
        Binding = self.env["sync.binding"].sudo()
        bound = set(Binding.search([("backend_id", "=", self.id), ("res_model", "=", "res.partner")]).mapped("res_id"))
        domain = [("id", "not in", list(bound)), "|", ("customer_rank", ">", 0), ("is_company", "=", True)]
        if self.hubspot_partner_scope == "tagged":
            domain = [("id", "not in", list(bound)), ("category_id", "in", self.hubspot_category_id.ids)]
        partners = self.env["res.partner"].search(domain).filtered(lambda p: p._hubspot_in_scope(self))
        # Bulk work: behind live customer changes and orders (the catalogue's priority), so that an
        # edit made in HubSpot during a load of 20,000 partners is applied in seconds.
        for partner in partners:
            self._enqueue("partner_export", record=partner, category="customer", priority=self.priority_catalogue)
        return partners
