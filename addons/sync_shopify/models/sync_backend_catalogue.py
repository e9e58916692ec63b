import json
import logging
import time

from odoo import _, models
from odoo.addons.sync_base.exceptions import SyncMappingError, SyncRemoteError, SyncValidationError
from odoo.addons.sync_base.payload import utc_datetime
from odoo.tools import float_round

from . import shopify_documents as docs
from . import shopify_payload as payload

_logger = logging.getLogger(__name__)

MAX_OPTIONS = 3
DEFAULT_OPTION = {"name": "Title", "values": [{"name": "Default Title"}]}
# How many of a product's variants are looked up by SKU/barcode before creating it.
LINK_LOOKUPS = 3
BULK_POLLS = 10
BULK_CHUNK = 500


def shopify_datetime(value):
    """Shopify's time as a naive UTC datetime to the second, False when empty: GraphQL
    answers in UTC, webhook bodies in the shop's offset, and both are the same instant."""
    return utc_datetime(value).replace(microsecond=0) if value else False


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    # ------------------------------------------------------------------
    # What to export
    # ------------------------------------------------------------------
    def _shopify_published_templates(self):
        self.ensure_one()
        bound_ids = self.env["sync.binding"].sudo().search(
            [("backend_id", "=", self.id), ("external_type", "=", "product"), ("res_model", "=", "product.template")]
        ).mapped("res_id")
        return self.env["product.template"].with_context(active_test=False).search(
            ["|", ("shopify_publish", "=", True), ("id", "in", bound_ids)]
        )

    def _shopify_queue_templates(self, templates, heavy=False):
        self.ensure_one()
        for template in templates:
            self._enqueue("product_export", record=template, category="catalogue", heavy=heavy)

    # ------------------------------------------------------------------
    # Export: product.template -> productSet
    # ------------------------------------------------------------------
    def _shopify_run_product_export(self, job):
        self._require_scopes("products")
        template = self.env["product.template"].with_context(active_test=False).browse(job.res_id).exists()
        if not template:
            return _("The product was deleted before it could be sent.")
        Binding = self.env["sync.binding"].sudo()
        binding = Binding._find(self, "product", record=template)
        if not binding and not template.active:
            return _("Archived and never sent to Shopify: nothing to do.")
        client = self._shopify_client()
        if not binding:
            binding = self._shopify_link_existing(client, template)
        product_input = self._shopify_product_input(template, binding)
        if binding and binding._is_unchanged(product_input):
            return _("Unchanged since the last export: nothing sent.")
        variables = {"input": product_input}
        if binding:
            variables["identifier"] = {"id": binding.external_id}
        data = client.execute(docs.PRODUCT_SET, variables, operation="product_export", write=True)
        if data is None:
            return _("Dry run: the product was recorded in the exchange log, nothing was sent.")
        result = data["productSet"]
        if result["userErrors"]:
            raise SyncValidationError(
                _("Shopify refused product %(product)s: %(errors)s. Correct it in Odoo, then retry.",
                  product=template.display_name, errors=self._shopify_user_errors(result["userErrors"]))
            )
        product = result["product"]
        Binding._bind(self, "product", template, product["id"])
        if template.active:
            self._shopify_bind_variants(template, product["variants"]["nodes"])
        # Hash what the next export would build (with the ids now known), so that
        # re-saving the product unchanged sends nothing.
        binding = Binding._find(self, "product", record=template)
        binding.sync_hash = Binding._hash_payload(self._shopify_product_input(template, binding))
        return _("Sent to Shopify as %(gid)s", gid=product["id"])

    @staticmethod
    def _shopify_user_errors(errors):
        return "; ".join(
            "%s%s" % (".".join(str(part) for part in (error.get("field") or [])) + ": " if error.get("field") else "",
                      error["message"])
            for error in errors
        )

    def _shopify_link_existing(self, client, template):
        """Bind ``template`` to the Shopify product that already has one of its SKUs or barcodes."""
        Binding = self.env["sync.binding"].sudo()
        for variant in template.product_variant_ids[:LINK_LOOKUPS]:
            for field, value in (("sku", variant.default_code), ("barcode", variant.barcode)):
                if not value:
                    continue
                query = '%s:"%s"' % (field, value.replace('"', ""))
                data = client.execute(docs.VARIANTS_BY_CODE, {"query": query}, operation="product_link")
                hits = [node for node in data["productVariants"]["nodes"] if node.get(field) == value]
                if not hits:
                    continue
                product_gid = hits[0]["product"]["id"]
                other = Binding._find(self, "product", external_id=product_gid)
                if other and other.res_id != template.id:
                    raise SyncMappingError(
                        _("%(field)s %(value)s of %(product)s belongs to Shopify product %(gid)s, which is already "
                          "linked to %(other)s. Fix the duplicate code in Odoo, then retry.",
                          field=field.upper(), value=value, product=template.display_name, gid=product_gid,
                          other=other.record_name)
                    )
                binding = Binding._bind(self, "product", template, product_gid)
                product = client.execute(docs.PRODUCT_VARIANTS, {"id": product_gid}, operation="product_link")
                self._shopify_link_variants(template, product["product"]["variants"]["nodes"])
                return binding
        return Binding

    def _shopify_link_variants(self, template, nodes):
        """Bind the Odoo variants whose SKU or barcode matches a Shopify variant."""
        Binding = self.env["sync.binding"].sudo()
        by_sku = {node["sku"]: node for node in nodes if node.get("sku")}
        by_barcode = {node["barcode"]: node for node in nodes if node.get("barcode")}
        for variant in template.product_variant_ids:
            node = by_sku.get(variant.default_code) or by_barcode.get(variant.barcode)
            if node and not Binding._find(self, "variant", external_id=node["id"]):
                Binding._bind(self, "variant", variant, node["id"])
                self._shopify_ensure_stock_rows(variant, node["inventoryItem"]["id"], known=False)

    def _shopify_sent_fields(self):
        """External fields Odoo sends to this backend, per the ownership map.

        The map names product fields on the template (sku, barcode, cost...) while
        Shopify keeps them per variant: a rule on product.product, if any, wins.
        """
        Rule = self.env["sync.field.rule"]
        rules = {**Rule._rules_for("product.template", self), **Rule._rules_for("product.product", self)}
        return {rule.external_field or fname: fname for fname, rule in rules.items() if rule._sends_to(self)}

    def _shopify_sent_odoo_fields(self):
        """Odoo field names whose change may change what this backend receives."""
        return set(self._shopify_sent_fields().values())

    def _shopify_product_input(self, template, binding):
        """The ProductSetInput for ``template``: only what the ownership map gives to Odoo."""
        sent = self._shopify_sent_fields()
        product_input = {}
        if not binding:
            # Shopify needs a title to create a product; once created, the title is
            # sent again only if the ownership map gives it to Odoo.
            product_input["title"] = template.name
        values = self.env["sync.field.rule"]._outgoing_values(self, template)
        for external in ("title", "descriptionHtml", "tags", "vendor", "productType"):
            if external in values:
                product_input[external] = values[external] or ("" if external != "tags" else [])
        # Archiving follows the Odoo product's lifecycle, whoever owns its content.
        product_input["status"] = "ACTIVE" if template.active else "ARCHIVED"
        if not template.active:
            return product_input  # archiving: the variants stay as they are in Shopify
        variants = template.product_variant_ids
        options = self._shopify_options(template, variants)
        product_input["productOptions"] = [
            {"name": name, "values": [{"name": value} for value in option_values]}
            for name, option_values in options.items()
        ]
        prices = self._shopify_prices(variants) if "price" in sent else {}
        product_input["variants"] = [self._shopify_variant_input(variant, prices, sent) for variant in variants]
        return product_input

    def _shopify_options(self, template, variants):
        """{option name: [value names]} from the attributes that make variants."""
        options = {}
        for variant in variants:
            for ptav in variant.product_template_attribute_value_ids:
                options.setdefault(ptav.attribute_id.name, [])
                if ptav.name not in options[ptav.attribute_id.name]:
                    options[ptav.attribute_id.name].append(ptav.name)
        if len(options) > MAX_OPTIONS:
            raise SyncValidationError(
                _("%(product)s has %(count)s attributes that make variants; Shopify accepts at most 3 options. "
                  "Remove an attribute or make it not create variants, then retry.",
                  product=template.display_name, count=len(options))
            )
        return options or {DEFAULT_OPTION["name"]: [DEFAULT_OPTION["values"][0]["name"]]}

    def _shopify_variant_input(self, variant, prices, sent):
        Binding = self.env["sync.binding"].sudo()
        option_values = [
            {"optionName": ptav.attribute_id.name, "name": ptav.name}
            for ptav in variant.product_template_attribute_value_ids
        ] or [{"optionName": DEFAULT_OPTION["name"], "name": DEFAULT_OPTION["values"][0]["name"]}]
        variant_input = {"optionValues": option_values}
        binding = Binding._find(self, "variant", record=variant)
        if binding:
            variant_input["id"] = binding.external_id
        else:
            # Stock levels exist only where a variant is stocked: create them at the
            # mapped locations so that the stock push can set them.
            variant_input["inventoryQuantities"] = [
                {"locationId": location.shopify_gid, "name": "available", "quantity": 0}
                for location in self.shopify_location_ids
            ]
        if "sku" in sent:
            variant_input["sku"] = variant[sent["sku"]] or None
        if "barcode" in sent:
            variant_input["barcode"] = variant[sent["barcode"]] or None
        if variant.id in prices:
            variant_input.update(prices[variant.id])
        item = {"tracked": variant.is_storable}
        if "cost" in sent:
            item["cost"] = "%.2f" % (variant[sent["cost"]] or 0.0)
        variant_input["inventoryItem"] = item
        return variant_input

    def _shopify_prices(self, variants):
        """{variant id: {price, compareAtPrice}} from the backend's pricelist."""
        currency = self.shopify_pricelist_id.currency_id or self.company_id.currency_id
        if self.shopify_pricelist_id:
            prices = self.shopify_pricelist_id._get_products_price(variants, 1.0)
        else:
            prices = {variant.id: variant.lst_price for variant in variants}
        result = {}
        for variant in variants:
            price = float_round(prices[variant.id], precision_digits=currency.decimal_places)
            list_price = float_round(variant.lst_price, precision_digits=currency.decimal_places)
            result[variant.id] = {
                "price": "%.2f" % price,
                # A pricelist discount shows in Shopify as a struck-through sales price.
                "compareAtPrice": "%.2f" % list_price if list_price > price else None,
            }
        return result

    def _shopify_bind_variants(self, template, nodes):
        """Bind the variants sent (same order as Shopify answers) and drop links to deleted ones."""
        Binding = self.env["sync.binding"].sudo()
        variants = template.product_variant_ids
        kept = []
        for variant, node in zip(variants, nodes, strict=False):
            known = bool(Binding._find(self, "variant", external_id=node["id"]))
            Binding._bind(self, "variant", variant, node["id"])
            # A variant created by this export has 0 at every mapped location.
            self._shopify_ensure_stock_rows(variant, node["inventoryItem"]["id"], known=not known)
            kept.append(node["id"])
        stale = Binding.search([
            ("backend_id", "=", self.id), ("external_type", "=", "variant"), ("res_model", "=", "product.product"),
            ("res_id", "in", template.with_context(active_test=False).product_variant_ids.ids),
            ("external_id", "not in", kept),
        ])
        stale.unlink()
        # A note, not a job: queuing the push here would collide with the queue's intake queuing it.
        self._shopify_note_stock_change(template.with_context(active_test=False).product_variant_ids)

    # ------------------------------------------------------------------
    # Import: fields Shopify owns, through the ownership engine
    # ------------------------------------------------------------------
    def _shopify_run_product_import(self, job):
        self._require_scopes("products")
        data = self._shopify_client().execute(docs.PRODUCT_IMPORT, {"id": job.external_id}, operation="product_import")
        product = data["product"]
        binding = self.env["sync.binding"].sudo()._find(self, "product", external_id=job.external_id)
        if not product or not binding:
            return _("Not linked to an Odoo product: nothing imported.")
        payload.check_product(self.env, product)
        template = self.env["product.template"].with_context(active_test=False).browse(binding.res_id).exists()
        updated_at = shopify_datetime(product["updatedAt"])
        if binding.external_updated_at and updated_at and updated_at < binding.external_updated_at:
            return _("An newer version was already imported: ignored.")
        values = self._shopify_incoming_values(template, product)
        applied = self.env["sync.field.rule"]._apply_incoming(self, template, values, external_updated_at=updated_at)
        binding.external_updated_at = updated_at
        return _("Applied: %(fields)s", fields=", ".join(sorted(applied)) or _("nothing"))

    def _shopify_incoming_values(self, template, product):
        """{odoo field: value} of the Shopify product, through the ownership map's external names.

        Every mapped value is handed to the ownership engine, which applies what
        Shopify owns and records a conflict for the rest.
        """
        seo = product.get("seo") or {}
        remote = {
            "title": product["title"],
            "descriptionHtml": product["descriptionHtml"] or False,
            "seo.title": seo.get("title") or False,
            "seo.description": seo.get("description") or False,
            "tags": product["tags"],
        }
        values = {}
        for fname, rule in self.env["sync.field.rule"]._rules_for("product.template", self).items():
            external = rule.external_field or fname
            if external not in remote or fname not in template._fields:
                continue
            value = remote[external]
            if template._fields[fname].comodel_name == "product.tag":
                value = self._shopify_tag_ids(value, create=rule.owner == self.code)
            values[fname] = value
        return values

    def _shopify_tag_ids(self, names, create=True):
        Tag = self.env["product.tag"].sudo()
        names = {name.strip() for name in names} - {""}
        tags = Tag.search([("name", "in", list(names))])
        missing = names - set(tags.mapped("name")) if create else set()
        return sorted((tags | Tag.create([{"name": name} for name in sorted(missing)])).ids)

    def _shopify_run_product_pull(self, job):
        """Queue an import of every linked product changed in Shopify since the last pull."""
        self._require_scopes("products")
        client = self._shopify_client()
        Binding = self.env["sync.binding"].sudo()
        since = self.shopify_products_pulled_at or "1970-01-01T00:00:00Z"
        after, newest, queued = None, since, 0
        while True:
            data = client.execute(
                docs.PRODUCTS_UPDATED, {"first": 100, "after": after, "query": f"updated_at:>'{since}'"},
                operation="product_pull",
            )["products"]
            gids = [node["id"] for node in data["nodes"]]
            linked = Binding.search([("backend_id", "=", self.id), ("external_type", "=", "product"),
                                     ("external_id", "in", gids)])
            for binding in linked:
                self._enqueue("product_import", external_id=binding.external_id, direction="import",
                              category="catalogue")
            queued += len(linked)
            newest = max([newest, *(node["updatedAt"] for node in data["nodes"])])
            if not data["pageInfo"]["hasNextPage"]:
                break
            after = data["pageInfo"]["endCursor"]
        self.shopify_products_pulled_at = newest
        return _("%(count)s changed products queued for import.", count=queued)

    # ------------------------------------------------------------------
    # Full reconcile through a bulk operation
    # ------------------------------------------------------------------
    def _shopify_run_full_sync(self, job):
        """Read the whole store with a bulk query and link, import and export what differs.

        The result file is streamed line by line: a large store never sits in memory.
        """
        self._require_scopes("products")
        client = self._shopify_client()
        data = client.execute(docs.BULK_RUN_QUERY, {"query": docs.BULK_CATALOGUE}, operation="full_sync",
                              write=False)
        result = data["bulkOperationRunQuery"]
        if result["userErrors"]:
            raise SyncValidationError(
                _("Shopify refused the bulk read: %(errors)s", errors=self._shopify_user_errors(result["userErrors"]))
            )
        url = self._shopify_wait_bulk(client, result["bulkOperation"]["id"])
        linked, imports = self._shopify_reconcile_lines(url) if url else (0, 0)
        self._shopify_queue_templates(self._shopify_published_templates())
        return _("Store read: %(linked)s variants linked by SKU, %(imports)s products queued for import; "
                 "every published product queued for export (unchanged ones send nothing).",
                 linked=linked, imports=imports)

    def _shopify_wait_bulk(self, client, operation_gid):
        for attempt in range(BULK_POLLS):
            node = client.execute(docs.BULK_STATUS, {"id": operation_gid}, operation="full_sync_status")["node"]
            if node["status"] == "COMPLETED":
                return node["url"]
            if node["status"] in ("FAILED", "CANCELED", "EXPIRED"):
                raise SyncRemoteError(
                    _("The Shopify bulk read ended %(status)s (%(code)s); the job will be retried.",
                      status=node["status"], code=node["errorCode"] or "-")
                )
            time.sleep(min(2**attempt, 30))
        raise SyncRemoteError(_("The Shopify bulk read is still running; the job will be retried."), retry_after=300)

    def _shopify_reconcile_lines(self, url):
        response = self._http_session().get(url, stream=True, timeout=self.request_timeout or 30)
        self._log_exchange({"backend_id": self.id, "operation": "full_sync_download", "method": "GET",
                            "url": self._redact(url), "status_code": response.status_code,
                            "response_body": _("(JSONL streamed, not stored)")})
        if response.status_code >= 400:
            raise SyncRemoteError(_("Could not download the bulk result (HTTP %(status)s).",
                                    status=response.status_code))
        linked = imports = 0
        chunk = []
        for line in response.iter_lines():
            if line:
                chunk.append(json.loads(line))
            if len(chunk) >= BULK_CHUNK:
                counts = self._shopify_reconcile_chunk(chunk)
                linked, imports, chunk = linked + counts[0], imports + counts[1], []
        if chunk:
            counts = self._shopify_reconcile_chunk(chunk)
            linked, imports = linked + counts[0], imports + counts[1]
        return linked, imports

    def _shopify_reconcile_chunk(self, rows):
        """Link unlinked Odoo variants by SKU; queue imports of products changed in Shopify."""
        Binding = self.env["sync.binding"].sudo()
        products = {row["id"]: row for row in rows if "__parentId" not in row}
        variants = [row for row in rows if "__parentId" in row and row.get("sku")]
        linked = 0
        odoo_variants = self.env["product.product"].search([("default_code", "in", [v["sku"] for v in variants])])
        by_code = {variant.default_code: variant for variant in odoo_variants}
        for row in variants:
            variant = by_code.get(row["sku"])
            if variant and not Binding._find(self, "variant", record=variant) and not Binding._find(
                self, "variant", external_id=row["id"]
            ):
                Binding._bind(self, "variant", variant, row["id"])
                self._shopify_ensure_stock_rows(variant, row["inventoryItem"]["id"], known=False)
                if not Binding._find(self, "product", record=variant.product_tmpl_id) and not Binding._find(
                    self, "product", external_id=row["__parentId"]
                ):
                    Binding._bind(self, "product", variant.product_tmpl_id, row["__parentId"])
                linked += 1
        bindings = Binding.search([("backend_id", "=", self.id), ("external_type", "=", "product"),
                                   ("external_id", "in", list(products))])
        imports = 0
        for binding in bindings:
            updated_at = shopify_datetime(products[binding.external_id].get("updatedAt"))
            if not binding.external_updated_at or (updated_at and updated_at > binding.external_updated_at):
                self._enqueue("product_import", external_id=binding.external_id, direction="import",
                              category="catalogue")
                imports += 1
        return linked, imports
