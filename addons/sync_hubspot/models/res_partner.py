from odoo import api, fields, models
from odoo.addons.sync_base.flows import sync_work_in_flow

# Partner fields whose change is worth telling HubSpot about.
EXPORT_TRIGGER_FIELDS = {
    "name", "email", "phone", "parent_id", "is_company", "category_id", "customer_rank", "active",
}


class ResPartner(models.Model):
    _inherit = "res.partner"

    hubspot_lifecycle_stage = fields.Char("Lifecycle stage", help="Set in HubSpot (lead, customer...).")
    hubspot_customer_since = fields.Date("Customer since", compute="_compute_hubspot_facts")
    hubspot_total_invoiced = fields.Float("Invoiced (HubSpot fact)", compute="_compute_hubspot_facts")
    hubspot_open_order_count = fields.Integer("Open orders", compute="_compute_hubspot_facts")
    hubspot_last_order_date = fields.Date("Last order", compute="_compute_hubspot_facts")
    hubspot_outstanding_balance = fields.Float("Outstanding balance", compute="_compute_hubspot_facts")

    def _compute_hubspot_facts(self):
        """ERP facts of the commercial entity, as HubSpot shows them on contacts and companies.

        Computed for the whole recordset at once (an export batch reads them for 100 partners):
        grouped queries on orders, invoices and receivables, whatever the number of partners.
        """
        commercial = self.sudo().commercial_partner_id
        # The entities and everything below them (archived too, as account counts), resolved once.
        family = commercial.with_context(active_test=False).search([("id", "child_of", commercial.ids)], order="id")
        invoiced = self._hubspot_total_invoiced(commercial, family)
        first_last, open_count = {}, {}
        for buyer, invoice_status, first, last, count in self.env["sale.order"].sudo()._read_group(
            [("partner_id", "in", family.ids), ("state", "=", "sale")],
            ["partner_id", "invoice_status"], ["date_order:min", "date_order:max", "__count"],
        ):
            entity = buyer.commercial_partner_id.id
            known = first_last.get(entity)
            first_last[entity] = (min(first, known[0]), max(last, known[1])) if known else (first, last)
            if invoice_status != "invoiced":
                open_count[entity] = open_count.get(entity, 0) + count
        for partner in self:
            entity = partner.sudo().commercial_partner_id
            first, last = first_last.get(entity.id, (False, False))
            partner.hubspot_customer_since = first and first.date()
            partner.hubspot_last_order_date = last and last.date()
            partner.hubspot_open_order_count = open_count.get(entity.id, 0)
            partner.hubspot_total_invoiced = invoiced.get(entity.id, 0.0)
            partner.hubspot_outstanding_balance = entity.credit if entity.id else 0.0

    @api.model
    def _hubspot_total_invoiced(self, entities, family):
        """{entity id: total invoiced}, as account's ``total_invoiced`` counts it (the entity and
        everything below it: ``family``), in one grouped query: account's own compute searches the
        children of each partner one by one, two queries per partner of an export batch.
        """
        totals = dict.fromkeys(entities.ids, 0.0)
        for buyer, subtotal in self.env["account.invoice.report"].sudo()._read_group(
            [("partner_id", "in", family.ids), ("state", "not in", ("draft", "cancel")),
             ("move_type", "in", ("out_invoice", "out_refund"))],
            ["partner_id"], ["price_subtotal:sum"],
        ):
            # The buyer counts for itself and every entity above it (parent_id of sudo records: archived too).
            node = buyer
            while node:
                if node.id in totals:
                    totals[node.id] += subtotal
                node = node.parent_id
        return totals

    def _hubspot_in_scope(self, backend):
        """True when ``backend`` syncs this partner: a customer (or its contact), or tagged."""
        self.ensure_one()
        entity = self.commercial_partner_id
        if backend.hubspot_partner_scope == "tagged":
            tag = backend.hubspot_category_id
            return bool(tag) and tag in (self.category_id | entity.category_id)
        return self.customer_rank > 0 or entity.customer_rank > 0

    def _hubspot_enqueue_export(self):
        backends = self.env["sync.backend"]._hubspot_backends()
        if not backends:
            return  # no query more than that search where no HubSpot is connected (Odoo's query-count tests)
        with sync_work_in_flow(self.env, f"the HubSpot export of res.partner{self.ids}"):
            self._hubspot_enqueue_export_to(backends)

    def _hubspot_enqueue_export_to(self, backends):
        for backend in backends:
            # Whoever saves the partner (a portal user's address, an accountant's invoice), its
            # scope and company are read as superuser, the suite's own concern.
            for partner in self.sudo():
                bound = self.env["sync.binding"].sudo()._find(
                    backend, partner._hubspot_type(), record=partner
                )
                # Invoice and delivery addresses are not people of the CRM.
                if partner.parent_id and partner.type in ("invoice", "delivery"):
                    continue
                if bound or partner._hubspot_in_scope(backend):
                    backend._enqueue("partner_export", record=partner, category="customer")

    def _hubspot_skip_export(self):
        # Values HubSpot just gave us need not go back to it.
        context = self.env.context
        return context.get("sync_hubspot_no_export") or context.get("sync_base_incoming") == "hubspot"

    def _hubspot_type(self):
        self.ensure_one()
        return "companies" if self.is_company else "contacts"

    @api.model_create_multi
    def create(self, vals_list):
        partners = super().create(vals_list)
        if not self._hubspot_skip_export():
            partners._hubspot_enqueue_export()
        return partners

    def write(self, vals):
        result = super().write(vals)
        if EXPORT_TRIGGER_FIELDS & set(vals) and not self._hubspot_skip_export():
            self._hubspot_enqueue_export()
        return result
