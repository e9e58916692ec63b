import base64
import hashlib
import hmac
import json
from datetime import timedelta

import psycopg2
import xmltodict
from odoo import Command, _, api, fields, models
from odoo.addons.sync_base.exceptions import SyncAuthError, SyncError, SyncMappingError, SyncValidationError
from odoo.tools import float_compare, float_round, ormcache

from . import shopify_documents as docs
from . import shopify_payload as payload
from .sync_backend_catalogue import shopify_datetime

# Orders that count as paid for the auto-workflow (refunds come after a payment).
PAID_STATUSES = ("PAID", "PARTIALLY_REFUNDED", "REFUNDED")
WEBHOOK_ROUTE = "/sync_shopify/webhook/%s"
WEBHOOK_TOPICS = ("orders/create", "orders/updated", "orders/cancelled", "app/uninstalled")


# What a webhook delivery is checked against, cached per worker (see _shopify_webhook_identity).
WEBHOOK_IDENTITY_FIELDS = {"code", "webhook_secret", "shopify_auth_method", "shopify_client_secret",
                           "shopify_shop_domain"}

class ShopifyConcurrentImport(SyncError):
    """Another worker holds or just bound the same order (or new customer): the retry finds its binding."""

    failure_type = "remote"
    retryable = True


def valid_hmac(secret, body, signature):
    """Shopify's X-Shopify-Hmac-Sha256 check, in constant time."""
    if not secret or not signature:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, signature.encode())


def _amount(money_bag):
    return float(money_bag["shopMoney"]["amount"]) if money_bag else 0.0


def _allocated(record):
    """Every discount allocated to a line item or shipping line: line-level, order-level and codes alike."""
    return sum(_amount(allocation["allocatedAmountSet"]) for allocation in record.get("discountAllocations") or [])


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    shopify_tax_map_ids = fields.One2many("sync.shopify.tax", "backend_id", string="Tax mapping")
    shopify_tax_tolerance = fields.Float(
        "Total tolerance",
        default=0.05,
        help="Largest difference accepted between the totals Shopify computed and Odoo's, per order. Beyond it the "
        "order fails with both figures instead of silently changing the totals.",
    )
    shopify_shipping_product_id = fields.Many2one(
        "product.product",
        string="Shipping product",
        default=lambda self: self.env.ref("sync_shopify.product_shopify_shipping", raise_if_not_found=False),
        help="Product of the delivery line that carries Shopify's shipping charge.",
    )
    shopify_custom_item_product_id = fields.Many2one(
        "product.product",
        string="Custom item product",
        default=lambda self: self.env.ref("sync_shopify.product_shopify_custom_item", raise_if_not_found=False),
        help="Product of order lines that have no variant and no SKU in Shopify (custom items added by staff, tips). "
        "The line keeps Shopify's title and price.",
    )
    shopify_gift_card_product_id = fields.Many2one(
        "product.product",
        string="Gift card product",
        default=lambda self: self.env.ref("sync_shopify.product_shopify_gift_card", raise_if_not_found=False),
        help="Product of the gift cards customers buy. A gift card sold is a debt to its holder, not revenue: give "
        "this product the liability account your accountant uses for gift cards.",
    )
    shopify_auto_confirm = fields.Boolean("Confirm paid orders", default=True)
    shopify_auto_invoice = fields.Boolean("Invoice confirmed orders")
    shopify_auto_payment = fields.Boolean("Register the payment", help="Needs a payment journal.")
    shopify_payment_journal_id = fields.Many2one(
        "account.journal", string="Payment journal", domain=[("type", "in", ("bank", "cash"))]
    )
    shopify_orders_synced_at = fields.Datetime(
        "Orders reconciled until", help="Start of the last successful reconcile run."
    )
    shopify_reconcile_overlap = fields.Integer(
        "Reconcile overlap (min)",
        default=15,
        help="Each reconcile run looks back this much before the previous run, so that an order updated while the "
        "previous run was listing is not missed.",
    )
    shopify_backfill_since = fields.Datetime("Import orders since")
    shopify_webhook_url = fields.Char("Webhook address", compute="_compute_shopify_webhook_url")
    shopify_webhook_event_ids = fields.One2many("sync.shopify.webhook", "backend_id", string="Webhook events")

    def _compute_shopify_webhook_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for backend in self:
            backend.shopify_webhook_url = base + WEBHOOK_ROUTE % backend.id if backend.id else False

    # ------------------------------------------------------------------
    # Order import: one handler for webhooks, reconcile and manual re-import
    # ------------------------------------------------------------------
    def _shopify_lock(self, *key):
        """Claim an order (or a new customer) for this transaction, or retry the job later.

        The lock lives until the worker's whole batch commits. Waiting for it would let
        two workers that meet the same two new customers in opposite orders deadlock, so
        a taken lock sends the job back to the queue instead (re-entrant within a batch).
        """
        name = ":".join(map(str, (self.id, *key)))
        self.env.cr.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [name])
        if not self.env.cr.fetchone()[0]:
            raise ShopifyConcurrentImport(
                _("Another worker is importing %(what)s %(key)s right now; this job will run again shortly.",
                  what=key[0], key=key[-1])
            )

    def _shopify_enqueue_order(self, order_gid, eta=None):
        self.ensure_one()
        return self._enqueue("order_import", external_id=order_gid, direction="import", category="order", eta=eta)

    def _shopify_run_order_import(self, job):
        self._require_scopes("orders")
        order_gid = job.external_id
        self._shopify_lock("order", order_gid)
        data = self._shopify_read_order(order_gid)
        payload.check_order(self.env, data)
        binding = self.env["sync.binding"].sudo()._find(self, "order", external_id=order_gid)
        if binding:
            return self._shopify_update_order(binding, data)
        order = self._shopify_create_order(data)
        updated_at = {"external_updated_at": shopify_datetime(data["updatedAt"])}
        try:
            # No savepoint of its own: the job's savepoint rolls the order back with the
            # binding. A nested one would also flush the new order's pending mail tracking
            # and log its confirmation as a change, which a plain create + confirm does not.
            # The sale order is new, so it has no binding yet (existing={}).
            self.env["sync.binding"].sudo()._bind_many(
                self, "order", [(order, order_gid, None, updated_at)], existing={}
            )
        except psycopg2.errors.UniqueViolation as error:
            raise ShopifyConcurrentImport(
                _("Order %(name)s was imported by another worker at the same time; checking again.",
                  name=data["name"])
            ) from error
        self._shopify_apply_order_status(order, data)
        return _("Imported %(name)s as %(order)s.", name=data["name"], order=order.name)

    def _shopify_read_order(self, order_gid):
        """The order with all its line items: the first 50 come with it, the rest page by page."""
        client = self._shopify_client()
        data = client.execute(docs.ORDER, {"id": order_gid}, operation="order_import")["order"]
        if not data:
            raise SyncValidationError(
                _("Shopify has no order %(gid)s (deleted, or another shop). Cancel this job.", gid=order_gid)
            )
        line_items = data.get("lineItems")
        while isinstance(line_items, dict) and (line_items.get("pageInfo") or {}).get("hasNextPage"):
            variables = {"id": order_gid, "after": line_items["pageInfo"]["endCursor"]}
            page = client.execute(docs.ORDER_LINE_ITEMS, variables, operation="order_import")["order"]["lineItems"]
            line_items["nodes"] += page["nodes"]
            line_items["pageInfo"] = page["pageInfo"]
        return data

    def _shopify_update_order(self, binding, data):
        updated_at = shopify_datetime(data["updatedAt"])
        # Equal times are applied again (Shopify times have a one-second grain and
        # applying a state twice is harmless); only strictly older ones are stale.
        if binding.external_updated_at and updated_at < binding.external_updated_at:
            return _("%(name)s: a newer version is already applied.", name=data["name"])
        order = self.env["sale.order"].browse(binding.res_id).exists()
        if not order:
            raise SyncValidationError(
                _("Order %(name)s was imported, then its sale order was deleted. Delete the external link of "
                  "%(gid)s (Sync > External Links) to import it again, then Retry.",
                  name=data["name"], gid=binding.external_id)
            )
        self._shopify_apply_order_status(order, data)
        binding.write({"external_updated_at": updated_at, "last_sync_date": fields.Datetime.now()})
        return _("Updated %(order)s from %(name)s.", order=order.name, name=data["name"])

    def _shopify_create_order(self, data):
        partner, invoice_address, delivery_address = self._shopify_order_partners(data)
        currency = self._shopify_currency(data)
        line_values = self._shopify_product_lines(data)
        line_values += self._shopify_shipping_lines(data)
        values = {
            "partner_id": partner.id,
            "partner_invoice_id": invoice_address.id,
            "partner_shipping_id": delivery_address.id,
            "company_id": self.company_id.id,
            "client_order_ref": data["name"],
            "origin": data["name"],
            "date_order": shopify_datetime(data["createdAt"]),
            "note": data.get("note") or False,
            "tag_ids": [Command.set(self._shopify_tags(data.get("tags") or []).ids)],
            "pricelist_id": self._shopify_pricelist(currency, data).id,
            "shopify_backend_id": self.id,
            "shopify_financial_status": data["displayFinancialStatus"],
            "shopify_discount_codes": self._shopify_discount_names(data) or False,
            "order_line": [Command.create(values) for values in line_values],
        }
        order = self.env["sale.order"].with_company(self.company_id).with_context(
            sync_shopify_importing=True, mail_create_nolog=True
        ).create(values)
        self._shopify_check_totals(order, data)
        return order

    @staticmethod
    def _shopify_discount_names(data):
        """The codes and the titles of automatic, manual and script discounts the order got, once each."""
        names = list(data.get("discountCodes") or [])
        for application in (data.get("discountApplications") or {}).get("nodes") or []:
            name = application.get("code") or application.get("title")
            if name and name not in names:
                names.append(name)
        return ", ".join(names)

    # ------------------------------------------------------------------
    # Customer and addresses
    # ------------------------------------------------------------------
    def _shopify_order_partners(self, data):
        billing = data.get("billingAddress") or {}
        shipping = data.get("shippingAddress") or billing
        partner = self._shopify_customer(data.get("customer") or {}, data.get("email"), billing)
        return partner, self._shopify_address(partner, billing, "invoice"), self._shopify_address(
            partner, shipping, "delivery"
        )

    def _shopify_customer(self, customer, order_email, billing):
        """The customer's partner: by Shopify customer id, then by email (one per company), else created."""
        Binding = self.env["sync.binding"].sudo()
        Partner = self.env["res.partner"].with_context(sync_shopify_importing=True)
        # Customer.email and .phone are deprecated in 2026-04: their default address and number replace them.
        email = ((customer.get("defaultEmailAddress") or {}).get("emailAddress") or order_email or "").strip().lower()
        name = " ".join(p for p in (customer.get("firstName"), customer.get("lastName")) if p)
        name = name or billing.get("name") or email or _("Shopify customer")
        phone = (customer.get("defaultPhoneNumber") or {}).get("phoneNumber") or billing.get("phone") or False
        values = {"name": name, "email": email or False, "phone": phone}
        binding = customer.get("id") and Binding._find(self, "customer", external_id=customer["id"])
        if binding and Partner.browse(binding.res_id).exists():
            partner = Partner.browse(binding.res_id)
            # Identity fields go through the ownership map: a CRM that owns them keeps them.
            # A returning customer usually sends what Odoo has: nothing to write then, and
            # no write means no row lock on the partner held until the batch commits.
            if any(partner[fname] != value for fname, value in values.items()):
                self.env["sync.field.rule"]._apply_incoming(self, partner, values)
            return partner
        self._shopify_lock("customer", email or customer.get("id") or name)
        partner = Partner.browse()
        if email:
            partner = Partner.search(
                [("email", "=ilike", email), ("parent_id", "=", False),
                 ("company_id", "in", (self.company_id.id, False))],
                order="id", limit=1,
            )
        if not partner:
            partner = Partner.create(dict(values, company_id=self.company_id.id, customer_rank=1))
        if customer.get("id") and not Binding._find(self, "customer", record=partner):
            try:
                Binding._bind(self, "customer", partner, customer["id"])
            except psycopg2.errors.UniqueViolation as error:
                # Another worker committed this customer after our snapshot was taken: the
                # job's savepoint drops the partner made here, and the retry finds theirs.
                raise ShopifyConcurrentImport(
                    _("Customer %(email)s was created by another worker at the same time; checking again.",
                      email=email or customer["id"])
                ) from error
        return partner

    def _shopify_address(self, partner, address, kind):
        if not address or not address.get("address1"):
            return partner
        country = self._shopify_search_once(self.env["res.country"], [("code", "=", address.get("countryCodeV2"))])
        place = {
            "street": address.get("address1"),
            "street2": address.get("address2") or False,
            "city": address.get("city") or False,
            "zip": address.get("zip") or False,
            "country_id": country.id,
        }
        if not partner.street:
            # A new customer's first address is their own, not a child contact.
            partner.write(place)
            return partner
        if all((partner[key].id if key == "country_id" else partner[key] or False) == value
               for key, value in place.items()):
            return partner
        # Searched, not read through child_ids: a customer may have hundreds of past addresses.
        existing = self.env["res.partner"].search(
            [("parent_id", "=", partner.id), ("type", "=", kind)] + [(key, "=", value) for key, value in place.items()],
            order="id", limit=1,
        )
        if existing:
            return existing
        return self.env["res.partner"].create(dict(
            place, name=address.get("name") or partner.name, parent_id=partner.id, type=kind,
            phone=address.get("phone"),
        ))

    # ------------------------------------------------------------------
    # Currency, products, shipping, taxes
    # ------------------------------------------------------------------
    def _shopify_search_once(self, model, domain, limit=1):
        """``model.search(domain)``, remembered until the transaction ends: a queue batch imports many orders.

        Only for records the import reads and never writes (countries, currencies,
        pricelists), and only when found: at REPEATABLE READ the transaction would read
        the same rows again, so a found record cannot go stale before the commit or
        rollback that forgets it.
        """
        cr = self.env.cr
        cursor_cache = cr.cache
        cache = cursor_cache.get("sync_shopify_search_once")
        if cache is None:
            cache = cursor_cache["sync_shopify_search_once"] = {}

            def forget():
                # Holds the cursor's cache dict, not the cursor: this may run while the
                # cursor closes, when its attributes can no longer be read.
                cursor_cache.pop("sync_shopify_search_once", None)

            cr.postcommit.add(forget)
            cr.postrollback.add(forget)
        key = (model._name, repr(domain), limit, model.env.uid, model.env.su,
               model.env.context.get("active_test", True))
        if key in cache:
            return model.browse(cache[key])
        records = model.search(domain, limit=limit)
        if records:
            cache[key] = records.ids
        return records

    def _shopify_currency(self, data):
        code = data["currencyCode"]
        currency = self._shopify_search_once(self.env["res.currency"].with_context(active_test=False),
                                             [("name", "=", code)])
        if not currency.active:
            raise SyncMappingError(
                _("Order %(name)s is in %(code)s, which is not active in Odoo: activate the currency (Accounting > "
                  "Configuration > Currencies), then Retry.", name=data["name"], code=code)
            )
        return currency

    def _shopify_pricelist(self, currency, data):
        if currency == self.company_id.currency_id:
            # The pricelist only sets the currency here: prices are Shopify's.
            return self.env["product.pricelist"]
        pricelist = self._shopify_search_once(
            self.env["product.pricelist"],
            [("currency_id", "=", currency.id), ("company_id", "in", (self.company_id.id, False))],
        )
        if not pricelist:
            raise SyncMappingError(
                _("Order %(name)s is in %(code)s and no pricelist uses that currency: create one, then Retry.",
                  name=data["name"], code=currency.name)
            )
        return pricelist

    def _shopify_product_lines(self, data):
        items = data["lineItems"]["nodes"]
        products = self._shopify_products(data, items)
        lines = []
        for item in items:
            quantity = item["quantity"]
            unit_price = _amount(item["originalUnitPriceSet"])
            # On the line, as Odoo users read discounts (and as a credit note for refunded units
            # copies them): the line's share of every discount, order-level codes included.
            discount = self._shopify_discount_percent(unit_price * quantity, _allocated(item))
            lines.append({
                "product_id": products[item["id"]].id,
                "name": item["name"],
                "product_uom_qty": quantity,
                "price_unit": unit_price,
                "discount": discount,
                "tax_id": [Command.set(self._shopify_taxes(item.get("taxLines"), data).ids)],
                "shopify_line_item_gid": item["id"],
            })
        return lines

    def _shopify_products(self, data, items):
        """{line item gid: product}, by variant binding then SKU; every unknown SKU in one failure.

        Two queries per order whatever its number of lines: the variants' bindings, then
        the SKUs of the lines the bindings did not resolve.
        """
        Product = self.env["product.product"].with_company(self.company_id)
        variant_gids = {item["variant"]["id"] for item in items if (item.get("variant") or {}).get("id")}
        bound = {}
        if variant_gids:
            bindings = self.env["sync.binding"].sudo().search([
                ("backend_id", "=", self.id), ("external_type", "=", "variant"),
                ("external_id", "in", sorted(variant_gids)),
            ], order="id")
            existing = Product.browse(bindings.mapped("res_id")).exists()
            bound = {binding.external_id: Product.browse(binding.res_id) for binding in bindings
                     if binding.res_id in existing.ids}
        found, missing, by_sku = {}, [], {}
        for item in items:
            product = bound.get((item.get("variant") or {}).get("id")) or self._shopify_unlinked_product(item, data)
            if product:
                found[item["id"]] = product
        skus = {item["sku"] for item in items if item["id"] not in found and item.get("sku")}
        if skus:
            for product in Product.search(
                [("default_code", "in", sorted(skus)), ("company_id", "in", (self.company_id.id, False))]
            ):
                by_sku[product.default_code] = by_sku.get(product.default_code, Product) | product
        for item in items:
            if item["id"] in found:
                continue
            product = by_sku.get(item.get("sku")) or Product
            if len(product) > 1:
                raise SyncMappingError(
                    _("SKU %(sku)s on order %(name)s matches several products (%(products)s): give each a unique "
                      "internal reference, then Retry.", sku=item["sku"], name=data["name"],
                      products=", ".join(product[:2].mapped("display_name")))
                )
            if product:
                found[item["id"]] = product
            else:
                missing.append(item.get("sku") or item["name"])
        if missing:
            raise SyncMappingError(
                _("SKU %(skus)s on order %(name)s is not mapped: link or create the product, then Retry.",
                  skus=", ".join(missing), name=data["name"])
            )
        return found

    def _shopify_discount_percent(self, gross, discount):
        """The line's discount as Odoo stores it (a percentage at the Discount decimal accuracy), chosen
        so that the line comes to what the buyer paid to the cent whenever that accuracy allows it.

        A fixed amount spread over lines rarely makes a round percentage: the nearest one can be a
        cent off on a line, and those cents add up on the order. A neighbour of the nearest
        percentage often gives Shopify's exact amount (always for lines up to 100 at 2 digits).
        """
        if not gross or not discount:
            return 0.0
        digits = self.env["decimal.precision"].precision_get("Discount")
        paid = float_round(gross - discount, precision_digits=2)
        nearest = float_round(discount / gross * 100, precision_digits=digits)
        step = 10 ** -digits
        for candidate in (nearest, nearest - step, nearest + step, nearest - 2 * step, nearest + 2 * step):
            if float_compare(gross * (1 - candidate / 100), paid, precision_digits=2) == 0:
                return float_round(candidate, precision_digits=digits)
        return nearest

    def _shopify_unlinked_product(self, item, data):
        """The backend's product for a line that no catalogue product stands for: a gift card sold (a
        liability, not revenue), or a custom item (no variant, no SKU: added by staff, a tip). A line of
        a deleted product that still has its SKU is matched by SKU like any other."""
        if item.get("isGiftCard"):
            product, what = self.shopify_gift_card_product_id, _("Gift card product")
        elif not (item.get("variant") or {}).get("id") and not item.get("sku"):
            product, what = self.shopify_custom_item_product_id, _("Custom item product")
        else:
            return None
        if not product:
            raise SyncMappingError(
                _("Line %(line)s of order %(name)s has no product in the catalogue and the backend %(backend)s has "
                  "no %(what)s: set one on its Shopify tab, then Retry.", line=item.get("name"), name=data["name"],
                  backend=self.name, what=what)
            )
        return product

    def _shopify_shipping_lines(self, data):
        shipping_lines = (data.get("shippingLines") or {}).get("nodes") or []
        if not shipping_lines:
            return []
        product = self.shopify_shipping_product_id
        if not product:
            raise SyncMappingError(
                _("Order %(name)s has shipping and the backend %(backend)s has no shipping product: set one on its "
                  "Shopify tab, then Retry.", name=data["name"], backend=self.name)
            )
        lines = []
        for shipping in shipping_lines:
            price = _amount(shipping.get("originalPriceSet"))
            lines.append({
                "product_id": product.id,
                "name": shipping.get("title") or product.name,
                "product_uom_qty": 1,
                "price_unit": price,
                "discount": self._shopify_discount_percent(price, _allocated(shipping)),
                # Each shipping line has its own taxes: untaxed shipping, or another rate than the goods.
                "tax_id": [Command.set(self._shopify_taxes(shipping.get("taxLines"), data).ids)],
                "is_delivery": True,
            })
        return lines

    def _shopify_taxes(self, tax_lines, data):
        taxes = self.env["account.tax"]
        for tax_line in tax_lines or []:
            if tax_line.get("rate"):
                taxes |= self._shopify_tax(tax_line, data)
        return taxes

    def _shopify_tax(self, tax_line, data):
        percent = float_round(tax_line["rate"] * 100, precision_digits=4)
        title = tax_line.get("title") or ""
        mapped = self.shopify_tax_map_ids.filtered(
            lambda row: float_compare(row.rate, percent, precision_digits=4) == 0
            and (not row.name or row.name == title)
        ).sorted(lambda row: not row.name)[:1]
        if mapped:
            return mapped.tax_id
        tax = self.env["account.tax"].search([
            ("company_id", "=", self.company_id.id), ("type_tax_use", "=", "sale"), ("amount_type", "=", "percent"),
            ("amount", "=", percent), ("price_include", "=", bool(data.get("taxesIncluded"))),
        ], limit=1)
        if not tax:
            raise SyncMappingError(
                _("Tax %(title)s %(rate)s%% on order %(name)s has no Odoo tax: map it on the backend's Shopify tab "
                  "(Tax mapping), or create a %(rate)s%% sales tax, then Retry.", title=title, rate=percent,
                  name=data["name"])
            )
        return tax

    def _shopify_tags(self, names):
        Tag = self.env["crm.tag"]
        names = sorted({name.strip() for name in names} - {""})
        tags = Tag.search([("name", "in", names)]) if names else Tag
        missing = [name for name in names if name not in tags.mapped("name")]
        return tags | Tag.create([{"name": name} for name in missing])

    def _shopify_check_totals(self, order, data):
        """Refuse an order whose totals Odoo would compute differently: money must never change silently.

        The failure says which figure differs: the lines (a discount or a price Odoo cannot
        represent), or the taxes (a mapping to another rate, or to a tax included in price or not).
        """
        shop_tax, shop_total = _amount(data["totalTaxSet"]), _amount(data["totalPriceSet"])
        untaxed_ok = self._shopify_close(order, order.amount_untaxed, shop_total - shop_tax)
        if (untaxed_ok and self._shopify_close(order, order.amount_tax, shop_tax)
                and self._shopify_close(order, order.amount_total, shop_total)):
            shop_figures = (shop_total - shop_tax, shop_tax, shop_total)
            odoo_figures = (order.amount_untaxed, order.amount_tax, order.amount_total)
            if any(order.currency_id.compare_amounts(odoo, shop) for odoo, shop in zip(odoo_figures, shop_figures,
                                                                                        strict=True)):
                # Within the tolerance, but never silent: say it on the order, and how to avoid it.
                order.message_post(body=_(
                    "Shopify: %(shop_untaxed).2f %(currency)s before tax, %(shop_tax).2f tax, %(shop_total).2f in "
                    "all; Odoo: %(odoo_untaxed).2f, %(odoo_tax).2f, %(odoo_total).2f. A discount that Odoo rounds at "
                    "the Discount decimal accuracy: raise it to 4 digits (Settings > Technical > Decimal Accuracy) "
                    "for totals exact to the cent.", currency=order.currency_id.name,
                    shop_untaxed=shop_figures[0], shop_tax=shop_tax, shop_total=shop_total,
                    odoo_untaxed=odoo_figures[0], odoo_tax=odoo_figures[1], odoo_total=odoo_figures[2]))
            return
        figures = {
            "name": data["name"], "currency": order.currency_id.name, "tolerance": self.shopify_tax_tolerance,
            "shop_untaxed": shop_total - shop_tax, "odoo_untaxed": order.amount_untaxed,
            "shop_tax": shop_tax, "odoo_tax": order.amount_tax, "shop_total": shop_total,
            "odoo_total": order.amount_total,
        }
        if not untaxed_ok:
            raise SyncValidationError(
                _("Order %(name)s: its lines come to %(shop_untaxed).2f %(currency)s before tax in Shopify and "
                  "%(odoo_untaxed).2f in Odoo (%(lines)s), beyond the tolerance of %(tolerance).2f, so it was not "
                  "imported. A discount Odoo rounds differently is the usual cause: raise the Discount decimal "
                  "accuracy (Settings > Technical > Decimal Accuracy) to 4 digits, then Retry.",
                  lines=self._shopify_line_differences(order, data) or _("shipping"), **figures)
            )
        raise SyncValidationError(
            _("Order %(name)s: Shopify computed taxes of %(shop_tax).2f %(currency)s (total %(shop_total).2f), Odoo "
              "computes %(odoo_tax).2f (total %(odoo_total).2f) with %(taxes)s. The difference is above the "
              "tolerance of %(tolerance).2f, so the order was not imported. Check the tax mapping on the backend's "
              "Shopify tab (rate, included in price), then Retry.",
              taxes=", ".join(order.order_line.tax_id.mapped("name")) or _("no tax"), **figures)
        )

    def _shopify_close(self, order, odoo_amount, shop_amount):
        return float_compare(abs(odoo_amount - shop_amount), self.shopify_tax_tolerance,
                             precision_rounding=order.currency_id.rounding) <= 0

    @staticmethod
    def _shopify_line_differences(order, data):
        """"<line>: Odoo x, Shopify y" for each product line whose amount after discounts differs."""
        items = {item["id"]: item for item in data["lineItems"]["nodes"]}
        included = data.get("taxesIncluded")
        differences = []
        for line in order.order_line.filtered("shopify_line_item_gid"):
            item = items.get(line.shopify_line_item_gid)
            shop_amount = _amount(item["originalUnitPriceSet"]) * item["quantity"] - _allocated(item)
            odoo_amount = line.price_total if included else line.price_subtotal
            if order.currency_id.compare_amounts(odoo_amount, shop_amount):
                differences.append("%s: Odoo %.2f, Shopify %.2f" % (line.name, odoo_amount, shop_amount))
        return "; ".join(differences)

    # ------------------------------------------------------------------
    # Status, cancellation, refunds and the auto-workflow
    # ------------------------------------------------------------------
    def _shopify_apply_order_status(self, order, data):
        order.shopify_financial_status = data["displayFinancialStatus"]
        if data.get("cancelledAt"):
            self._shopify_apply_cancel(order, data)
        else:
            self._shopify_run_workflow(order, data)
        for refund in data.get("refunds") or []:
            self._shopify_apply_refund(order, refund, data)

    def _shopify_run_workflow(self, order, data):
        if data["displayFinancialStatus"] not in PAID_STATUSES:
            return
        if order.state in ("draft", "sent") and self._shopify_high_risk(data):
            self._shopify_hold_for_risk(order)
            return
        if self.shopify_auto_confirm and order.state in ("draft", "sent"):
            order.with_context(sync_shopify_importing=True).action_confirm()
        if self.shopify_auto_invoice and order.state == "sale" and order.invoice_status == "to invoice":
            order._create_invoices().action_post()
        if self.shopify_auto_payment and self.shopify_payment_journal_id:
            unpaid = order.invoice_ids.filtered(
                lambda move: move.move_type == "out_invoice" and move.state == "posted"
                and move.payment_state == "not_paid"
            )
            if unpaid:
                self.env["account.payment.register"].with_context(
                    active_model="account.move", active_ids=unpaid.ids
                ).create({"journal_id": self.shopify_payment_journal_id.id})._create_payments()

    @staticmethod
    def _shopify_high_risk(data):
        """Whether Shopify's fraud analysis (Order.risk) says high risk or recommends cancelling."""
        risk = data.get("risk") or {}
        return risk.get("recommendation") == "CANCEL" or any(
            assessment.get("riskLevel") == "HIGH" for assessment in risk.get("assessments") or [])

    def _shopify_hold_for_risk(self, order):
        """Leave a high-risk order a quotation, with one activity asking a person to decide."""
        summary = _("Shopify marks this order high risk")
        if order.activity_ids.filtered(lambda activity: activity.summary == summary):
            return
        order.activity_schedule(
            "mail.mail_activity_data_todo", summary=summary,
            user_id=(self.user_id or order.user_id or self.env.user).id,
            note=_("Shopify's fraud analysis recommends not fulfilling %(order)s. Check it in Shopify (Order > Fraud "
                   "analysis): confirm it here if it is genuine, or cancel it in Shopify.", order=order.name),
        )

    def _shopify_apply_cancel(self, order, data):
        if order.state == "cancel":
            return
        shipped = order.picking_ids.filtered(lambda picking: picking.state == "done")
        owner = self.env["sync.field.rule"]._owner("sale.order", "state", self)
        if shipped and owner != "shopify":
            # Odoo owns the status once goods have left: a person decides (return, credit note).
            order.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=_("Cancelled in Shopify after delivery"),
                note=_("Shopify order %(name)s was cancelled (%(reason)s) but %(pickings)s is already done. Decide "
                       "on a return and a credit note.", name=data["name"], reason=data.get("cancelReason") or "",
                       pickings=", ".join(shipped.mapped("name"))),
                user_id=(self.user_id or self.env.user).id,
            )
            return
        order.with_context(disable_cancel_warning=True)._action_cancel()
        order.message_post(body=_("Cancelled in Shopify (%(reason)s).", reason=data.get("cancelReason") or "-"))

    def _shopify_apply_refund(self, order, refund, data):
        """One credit note per Shopify refund, on orders that have a posted invoice."""
        seen = set((order.shopify_refund_gids or "").split())
        if refund["id"] in seen:
            return
        invoice = order.invoice_ids.filtered(
            lambda move: move.move_type == "out_invoice" and move.state == "posted"
        )[:1]
        amount = _amount(refund["totalRefundedSet"])
        if invoice:
            self._shopify_credit_note(order, invoice, refund)
        else:
            order.message_post(body=_(
                "Shopify refunded %(amount).2f %(currency)s on %(name)s (%(note)s). The order has no posted invoice: "
                "no credit note was made.", amount=amount, currency=order.currency_id.name, name=data["name"],
                note=refund.get("note") or "-",
            ))
        order.shopify_refund_gids = " ".join(sorted(seen | {refund["id"]}))

    def _shopify_credit_note(self, order, invoice, refund):
        lines_by_gid = {line.shopify_line_item_gid: line for line in order.order_line if line.shopify_line_item_gid}
        values = []
        for item in refund["refundLineItems"]["nodes"]:
            line = lines_by_gid.get(item["lineItem"]["id"])
            if line and item["quantity"]:
                values.append(self._shopify_credit_line(line, item["quantity"]))
        credit = self.env["account.move"].create({
            "move_type": "out_refund",
            "partner_id": invoice.partner_id.id,
            "currency_id": invoice.currency_id.id,
            "reversed_entry_id": invoice.id,
            "invoice_origin": order.name,
            "ref": _("Shopify refund %(note)s", note=refund.get("note") or refund["id"]),
            "invoice_line_ids": [Command.create(vals) for vals in values],
        })
        # What the line refunds do not explain is shipping (Shopify refunds it with a cancellation).
        rest = _amount(refund["totalRefundedSet"]) - credit.amount_total
        shipping = order.order_line.filtered("is_delivery")[:1]
        rounding = credit.currency_id.rounding
        if shipping and float_compare(rest, self.shopify_tax_tolerance, precision_rounding=rounding) > 0:
            credit.write({"invoice_line_ids": [Command.create(self._shopify_credit_line(shipping, 1))]})
        credit.action_post()
        return credit

    @staticmethod
    def _shopify_credit_line(line, quantity):
        return {
            "product_id": line.product_id.id,
            "name": line.name,
            "quantity": quantity,
            "price_unit": line.price_unit,
            "discount": line.discount,
            "tax_ids": [Command.set(line.tax_id.ids)],
            "sale_line_ids": [Command.set(line.ids)],
        }

    # ------------------------------------------------------------------
    # Reconcile and backfill
    # ------------------------------------------------------------------
    @api.model
    def _cron_shopify_reconcile_orders(self):
        self._shopify_each_backend("queue the order reconcile", lambda backend: backend._enqueue(
            "order_reconcile", direction="import", category="order", dedup_key="shopify_order_reconcile",
        ), connected_only=True)

    def action_shopify_import_orders_since(self):
        self.ensure_one()
        since = self.shopify_backfill_since or fields.Datetime.now() - timedelta(days=1)
        self._enqueue("order_reconcile", direction="import", category="order",
                      payload={"since": fields.Datetime.to_string(since)}, dedup_key=False)
        return self._notify(_("Order import queued"), _("Orders updated since %(since)s will be imported.",
                                                      since=self._format_user_datetime(since)))

    def _shopify_run_order_reconcile(self, job):
        """Queue an import for every order updated since the last run (minus the overlap)."""
        self._require_scopes("orders")
        started = fields.Datetime.now()
        backfill = job._payload().get("since")
        if backfill:
            since = fields.Datetime.to_datetime(backfill)
            self._shopify_require_all_orders(since, started)
        elif self.shopify_orders_synced_at:
            since = self.shopify_orders_synced_at - timedelta(minutes=self.shopify_reconcile_overlap)
        else:
            since = started - timedelta(days=1)
        query = "updated_at:>='%s'" % since.strftime("%Y-%m-%dT%H:%M:%SZ")
        client, after, count = self._shopify_client(), None, 0
        while True:
            page = client.execute(
                docs.ORDERS_UPDATED, {"first": 100, "after": after, "query": query}, operation="order_reconcile"
            )["orders"]
            for node in page["nodes"]:
                self._shopify_enqueue_order(node["id"])
                count += 1
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        if not backfill:
            # The next run starts from when this one started: nothing updated while it listed is lost.
            self.shopify_orders_synced_at = started
        return _("%(count)s orders updated since %(since)s queued for import.", count=count, since=since)

    # ------------------------------------------------------------------
    # Webhook subscriptions and app uninstall
    # ------------------------------------------------------------------
    def _shopify_valid_hmac(self, body, signature):
        return valid_hmac(self._shopify_webhook_identity(self.id)[1], body, signature)

    def _queue_received_deliveries(self):
        if self.code != "shopify":
            return super()._queue_received_deliveries()
        return self.env["sync.shopify.webhook"].sudo()._queue_received(self) + self._shopify_queue_stock_changes()

    def _received_deliveries_count(self):
        if self.code != "shopify":
            return super()._received_deliveries_count()
        return self.env["sync.shopify.webhook"].sudo()._received_count(self) + self._shopify_stock_changes_waiting()

    def _received_deliveries_priority(self):
        # Stored webhooks become order imports; stock-change notes become a stock push.
        if self.code != "shopify":
            return super()._received_deliveries_priority()
        if self.env["sync.shopify.webhook"].sudo()._received_count(self):
            return self.priority_order
        return self.priority_stock if self._shopify_stock_changes_waiting() else None

    @api.model
    @ormcache("backend_id")
    def _shopify_webhook_identity(self, backend_id):
        """``(code, webhook secret, shop domain)`` of a backend, kept by each worker: every delivery needs them.

        Cleared by any change of a backend's code or secret (see ``write``), in every
        worker through the registry's cache signalling.
        """
        self.flush_model(list(WEBHOOK_IDENTITY_FIELDS))
        # An app with a client ID signs its webhooks with its client secret (shopify.dev, "About client
        # credentials"); an app made in the store admin with the API secret kept as the webhook secret.
        self.env.cr.execute("""
            SELECT code, CASE WHEN shopify_auth_method != 'static' THEN shopify_client_secret
                              ELSE webhook_secret END, shopify_shop_domain
              FROM sync_backend WHERE id = %s""", [backend_id])
        return tuple(self.env.cr.fetchone() or (None, None, None))

    @api.model
    def _shopify_backend_of_shop(self, shop_domain):
        """The id of the Shopify backend of ``shop_domain`` (a myshopify.com domain), or None."""
        self.flush_model(["code", "shopify_shop_domain"])
        self.env.cr.execute("""SELECT id FROM sync_backend WHERE code = 'shopify' AND lower(shopify_shop_domain) = %s
                                ORDER BY id LIMIT 1""", [shop_domain.lower()])
        row = self.env.cr.fetchone()
        return row[0] if row else None

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()  # a webhook may have been refused for this id before
        return super().create(vals_list)

    def write(self, vals):
        if WEBHOOK_IDENTITY_FIELDS & set(vals):
            self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()

    def action_shopify_subscribe_webhooks(self):
        self.ensure_one()
        created = self._shopify_ensure_webhooks()
        return self._notify(
            _("Webhooks"),
            _("%(count)s missing subscriptions created; Shopify now calls %(url)s.", count=len(created),
              url=self.shopify_webhook_url),
            "success",
        )

    def _shopify_ensure_webhooks(self):
        """Create the subscriptions that are missing (or point elsewhere); return their topics."""
        self.ensure_one()
        client = self._shopify_client()
        existing = client.execute(docs.WEBHOOK_SUBSCRIPTIONS, {"first": 100}, operation="webhook_list")
        url = self.shopify_webhook_url
        present = {node["topic"] for node in existing["webhookSubscriptions"]["nodes"] if node["uri"] == url}
        created = []
        for topic in WEBHOOK_TOPICS:
            enum = topic.upper().replace("/", "_")
            if enum in present:
                continue
            result = client.execute(
                docs.WEBHOOK_SUBSCRIPTION_CREATE, {"topic": enum, "sub": {"uri": url, "format": "JSON"}},
                operation="webhook_subscribe", write=True,
            )
            errors = result and result["webhookSubscriptionCreate"]["userErrors"]
            if errors:
                raise SyncValidationError(
                    _("Shopify refused the %(topic)s webhook for %(url)s: %(errors)s", topic=topic, url=url,
                      errors="; ".join(error["message"] for error in errors))
                )
            created.append(topic)
        return created

    @api.model
    def _cron_shopify_check_webhooks(self):
        self._shopify_each_backend("check the webhook subscriptions",
                                   lambda backend: backend._shopify_ensure_webhooks(), connected_only=True)
        self._shopify_each_backend("check the API version's support",
                                   lambda backend: backend._shopify_check_api_version())

    def _shopify_run_webhook_delivery(self, job):
        """Retry of a delivery whose body could not be read: receive it once the body is corrected."""
        from ..controllers.webhook import parse_body  # the controller owns the body formats

        try:
            delivery = json.loads(job.payload or "")
            body, body_text = parse_body(delivery["body"].encode(), delivery.get("Content-Type"))
        except (ValueError, KeyError, TypeError, xmltodict.expat.ExpatError) as error:
            raise SyncValidationError(
                _("The webhook body still cannot be read (%s): correct it in the payload, then Retry.", error)
            ) from error
        event = self.env["sync.shopify.webhook"].sudo()._receive(self, delivery, body, body_text)
        return _("Delivery received.") if event else _("Already received: nothing to do.")

    def _shopify_require_all_orders(self, since, now):
        """Shopify shows an app the last 60 days of orders unless it has read_all_orders
        (shopify.dev/docs/api/usage/access-scopes): a longer backfill would silently miss the older ones."""
        granted = set((self.granted_scopes or "").split(","))
        if since < now - timedelta(days=60) and self.granted_scopes and not self._has_scope(granted, "read_all_orders"):
            raise SyncAuthError(_(
                "Orders since %(since)s were asked for, but Shopify shows the app of backend %(name)s only the last "
                "60 days of orders without the scope read_all_orders. %(fix)s Then Retry the job, or import from a "
                "later date.", since=self._format_user_datetime(since), name=self.name, fix=self._scopes_fix_hint()))

    def _shopify_run_app_uninstalled(self, job):
        self.state = "disconnected"
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=_("Shopify app uninstalled"),
            note=_("The shop %(shop)s uninstalled the app: nothing is synced any more. Install the app on the shop "
                   "again (Dev Dashboard, or Connect to Shopify for an app installed by OAuth; for an app made in the "
                   "store admin, set its new access token), then Test connection.",
                   shop=self.shopify_shop_domain or self.name),
            user_id=(self.user_id or self.env.user).id,
        )
        return _("Backend marked disconnected.")
