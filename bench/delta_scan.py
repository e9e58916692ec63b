#!/usr/bin/env python3
"""delta_scan: time to find and queue 1,000 changed products, small and large catalogue.

One fresh database with sync_shopify (no demo data) and a Shopify backend (no
call is made: the measure stops at the queue). The catalogue is built in SQL by
cloning one product made through the ORM (setup, not measured), every product
published and linked to Shopify. Then 1,000 random products get a new sales
price, one save each as people make them, and the clock runs until the
exports are queued and flushed. Done with ``--small`` (10,000) products, then
again after growing the same catalogue to ``--large`` (100,000).

The figure is the ratio large / small; the last line is
``RESULT delta_scan <ratio> x target <= 1.5 PASS|FAIL`` (FAIL too when a run
did not queue exactly one export per changed product).

Run from the project root: ``bench/delta_scan [--small 10000] [--large 100000] [--keep-db]``.
Environment: PGHOST/PGPORT/PGUSER (default 127.0.0.1:5432, root), BENCH_DELTA_DB
(default bench_delta_scan), BENCH_DELTA_PORT (default 18121, for the installer).
"""

import argparse
import os
import random
import sys
import time

import _odoo

NAME = "delta_scan"
TARGET = 1.5
CHANGED = 1000


def say(message):
    print(f"[{NAME}] {message}", flush=True)


def columns(cr, table, skip):
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
        [table],
    )
    return [name for (name,) in cr.fetchall() if name not in skip]


def grow_catalogue(env, backend, base, count):
    """Clone ``base`` (a template and its variant) ``count`` times, published and linked."""
    started = time.monotonic()
    cr = env.cr
    template_cols = columns(cr, "product_template", {"id", "name", "shopify_publish"})
    product_cols = columns(cr, "product_product", {"id", "product_tmpl_id", "default_code"})
    cr.execute("SELECT COALESCE(MAX(id), 0) FROM product_template")
    first = cr.fetchone()[0] + 1
    cols = ", ".join(f'"{c}"' for c in template_cols)
    cr.execute(
        f"""INSERT INTO product_template (id, name, shopify_publish, {cols})
            SELECT %s + g, jsonb_build_object('en_US', 'Bench product ' || (%s + g)), TRUE, {cols}
              FROM product_template t, generate_series(0, %s - 1) AS g WHERE t.id = %s""",
        [first, first, count, base.id],
    )
    cr.execute("SELECT setval('product_template_id_seq', (SELECT MAX(id) FROM product_template))")
    cols = ", ".join(f'"{c}"' for c in product_cols)
    cr.execute(
        f"""INSERT INTO product_product (product_tmpl_id, default_code, {cols})
            SELECT t, 'BENCH-' || t, {cols} FROM product_product p, generate_series(%s, %s) AS t
             WHERE p.id = %s""",
        [first, first + count - 1, base.product_variant_id.id],
    )
    cr.execute(
        """INSERT INTO sync_binding (backend_id, company_id, external_type, external_id, res_model, res_id,
                                    sync_hash, create_uid, create_date, write_uid, write_date)
           SELECT %s, %s, 'product', 'gid://shopify/Product/' || t, 'product.template', t, 'x',
                  1, now() at time zone 'UTC', 1, now() at time zone 'UTC'
             FROM generate_series(%s, %s) AS t""",
        [backend.id, backend.company_id.id, first, first + count - 1],
    )
    cr.execute("ANALYZE product_template; ANALYZE product_product; ANALYZE sync_binding; ANALYZE sync_job")
    env.invalidate_all()
    say(f"catalogue grown by {count} products in {time.monotonic() - started:.0f}s")


def measure(env, backend, rng, profile=None):
    """Seconds to save 1,000 random products with a new price and queue their exports."""
    Template = env["product.template"]
    cr = env.cr
    cr.execute("SELECT res_id FROM sync_binding WHERE backend_id = %s AND external_type = 'product'", [backend.id])
    ids = rng.sample([row[0] for row in cr.fetchall()], CHANGED)
    env["sync.job"].search([("backend_id", "=", backend.id)]).unlink()
    env.flush_all()
    env.invalidate_all()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.monotonic()
    for template in Template.browse(ids):
        template.write({"list_price": template.list_price + 1.0})
    env.flush_all()
    elapsed = time.monotonic() - started
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    queued = env["sync.job"].search_count(
        [("backend_id", "=", backend.id), ("operation", "=", "product_export"), ("state", "=", "pending")]
    )
    return elapsed, queued


def run(args):
    _odoo.fresh_database(args.db, "sync_shopify", os.environ.get("BENCH_DELTA_PORT", "18121"), say)
    odoo, registry = _odoo.registry(args.db)
    rng = random.Random(1)
    try:
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            backend = env["sync.backend"].create({
                "name": "Delta benchmark", "code": "shopify", "api_url": "http://127.0.0.1:9",
                "restrict_heavy_to_window": False,
            })
            base = env["product.template"].create({"name": "Base", "list_price": 10.0, "is_storable": True})
            grow_catalogue(env, backend, base, args.small)
            small, queued_small = measure(env, backend, rng, profile=args.profile)
            say(f"{args.small} products: {CHANGED} changes queued in {small:.2f}s ({queued_small} exports)")
            grow_catalogue(env, backend, base, args.large - args.small)
            large, queued_large = measure(env, backend, rng)
            say(f"{args.large} products: {CHANGED} changes queued in {large:.2f}s ({queued_large} exports)")
            cr.rollback()
    finally:
        if not args.keep_db:
            _odoo.drop_database(args.db)
    ratio = large / small
    passed = ratio <= TARGET and queued_small == CHANGED and queued_large == CHANGED
    print(f"RESULT {NAME} {ratio:.2f} x target <= {TARGET} {'PASS' if passed else 'FAIL'}", flush=True)
    return 0 if passed else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10000)
    parser.add_argument("--large", type=int, default=100000)
    parser.add_argument("--db", default=os.environ.get("BENCH_DELTA_DB", "bench_delta_scan"))
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--profile", help="write a cProfile of the small catalogue's run to this file")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
