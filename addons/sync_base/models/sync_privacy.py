from markupsafe import Markup
from odoo import _, api, models
from odoo.tools import SQL

# What a person's privacy right covers on a partner: contact details. The name and postal address
# stay on a partner that was invoiced: invoices must keep naming the buyer (accounting law).
CONTACT_FIELDS = ("email", "phone", "mobile", "website", "function", "comment")
IDENTITY_FIELDS = ("name", "street", "street2", "city", "zip", "vat")
REDACTED_TEXT = "(redacted at the customer's request)"


class SyncPrivacy(models.AbstractModel):
    """Privacy requests a platform relays for one customer: what the suite holds on them, and erasing it.

    Connectors read the request (Shopify's customers/data_request and customers/redact webhooks,
    HubSpot's privacy deletion), find the customer's partners through their bindings, orders or
    email, and call these. Whatever is done, the backend's responsible gets an activity saying it.
    """

    _name = "sync.privacy"
    _description = "Sync Privacy Requests"

    # ------------------------------------------------------------------
    # Data requests
    # ------------------------------------------------------------------
    @api.model
    def _report_data_request(self, backend, partners, request):
        """Give the backend's responsible the customer's data the suite holds, ready to send."""
        partners = self._with_contacts(partners)
        rows = [(partner.display_name, [(partners._fields[fname].string, partner[fname])
                                        for fname in IDENTITY_FIELDS + CONTACT_FIELDS
                                        if fname in partners._fields and partner[fname]])
                for partner in partners]
        bindings = self.env["sync.binding"].sudo().search(
            [("backend_id", "=", backend.id), ("res_model", "=", "res.partner"), ("res_id", "in", partners.ids)])
        orders = self._orders_of(partners)
        note = Markup("<p>%s</p>") % _(
            "%(request)s: the customer asks for the data held about them. Below is what Odoo holds through this "
            "backend; send it to the customer within the time the law gives (30 days for Shopify's requests).",
            request=request)
        if not partners:
            note += Markup("<p>%s</p>") % _(
                "No partner of this customer is known to Odoo: answer that nothing is held.")
        for name, values in rows:
            note += Markup("<p><b>%s</b></p><ul>%s</ul>") % (name, Markup("").join(
                Markup("<li>%s: %s</li>") % (label, value) for label, value in values))
        if orders:
            note += Markup("<p>%s</p>") % _("Orders: %s", ", ".join(
                "%s (%s, %s %s)" % (order.name, order.date_order.date(), order.amount_total, order.currency_id.name)
                for order in orders))
        if bindings:
            note += Markup("<p>%s</p>") % _("Linked %(system)s records: %(ids)s", system=backend.code,
                                            ids=", ".join(bindings.mapped("external_id")))
        self._tell(backend, _("Privacy: data request"), note)
        return partners

    # ------------------------------------------------------------------
    # Redaction
    # ------------------------------------------------------------------
    @api.model
    def _redact_customer(self, backend, partners, markers, request):
        """Erase the customer's personal data where the law allows it, and the suite's copies of it.

        ``markers``: the texts that identify the customer in stored bodies (email, phone, the
        platform's ids of the customer and their orders); bodies holding one are purged.
        """
        partners = self._with_contacts(partners)
        invoiced = self._invoiced(partners)
        for partner in partners:
            self._anonymise(partner, keep_identity=partner in invoiced)
        markers = [marker for marker in {str(m).strip() for m in markers if m} if len(marker) >= 4]
        purged = self._purge_bodies(backend, markers) if markers else 0
        note = Markup("<p>%s</p>") % _(
            "%(request)s: the customer's personal data was erased: %(count)s partner(s) anonymised, %(purged)s "
            "stored message(s) purged.", request=request, count=len(partners), purged=purged)
        if invoiced:
            note += Markup("<p>%s</p>") % _(
                "%(partners)s was invoiced: the name and postal address stay, as the invoices must keep naming the "
                "buyer; email, phones and notes were erased.", partners=", ".join(invoiced.mapped("display_name")))
        if not partners:
            note += Markup("<p>%s</p>") % _("No partner of this customer was known to Odoo.")
        self._tell(backend, _("Privacy: customer data erased"), note)
        return partners

    @api.model
    def _purge_backend_bodies(self, backend, request):
        """Drop every stored body of ``backend`` (Shopify's shop/redact after an uninstall)."""
        purged = self._purge_bodies(backend, None)
        self._tell(backend, _("Privacy: stored data of the shop purged"), Markup("<p>%s</p>") % _(
            "%(request)s: %(purged)s stored message(s) of this backend were purged. Orders, invoices and partners "
            "stay: they are the company's records.", request=request, purged=purged))
        return purged

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def _with_contacts(self, partners):
        partners = partners.sudo().with_context(active_test=False).exists()
        return partners | partners.child_ids

    def _orders_of(self, partners):
        if "sale.order" not in self.env or not partners:
            return []
        return self.env["sale.order"].sudo().search([("partner_id", "in", partners.ids)], order="date_order")

    def _invoiced(self, partners):
        if "account.move" not in self.env or not partners:
            return partners.browse()
        moves = self.env["account.move"].sudo().search([
            ("partner_id", "child_of", partners.commercial_partner_id.ids), ("state", "=", "posted"),
            ("move_type", "in", ("out_invoice", "out_refund")),
        ])
        invoiced = moves.partner_id | moves.commercial_partner_id
        return partners.filtered(lambda partner: partner in invoiced or partner.commercial_partner_id in invoiced)

    def _anonymise(self, partner, keep_identity):
        fields_ = CONTACT_FIELDS if keep_identity else CONTACT_FIELDS + IDENTITY_FIELDS
        values = {fname: False for fname in fields_ if fname in partner._fields}
        if not keep_identity:
            values["name"] = _("Redacted customer %s", partner.id)
            # Odoo refuses to archive the contact of an active user (a portal login): left active.
            if not partner.with_context(active_test=False).user_ids:
                values["active"] = False
        # The suite's own write: no export back, no ownership conflict for a legal erasure.
        partner.with_context(sync_base_incoming="privacy", sync_hubspot_no_export=True,
                             tracking_disable=True).write(values)

    def _purge_bodies(self, backend, markers):
        """Blank the stored bodies of ``backend`` that hold one of ``markers`` (all of them when None):
        exchange bodies, jobs' payloads, conflicts' values, and what the connector stores
        (``_purge_stored_payloads``). Returns how many were purged."""
        self.env.flush_all()
        count = self._blank_rows("sync_exchange", ("request_body", "response_body"), backend, markers,
                                 replacement=REDACTED_TEXT)
        count += self._blank_rows("sync_job", ("payload",), backend, markers)
        count += self._blank_rows("sync_conflict", ("odoo_value", "incoming_value"), backend, markers)
        count += self._blank_rows("sync_conflict", ("odoo_value_display", "incoming_value_display"), backend,
                                  markers, replacement=REDACTED_TEXT)
        count += backend._purge_stored_payloads(markers)
        self.env.invalidate_all()
        return count

    @api.model
    def _blank_rows(self, table, columns, backend, markers, replacement=None):
        """Set ``columns`` to ``replacement`` (NULL by default) on ``backend``'s rows of ``table`` where one of
        them holds one of ``markers`` (every row with a value when None); returns how many rows."""
        self.env.cr.execute(
            SQL("UPDATE %s SET %s WHERE backend_id = %s AND COALESCE(%s) IS NOT NULL AND %s",
                SQL.identifier(table),
                SQL(", ").join(SQL("%s = %s", SQL.identifier(column), replacement) for column in columns),
                backend.id, SQL(", ").join(SQL.identifier(column) for column in columns),
                self._marker_condition(columns, markers)))
        return self.env.cr.rowcount

    @staticmethod
    def _marker_condition(columns, markers):
        """SQL condition for rows whose ``columns`` hold one of ``markers`` (any row when None)."""
        if markers is None:
            return SQL("TRUE")
        patterns = ["%" + marker.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                    for marker in markers]
        return SQL("(%s)", SQL(" OR ").join(SQL("%s ILIKE ANY(%s)", SQL.identifier(column), patterns)
                                            for column in columns))

    def _tell(self, backend, summary, note):
        backend.sudo().activity_schedule(
            "mail.mail_activity_data_todo", summary=summary, note=note,
            user_id=(backend.user_id or self.env.ref("base.user_admin", raise_if_not_found=False)
                     or self.env.user).id,
        )
