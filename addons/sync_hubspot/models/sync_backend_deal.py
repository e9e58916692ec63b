from odoo import _, models
from odoo.addons.sync_base.exceptions import SyncMappingError, SyncValidationError

from .sync_backend import ODOO_ID
from .sync_backend_partner import parse_hubspot_datetime

DEAL_PROPERTIES = [
    "dealname", "amount", "dealstage", "pipeline", "closedate", "deal_currency_code", ODOO_ID, "hs_lastmodifieddate",
]


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    # ------------------------------------------------------------------
    # Export: confirmed sale.order -> deal
    # ------------------------------------------------------------------
    def _hubspot_run_deal_export(self, job):
        self._require_scopes("deals")
        order = self.env["sale.order"].browse(job.res_id).exists()
        if not order:
            return _("The order was deleted before it could be sent; nothing to do.")
        contacts = self._hubspot_ensure_partners(order.partner_id | order.partner_id.commercial_partner_id)
        Binding = self.env["sync.binding"].sudo()
        binding = Binding._find(self, "deals", record=order)
        properties = self._hubspot_deal_properties(order, binding)
        if binding and binding._is_unchanged(properties):
            return _("Unchanged since the last sync: nothing sent.")
        if binding:
            path, entry = "batch/update", {"id": binding.external_id, "properties": properties}
        else:
            path = "batch/upsert"
            entry = {"idProperty": ODOO_ID, "id": str(order.id), "properties": properties}
        answer = self._hubspot_call("POST", f"/crm/v3/objects/deals/{path}", body={"inputs": [entry]},
                                    operation=job.operation)
        if answer is None:
            return _("Dry run: recorded in the exchange log, nothing sent.")
        if not answer.get("results"):
            errors = "; ".join(e.get("message", "") for e in answer.get("errors") or [])
            raise SyncValidationError(_("HubSpot refused the deal of %(order)s: %(errors)s. Correct it, then Retry.",
                                        order=order.name, errors=errors))
        deal_id = str(answer["results"][0]["id"])
        Binding._bind(self, "deals", order, deal_id, payload=properties)
        if not binding:
            for otype, hs_id in contacts:
                self._hubspot_call("PUT", f"/crm/v4/objects/deals/{deal_id}/associations/default/{otype}/{hs_id}",
                                   operation=job.operation)
        return _("Deal %(id)s for %(order)s sent to HubSpot.", id=deal_id, order=order.name)

    def _hubspot_ensure_partners(self, partners):
        """[(type, HubSpot id)] of the partners, sending first those HubSpot does not have yet."""
        Binding = self.env["sync.binding"].sudo()
        missing = partners.filtered(lambda p: not Binding._find(self, p._hubspot_type(), record=p))
        if missing:
            jobs = [(self.env["sync.job"].new({"backend_id": self.id}), partner) for partner in missing]
            for otype in ("companies", "contacts"):
                group = [(job, partner) for job, partner in jobs if partner._hubspot_type() == otype]
                for outcome in self._hubspot_export_group(otype, group, {}).values() if group else []:
                    if isinstance(outcome, Exception):
                        raise outcome
                    if callable(outcome):
                        outcome()
        return [(p._hubspot_type(), Binding._find(self, p._hubspot_type(), record=p).external_id) for p in partners]

    def _hubspot_deal_properties(self, order, binding):
        properties = {
            ODOO_ID: str(order.id),
            "dealname": order.name,
            "amount": order.amount_total,
            "deal_currency_code": order.currency_id.name,
            "closedate": order.date_order.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "odoo_order_ref": order.name,
            "pipeline": self.hubspot_pipeline_id or "default",
        }
        # The stage is moved in HubSpot; Odoo sets it at creation, and after only if the map gives it to Odoo.
        if not binding or self.env["sync.field.rule"]._owner("sale.order", "hubspot_deal_stage", self) == "odoo":
            stage = self.hubspot_stage_ids.filtered(lambda s: s.order_state == order.state)[:1]
            stage = stage or (self.hubspot_stage_ids[:1] if not binding else stage)
            if stage:
                properties["dealstage"] = stage.stage_id
        known = self._hubspot_known_properties("deals")
        return {k: v for k, v in properties.items() if known is None or k in known}

    # ------------------------------------------------------------------
    # Import: deal -> stage on the order, or a quotation for won deals
    # ------------------------------------------------------------------
    def _hubspot_run_deal_import(self, job):
        self._require_scopes("deals")
        data = self._hubspot_get("deals", job.external_id, DEAL_PROPERTIES, ["contacts", "companies"],
                                 operation=job.operation)
        if data is None:
            return _("Deal %s no longer exists in HubSpot; nothing to do.", job.external_id)
        Binding = self.env["sync.binding"].sudo()
        deal_id, props = str(data["id"]), data.get("properties") or {}
        binding = Binding._find(self, "deals", external_id=deal_id)
        order = self.env["sale.order"].browse(binding.res_id).exists() if binding else None
        if not order and (props.get(ODOO_ID) or "").isdigit():
            order = self.env["sale.order"].browse(int(props[ODOO_ID])).exists()
        updated_at = parse_hubspot_datetime(data.get("updatedAt"))
        stage = self.hubspot_stage_ids.filtered(lambda s: s.stage_id == props.get("dealstage"))[:1]
        if order:
            applied = self.env["sync.field.rule"]._apply_incoming(
                self, order, {"hubspot_deal_stage": props.get("dealstage") or False}, external_updated_at=updated_at
            )
            Binding._bind(self, "deals", order, deal_id)
            return _("%(order)s: deal stage %(stage)s.", order=order.name,
                     stage=stage.name or props.get("dealstage")) if applied else _("%s: no change.", order.name)
        if not (stage and stage.create_quotation):
            return _("Deal %(id)s is at stage %(stage)s and has no order: nothing to do.",
                     id=deal_id, stage=stage.name or props.get("dealstage"))
        order = self._hubspot_create_quotation(data, stage)
        self._hubspot_call("PATCH", f"/crm/v3/objects/deals/{deal_id}", body={"properties": {
            ODOO_ID: str(order.id), "odoo_order_ref": order.name,
        }}, operation=job.operation)
        return _("Won deal %(id)s: quotation %(order)s created.", id=deal_id, order=order.name)

    def _hubspot_create_quotation(self, data, stage):
        props = data.get("properties") or {}
        customer = self._hubspot_deal_customer(data)
        # The backend's company, whoever runs the queue: the deal is that company's business.
        order = self.env["sale.order"].with_company(self.company_id).with_context(
            sync_base_incoming=self.code).create({
            "company_id": self.company_id.id,
            "partner_id": customer.id,
            "team_id": self.hubspot_team_id.id or False,
            "origin": props.get("dealname") or data["id"],
            "hubspot_deal_stage": stage.stage_id,
            "note": _("Won in HubSpot (deal %(id)s, amount %(amount)s %(currency)s): add the lines and send it.",
                      id=data["id"], amount=props.get("amount") or 0, currency=props.get("deal_currency_code") or ""),
        })
        self.env["sync.binding"].sudo()._bind(self, "deals", order, str(data["id"]))
        return order

    def _hubspot_deal_customer(self, data):
        """The deal's company, else its contact, imported if Odoo does not know it yet."""
        links = data.get("associations") or {}
        for otype in ("companies", "contacts"):
            for link in (links.get(otype) or {}).get("results") or []:
                binding = self.env["sync.binding"].sudo()._find(self, otype, external_id=str(link["id"]))
                partner = self.env["res.partner"].browse(binding.res_id).exists() if binding else None
                if partner:
                    return partner
                found = self._hubspot_get(otype, link["id"], self._hubspot_partner_property_names(otype),
                                          ["companies"] if otype == "contacts" else None, operation="deal_import")
                if found:
                    return self._hubspot_import_object(otype, found)[0]
        raise SyncMappingError(_(
            "Deal %(id)s (%(name)s) is won but has no contact or company in HubSpot, so Odoo cannot tell whom the "
            "quotation is for. Associate one in HubSpot, then Retry.",
            id=data["id"], name=(data.get("properties") or {}).get("dealname") or "",
        ))
