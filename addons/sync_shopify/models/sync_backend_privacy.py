import json

from odoo import _, models
from odoo.addons.sync_base.exceptions import SyncValidationError

CUSTOMER_GID = "gid://shopify/Customer/%s"
ORDER_GID = "gid://shopify/Order/%s"


class SyncBackend(models.Model):
    """Shopify's mandatory compliance webhooks, answered through the shared privacy service.

    Payloads as shopify.dev documents them (docs/apps/build/compliance/privacy-law-compliance):
    customers/data_request carries ``customer`` {id, email, phone}, ``orders_requested`` and
    ``data_request`` {id}; customers/redact ``customer`` and ``orders_to_redact``; shop/redact, sent
    48 hours after an uninstall, only the shop. Ids are numeric (the REST ids of the GraphQL gids).
    """

    _inherit = "sync.backend"

    def _shopify_run_privacy_request(self, job):
        event = self.env["sync.shopify.webhook"].sudo().browse(job._payload().get("event")).exists()
        if not event or not event.payload:
            raise SyncValidationError(_(
                "The privacy request's webhook event is gone or was already purged: nothing can be done again. "
                "Look for its outcome in the backend's activities."))
        request = json.loads(event.payload)
        Privacy = self.env["sync.privacy"]
        if event.topic == "shop/redact":
            Privacy._purge_backend_bodies(self, _("Shopify's shop/redact for %s",
                                                  self.shopify_shop_domain or self.name))
            return _("Stored bodies of the shop purged.")
        customer = request.get("customer") or {}
        orders = request.get("orders_requested") or request.get("orders_to_redact") or []
        partners = self._shopify_privacy_partners(customer, orders)
        if event.topic == "customers/data_request":
            reference = (request.get("data_request") or {}).get("id")
            Privacy._report_data_request(self, partners, _("Shopify data request %s", reference or event.event_id))
            return _("Data of %s partner(s) given to the responsible to send.", len(partners))
        markers = [customer.get("email"), customer.get("phone"), *self._shopify_privacy_ids(customer, orders)]
        Privacy._redact_customer(self, partners, markers, _("Shopify's customers/redact"))
        return _("%s partner(s) anonymised.", len(partners))

    @staticmethod
    def _shopify_privacy_ids(customer, orders):
        """How the customer and their orders appear in stored bodies: REST ids and GraphQL gids."""
        ids = []
        if customer.get("id"):
            ids += [CUSTOMER_GID % customer["id"]]
        return ids + [ORDER_GID % order for order in orders]

    def _shopify_privacy_partners(self, customer, orders):
        """The customer's partners: bound to their Shopify id, the buyers of the named orders, else by email."""
        Binding = self.env["sync.binding"].sudo()
        Partner = self.env["res.partner"].sudo().with_context(active_test=False)
        partners = Partner.browse()
        if customer.get("id"):
            binding = Binding._find(self, "customer", external_id=CUSTOMER_GID % customer["id"])
            partners |= Partner.browse(binding.res_id if binding else [])
        for order in orders:
            binding = Binding._find(self, "order", external_id=ORDER_GID % order)
            sale = self.env["sale.order"].sudo().browse(binding.res_id if binding else []).exists()
            partners |= sale.partner_id.commercial_partner_id
        if not partners and customer.get("email"):
            partners = Partner.search([("email", "=ilike", customer["email"]), ("parent_id", "=", False),
                                       ("company_id", "in", (self.company_id.id, False))])
        return partners.exists()

    def _purge_stored_payloads(self, markers):
        if self.code != "shopify":
            return super()._purge_stored_payloads(markers)
        return self.env["sync.shopify.webhook"].sudo()._purge_payloads(self, markers)
