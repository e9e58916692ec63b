#!/usr/bin/env python3
"""stock_push: sync_shopify's stock push of 25,000 variants to the Shopify sandbox.

One fresh database with sync_shopify (no demo data). The sandbox runs in this
process (real HTTP on 127.0.0.1) seeded with enough products to hold
``--variants`` variants stocked at its first location. Odoo gets one storable
product per Shopify variant, linked, with a stock row that knows Shopify's
quantity, and a quant with a different quantity (set in SQL: setup, not measured).

1. Throttled like a Standard plan (bucket 2000 points, 100 points/s), the bucket
   drained at the start so that the whole run is paid for by the refill: items/s
   achieved against the most the cost budget allows (restore rate / cost of one
   ``inventorySetQuantities`` call x 250 items per call). Target >= 90 %, and the
   push job done with nothing refused.
2. Against an unthrottled sandbox: Odoo-side time per item, i.e. the push job's
   wall time minus the time spent waiting for HTTP answers (exchange log
   ``duration_ms``), divided by the items. Target < 1 ms.

Run from the project root: ``bench/stock_push [--variants 25000] [--keep-db]``.
Environment: PGHOST/PGPORT/PGUSER (default 127.0.0.1:5432, root), BENCH_STOCK_DB
(default bench_stock_push), BENCH_STOCK_PORT (default 18120, for the installer).
The last line is ``RESULT stock_push <percent> % target >= 90 PASS|FAIL``; it
reports FAIL when the Odoo-side time misses its target too.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import _odoo

ROOT = Path(__file__).resolve().parent.parent
NAME = "stock_push"
TARGET_RATIO = 90.0
TARGET_MS = 1.0
BATCH = 250


def say(message):
    print(f"[{NAME}] {message}", flush=True)


# ----------------------------------------------------------------------
# Setup
# ----------------------------------------------------------------------
def start_sandbox(variants):
    from sandbox import ShopifySandbox

    # The seed averages about five variants per product, each stocked at the first location.
    shop = ShopifySandbox(products=max(10, variants // 4), customers=0, seed=7).start(host="127.0.0.1", port=0)
    location = next(iter(shop.store.locations))
    stocked = [v for v in shop.store.variants.values() if (v["_inventory_item_id"], location) in shop.store.levels]
    if len(stocked) < variants:
        raise SystemExit(f"the sandbox holds only {len(stocked)} stocked variants")
    # The sandbox builds its schema on the first request: not part of what is measured.
    shop.execute("query Warm { shop { name } }")
    return shop, location, stocked[:variants]


def build_catalogue(env, shop, location, variants):
    """One linked Odoo product per Shopify variant, its stock row and a different quant."""
    started = time.monotonic()
    warehouse = env["stock.warehouse"].search([], limit=1)
    backend = env["sync.backend"].create({
        "name": "Stock benchmark", "code": "shopify", "api_url": shop.url, "api_token": shop.access_token,
        "restrict_heavy_to_window": False, "retry_jitter": 0.0, "request_timeout": 120,
        "shopify_location_ids": [(0, 0, {"name": "Main", "shopify_gid": location,
                                         "location_ids": [(6, 0, warehouse.lot_stock_id.ids)]})],
    })
    products = env["product.product"]
    for start in range(0, len(variants), 2000):
        products |= env["product.product"].with_context(tracking_disable=True).create([
            {"name": v["sku"], "default_code": v["sku"], "is_storable": True} for v in variants[start:start + 2000]
        ])
    cr = env.cr
    mapping = backend.shopify_location_ids
    levels = shop.store.levels
    rows = [
        (product.id, v["_inventory_item_id"], levels[(v["_inventory_item_id"], location)]["_quantities"]["available"])
        for product, v in zip(products, variants, strict=True)
    ]
    cr.execute(
        """INSERT INTO sync_shopify_stock (backend_id, product_id, shopify_location_id, inventory_item_gid,
                                          last_quantity, quantity_known, revision, dirty)
           SELECT %s, p, %s, g, q, TRUE, 0, TRUE FROM unnest(%s::int[], %s::varchar[], %s::int[]) AS t(p, g, q)""",
        [backend.id, mapping.id, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]],
    )
    cr.execute(
        """INSERT INTO stock_quant (product_id, location_id, company_id, quantity, reserved_quantity, in_date,
                                   create_uid, create_date, write_uid, write_date)
           SELECT p, %s, %s, q + 5, 0, now() at time zone 'UTC', 1, now() at time zone 'UTC', 1,
                  now() at time zone 'UTC'
             FROM unnest(%s::int[], %s::int[]) AS t(p, q)""",
        [warehouse.lot_stock_id.id, warehouse.company_id.id, [r[0] for r in rows], [r[2] for r in rows]],
    )
    env.invalidate_all()
    say(f"catalogue of {len(rows)} linked variants built in {time.monotonic() - started:.0f}s")
    return backend


def push(env, backend, profile=None):
    """Queue and run the stock push; ``(seconds, job, http seconds, exchanges)``."""
    env["sync.exchange"].search([("backend_id", "=", backend.id)]).unlink()
    job = backend._shopify_queue_stock_push()
    env.flush_all()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.monotonic()
    env["sync.job"]._process_queue(backends=backend, commit=False)
    elapsed = time.monotonic() - started
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    exchanges = env["sync.exchange"].search([("backend_id", "=", backend.id)])
    http = sum(exchanges.mapped("duration_ms")) / 1000.0
    return elapsed, job, http, exchanges


def call_cost(exchanges):
    for exchange in exchanges:
        if exchange.operation == "stock_push" and (exchange.response_body or "").startswith("{"):
            cost = json.loads(exchange.response_body).get("extensions", {}).get("cost", {})
            if cost.get("actualQueryCost"):
                return float(cost["actualQueryCost"])
    sample = exchanges[:1].response_body
    raise SystemExit(f"no stock_push answer carried its cost; first answer: {sample!r:.300}")


def bump_quants(env, backend):
    """Change every quant again and mark the rows to push (what a day of moves does)."""
    env.cr.execute(
        "UPDATE stock_quant SET quantity = quantity + 1 WHERE product_id IN "
        "(SELECT product_id FROM sync_shopify_stock WHERE backend_id = %s)", [backend.id])
    env.cr.execute("UPDATE sync_shopify_stock SET dirty = TRUE WHERE backend_id = %s", [backend.id])
    env.invalidate_all()


# ----------------------------------------------------------------------
def run(args):
    sys.path.insert(0, str(ROOT))
    from sandbox.shopify_cost import LeakyBucket

    _odoo.fresh_database(args.db, "sync_shopify", os.environ.get("BENCH_STOCK_PORT", "18120"), say)
    odoo, registry = _odoo.registry(args.db)
    shop, location, variants = start_sandbox(args.variants)
    say(f"sandbox at {shop.url} with {len(variants)} stocked variants")
    try:
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            backend = build_catalogue(env, shop, location, variants)
            items = len(variants)

            # 1. Standard plan, bucket empty: the refill pays for everything.
            shop.bucket = LeakyBucket(2000, 100)
            shop.bucket.drain()
            elapsed, job, _http, exchanges = push(env, backend)
            cost = call_cost(exchanges)
            allowed = 100 / cost * BATCH
            achieved = items / elapsed
            ratio = 100.0 * achieved / allowed
            calls = len(exchanges.filtered(lambda e: e.operation == "stock_push"))
            throttled = sum("THROTTLED" in (e.response_body or "") for e in exchanges)
            failed = env["sync.job"].search_count([("backend_id", "=", backend.id), ("state", "=", "failed")])
            say(f"throttled run: {items} items in {elapsed:.1f}s, {calls} calls of {cost:.0f} points, "
                f"{throttled} throttled answers, job {job.state}: {job.result!r}")
            say(f"throttled run: {achieved:.0f} items/s, the budget allows {allowed:.0f} items/s "
                f"({ratio:.1f} %), failed jobs: {failed}")
            pushed_ok = job.state == "done" and failed == 0 and "Not sent" not in (job.result or "")
            wrong = sum(
                1 for v in variants
                if shop.store.levels[(v["_inventory_item_id"], location)]["_quantities"]["available"] is None
            )

            # 2. Unthrottled: what Odoo itself spends per item.
            bump_quants(env, backend)
            shop.bucket = LeakyBucket(10**9, 10**9)
            elapsed2, job2, http2, _exchanges = push(env, backend, profile=args.profile)
            per_item_ms = 1000.0 * (elapsed2 - http2) / items
            say(f"unthrottled run: {items} items in {elapsed2:.2f}s, {http2:.2f}s waiting for HTTP, "
                f"Odoo side {per_item_ms:.3f} ms/item (target < {TARGET_MS} ms), job {job2.state}")
            unthrottled_ok = job2.state == "done" and "Not sent" not in (job2.result or "")
            cr.rollback()
    finally:
        shop.stop()
        if not args.keep_db:
            _odoo.drop_database(args.db)
    passed = ratio >= TARGET_RATIO and pushed_ok and not wrong and per_item_ms < TARGET_MS and unthrottled_ok
    print(f"RESULT {NAME} {ratio:.1f} % target >= {TARGET_RATIO:.0f} {'PASS' if passed else 'FAIL'}", flush=True)
    return 0 if passed else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=25000)
    parser.add_argument("--db", default=os.environ.get("BENCH_STOCK_DB", "bench_stock_push"))
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--profile", help="write a cProfile of the unthrottled push to this file")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
