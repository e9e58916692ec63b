import hashlib
import json
import logging
import math
from collections import defaultdict, namedtuple
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.addons.sync_base.exceptions import SyncValidationError
from odoo.tools import split_every

from . import shopify_documents as docs

_logger = logging.getLogger(__name__)

# inventorySetQuantities accepts at most 250 quantities per call.
STOCK_BATCH = 250
# Items re-read per query: keeps the query under Shopify's single-query cost limit.
READ_BATCH = 10
# How many times a batch refused for a stale compare is re-read and sent again.
STALE_REREADS = 2
STALE_CODE = "CHANGE_FROM_QUANTITY_STALE"

StockRow = namedtuple(
    "StockRow", "id product_id location_id location_gid item_gid last_quantity revision known"
)


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    # ------------------------------------------------------------------
    # Picking up changes
    # ------------------------------------------------------------------
    def _shopify_ensure_stock_rows(self, variant, item_gid, known):
        """One stock row per mapped location for a bound variant, marked to be pushed."""
        self.ensure_one()
        Stock = self.env["sync.shopify.stock"].sudo()
        rows = {row.shopify_location_id: row for row in Stock.search(
            [("backend_id", "=", self.id), ("product_id", "=", variant.id)]
        )}
        for location in self.shopify_location_ids:
            row = rows.get(location)
            values = {"inventory_item_gid": item_gid, "dirty": True}
            if not row:
                Stock.create(dict(values, backend_id=self.id, product_id=variant.id, shopify_location_id=location.id,
                                  quantity_known=known, last_quantity=0))
            elif row.inventory_item_gid != item_gid:
                row.write(dict(values, quantity_known=known, last_quantity=0))
            else:
                row.write(values)

    def _shopify_queue_stock_push(self, heavy=False):
        self.ensure_one()
        return self._enqueue("stock_push", category="stock", dedup_key="shopify_stock_push", heavy=heavy)

    @api.model
    def _shopify_note_stock_change(self, products):
        """Called whenever quants of ``products`` move, inside Odoo's own stock operation.

        One INSERT of a note per backend that publishes the products (these backends, or all),
        and a wake-up of the queue at commit: nothing the running push holds is touched, so the
        operation never waits on it. The queue turns the notes into a push
        (``_shopify_queue_stock_changes``).
        """
        if not products:
            return
        self.env.cr.execute(
            """INSERT INTO sync_shopify_stock_change (backend_id, product_id)
               SELECT DISTINCT s.backend_id, s.product_id
                 FROM sync_shopify_stock s JOIN sync_backend b ON b.id = s.backend_id
                WHERE s.product_id IN %s AND b.active AND (%s OR b.id = ANY(%s))
            RETURNING backend_id""",
            [tuple(products.ids), not self.ids, self.ids],
        )
        if self.env.cr.fetchone():
            self.env["sync.job"]._wake_runner()

    def _shopify_queue_stock_changes(self):
        """In the queue's intake: a realtime backend with stock changes noted gets its push queued."""
        self.ensure_one()
        if not self._shopify_stock_changes_waiting():
            return 0
        self._shopify_queue_stock_push()
        return 1

    def _shopify_stock_changes_waiting(self):
        """Stock changes noted that no pending push will take yet: work for the queue's next run.

        Only for a realtime backend: a nightly one's push, queued in its window, takes them then.
        While a push that failed within the last hour waits in the failure inbox (scopes missing,
        say), no other is queued: its Retry takes every change, and the inbox gets one failure
        an hour, not one per queue run.
        """
        self.ensure_one()
        if self.shopify_schedule_stock != "realtime":
            return False
        self.env.cr.execute(
            """SELECT EXISTS(SELECT 1 FROM sync_shopify_stock_change WHERE backend_id = %(backend)s)
                  AND NOT EXISTS(SELECT 1 FROM sync_job WHERE backend_id = %(backend)s
                                    AND dedup_key = 'shopify_stock_push'
                                    AND (state = 'pending' OR (state = 'failed' AND failed_at > %(hour_ago)s)))""",
            {"backend": self.id, "hour_ago": fields.Datetime.now() - timedelta(hours=1)},
        )
        return self.env.cr.fetchone()[0]

    def _shopify_take_stock_changes(self):
        """At the start of a push: the stock rows of the products noted since the last push become dirty.

        Only the notes this push's snapshot sees are deleted; one committed meanwhile stays for
        the next push. Rolled back with the push if it fails.
        """
        self.env["sync.shopify.stock"].flush_model()
        self.env.cr.execute(
            """WITH taken AS (DELETE FROM sync_shopify_stock_change WHERE backend_id = %s RETURNING product_id)
               UPDATE sync_shopify_stock SET dirty = TRUE
                WHERE backend_id = %s AND NOT dirty AND product_id IN (SELECT product_id FROM taken)""",
            [self.id, self.id],
        )
        self.env["sync.shopify.stock"].invalidate_model(["dirty"])

    # ------------------------------------------------------------------
    # What to publish
    # ------------------------------------------------------------------
    # The push works on plain rows read in one query rather than on records: at
    # 25,000 variants the ORM's per-field access costs more than the whole push
    # budget allows (bench/stock_push).
    def _shopify_stock_rows(self, row_ids=None):
        """Dirty stock rows of this backend (or the given ones) as ``StockRow`` tuples, by id."""
        self.env["sync.shopify.stock"].flush_model()
        self.env["sync.shopify.location"].flush_model(["shopify_gid"])
        where = "s.id = ANY(%s)" if row_ids is not None else "s.backend_id = %s AND s.dirty"
        self.env.cr.execute(
            f"""SELECT s.id, s.product_id, s.shopify_location_id, l.shopify_gid, s.inventory_item_gid,
                       s.last_quantity, s.revision, s.quantity_known
                  FROM sync_shopify_stock s JOIN sync_shopify_location l ON l.id = s.shopify_location_id
                 WHERE {where} ORDER BY s.id""",
            [list(row_ids) if row_ids is not None else self.id],
        )
        return [StockRow(*values) for values in self.env.cr.fetchall()]

    def _shopify_available(self, rows):
        """{row id: quantity to publish}: on hand - reserved - safety stock, never below 0."""
        Quant = self.env["stock.quant"].sudo()
        Quant.flush_model(["product_id", "location_id", "quantity", "reserved_quantity"])
        buffers = self._shopify_safety_stocks({row.product_id for row in rows})
        by_mapping = defaultdict(list)
        for row in rows:
            by_mapping[row.location_id].append(row)
        result = {}
        for mapping_id, mapped_rows in by_mapping.items():
            mapping = self.env["sync.shopify.location"].sudo().browse(mapping_id)
            totals = {}
            if mapping.location_ids:
                location_ids = self.env["stock.location"].sudo().search(
                    [("id", "child_of", mapping.location_ids.ids)]
                ).ids
                self.env.cr.execute(
                    """SELECT product_id, SUM(quantity - reserved_quantity) FROM stock_quant
                        WHERE location_id = ANY(%s) AND product_id = ANY(%s) GROUP BY product_id""",
                    [location_ids, list({row.product_id for row in mapped_rows})],
                )
                totals = dict(self.env.cr.fetchall())
            for row in mapped_rows:
                free = (totals.get(row.product_id) or 0.0) - buffers.get(row.product_id, 0.0)
                result[row.id] = max(0, math.floor(free))
        return result

    def _shopify_safety_stocks(self, product_ids):
        """{product id: units held back}: the most specific buffer set wins (product, category, backend)."""
        self.env["product.template"].flush_model(["shopify_safety_stock", "categ_id"])
        self.env["product.category"].flush_model(["shopify_safety_stock"])
        self.env.cr.execute(
            """SELECT p.id, COALESCE(NULLIF(t.shopify_safety_stock, 0), NULLIF(c.shopify_safety_stock, 0), %s)
                 FROM product_product p JOIN product_template t ON t.id = p.product_tmpl_id
                 LEFT JOIN product_category c ON c.id = t.categ_id
                WHERE p.id = ANY(%s)""",
            [self.shopify_safety_stock or 0.0, list(product_ids)],
        )
        return dict(self.env.cr.fetchall())

    # ------------------------------------------------------------------
    # Pushing
    # ------------------------------------------------------------------
    def _shopify_run_stock_push(self, job):
        self._require_scopes("stock")
        self._shopify_take_stock_changes()
        owner = self.env["sync.field.rule"]._owner("product.product", "qty_available", self)
        if owner and owner != "odoo":
            return _("Stock is owned by %(owner)s on this backend: nothing pushed.", owner=owner)
        client = self._shopify_client()
        Stock = self.env["sync.shopify.stock"].sudo()
        rows = self._shopify_stock_rows()
        unknown = [row.id for row in rows if not row.known]
        if unknown:
            self._shopify_read_levels(client, Stock.browse(unknown))
            rows = self._shopify_stock_rows()
        available = self._shopify_available(rows)
        looks_unchanged = [row.id for row in rows if available[row.id] == row.last_quantity]
        if looks_unchanged:
            # Shopify moves its own levels too (checkout takes units, a restocked cancel gives
            # them back): a row equal to what we last sent may differ from the store now, when
            # Odoo's own changes netted out. A read costs less than a blind write.
            self._shopify_read_levels(client, Stock.browse(looks_unchanged))
            rows = self._shopify_stock_rows()
        todo = [row for row in rows if available[row.id] != row.last_quantity]
        self._shopify_stock_clean([row.id for row in rows if available[row.id] == row.last_quantity])
        sent, problems = 0, []
        for chunk in split_every(STOCK_BATCH, todo, list):
            chunk_sent, chunk_problems = self._shopify_push_chunk(client, chunk, available)
            sent += chunk_sent
            problems += chunk_problems
        if self.mode == "dry_run":
            return _("Dry run: %(count)s quantities recorded in the exchange log, nothing sent.", count=len(todo))
        message = _("%(sent)s quantities sent, %(same)s already right.", sent=sent, same=len(rows) - len(todo))
        if problems:
            message += "\n" + _("Not sent:") + "\n" + "\n".join(problems)
        return message

    def _shopify_push_chunk(self, client, chunk, available):
        """Send one batch; re-read what Shopify calls stale and send again. ``(sent, problems)``."""
        Stock = self.env["sync.shopify.stock"].sudo()
        problems, rereads = [], 0
        while chunk:
            quantities = [
                {"inventoryItemId": row.item_gid, "locationId": row.location_gid,
                 "quantity": available[row.id], "changeFromQuantity": row.last_quantity}
                for row in chunk
            ]
            variables = {
                "input": {"name": "available", "reason": "correction",
                          "referenceDocumentUri": f"odoo://sync.backend/{self.id}/stock", "quantities": quantities},
                "key": self._shopify_idempotency_key(chunk, quantities),
            }
            data = client.execute(docs.INVENTORY_SET_QUANTITIES, variables, operation="stock_push", write=True,
                                  idempotent=True)
            if data is None:
                self._shopify_stock_clean([row.id for row in chunk], keep_error=True)
                return 0, problems
            errors = data["inventorySetQuantities"]["userErrors"]
            if not errors:
                self._shopify_stock_sent(chunk, available)
                return len(chunk), problems
            stale, refused = self._shopify_split_errors(chunk, errors)
            for row, message in refused:
                record = Stock.browse(row.id)
                problems.append(self._shopify_stock_problem(record, message))
                record.write({"dirty": False, "last_error": message})
            refused_ids = {row.id for row, _message in refused}
            if stale and rereads >= STALE_REREADS:
                for row in stale:
                    message = _("Shopify's quantity kept changing while we wrote it; sent again at the next change.")
                    problems.append(self._shopify_stock_problem(Stock.browse(row.id), message))
                    Stock.browse(row.id).write({"last_error": message})
                refused_ids |= {row.id for row in stale}
            elif stale:
                self._shopify_read_levels(client, Stock.browse([row.id for row in stale]))
                rereads += 1
            chunk = self._shopify_stock_rows([row.id for row in chunk if row.id not in refused_ids])
        return 0, problems

    def _shopify_split_errors(self, chunk, errors):
        """``(stale rows, [(row, message)] refused)`` from the userErrors of one batch."""
        stale, refused = [], []
        for error in errors:
            field = error.get("field") or []
            index = int(field[2]) if len(field) > 2 and field[1] == "quantities" and str(field[2]).isdigit() else None
            if index is None or index >= len(chunk):
                raise SyncValidationError(
                    _("Shopify refused the stock batch: %(message)s", message=error["message"])
                )
            if error.get("code") == STALE_CODE:
                stale.append(chunk[index])
            else:
                refused.append((chunk[index], error["message"]))
        return stale, refused

    def _shopify_stock_problem(self, record, message):
        return _("%(product)s at %(location)s: %(message)s", product=record.product_id.display_name,
                 location=record.shopify_location_id.name, message=message)

    def _shopify_idempotency_key(self, chunk, quantities):
        """Same batch, same key: a retry after a lost answer replays instead of applying twice.

        The rows' revisions are part of it, so the same numbers sent again later (after a
        re-read or another write) get a new key and are applied.
        """
        content = [self.id, quantities, [row.revision for row in chunk]]
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:40]

    def _shopify_stock_clean(self, row_ids, keep_error=False):
        """Rows with nothing (more) to send."""
        if not row_ids:
            return
        self.env["sync.shopify.stock"].flush_model()
        self.env.cr.execute(
            "UPDATE sync_shopify_stock SET dirty = FALSE %s WHERE id = ANY(%%s)" % ("" if keep_error else
                                                                                   ", last_error = NULL"),
            [list(row_ids)],
        )
        self.env["sync.shopify.stock"].invalidate_model(["dirty", "last_error"])

    def _shopify_stock_sent(self, chunk, available):
        # One statement for the whole batch: the per-item cost matters at 25,000 variants.
        self.env["sync.shopify.stock"].flush_model()
        self.env.cr.execute(
            """UPDATE sync_shopify_stock AS s
                  SET last_quantity = v.quantity, quantity_known = TRUE, revision = s.revision + 1,
                      dirty = FALSE, last_error = NULL
                 FROM unnest(%s::int[], %s::int[]) AS v(id, quantity)
                WHERE s.id = v.id""",
            [[row.id for row in chunk], [available[row.id] for row in chunk]],
        )
        self.env["sync.shopify.stock"].invalidate_model(
            ["last_quantity", "quantity_known", "revision", "dirty", "last_error"]
        )

    def _shopify_read_levels(self, client, rows):
        """Set ``last_quantity`` to what Shopify has now (for stale or never-read rows)."""
        for chunk in split_every(READ_BATCH, rows.ids, rows.browse):
            items = sorted(set(chunk.mapped("inventory_item_gid")))
            data = client.execute(docs.INVENTORY_LEVELS, {"ids": items}, operation="stock_read")
            levels = {}
            for node in data["nodes"]:
                for level in (node or {}).get("inventoryLevels", {}).get("nodes", []):
                    for quantity in level["quantities"]:
                        if quantity["name"] == "available":
                            levels[(node["id"], level["location"]["id"])] = quantity["quantity"]
            for row in chunk:
                quantity = levels.get((row.inventory_item_gid, row.shopify_location_id.shopify_gid))
                row.write({"last_quantity": quantity or 0, "quantity_known": quantity is not None,
                           "revision": row.revision + 1})
