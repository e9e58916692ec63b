#!/usr/bin/env python3
"""order_import: Shopify orders imported through the queue against the ERP's own floor, same run.

N sandbox orders (default 2,000; 1-4 product lines each plus a shipping line under 100 EUR,
about 3 lines; 20 % VAT; all paid, so the import confirms them; in the sandbox's realistic mix of
shapes: 55 % without discount, 15 % a 10 % code off the entire order, 10 % a 5 EUR code spread over
the lines, 8 % an automatic discount on one line, 7 % free shipping, 5 % with a custom item line
(sandbox/shopify_store.py ORDER_MIX)) are turned into confirmed
sale orders twice, on one fresh database (``--db``, default ``bench_orders``):

- import: the connector's real ``order_import`` jobs (``backend._shopify_enqueue_order``),
  run by ``sync.job._process_queue(commit=True)`` in ``--workers`` processes (default 2),
  each with its own registry and cursor. Each job reads its order from the Shopify sandbox
  over HTTP (included in the time: the sandbox runs in the bench process and its CPU is
  reported), maps customer, addresses, products, taxes and shipping, creates the sale
  order, checks the totals, binds it and confirms it.
- floor: the same sale orders created with ``sale.order.create(values)`` and confirmed with
  ``action_confirm()`` in the same number of processes, committed every ``batch_size``
  orders (the queue commits per batch of that size). ``values`` are read from the orders
  the import produced (partners, addresses, pricelist, lines, products, quantities, prices,
  discounts, taxes, shipping line), outside the clock. Both sides use the same context
  (``sync_shopify_importing``, ``mail_create_nolog``).

Outside both clocks: the customers and addresses of every order are created beforehand by
the connector's own ``_shopify_order_partners`` (checked: the import then creates no
partner), the products exist by SKU, the 20 % tax is mapped and EUR has a pricelist.
Shopify's rate limit is lifted in the sandbox (the figure is Odoo's cost, not Shopify's
pacing; on a standard plan, 100 points/s, an order read costs about 30 points).

Checks: every job done; exactly N sale orders from the backend, N distinct client
references equal to the sandbox's order names, each bound once (N bindings, N distinct
Shopify ids, N distinct sale orders), all confirmed; the floor made N confirmed orders
with the same total amount. Figure: import time / floor time; last line
``RESULT order_import <ratio> x target <= 1.3 PASS|FAIL``.

Run from the project root: ``bench/order_import [--orders N] [--workers W] [--profile PREFIX]``.
"""

import argparse
import contextlib
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _odoo

NAME = "order_import"
TARGET = 1.3
SEED = 7
PARTNER_QUERY = """
query OrderPartners($id: ID!) {
  order(id: $id) { name email customer { id email firstName lastName phone }
    billingAddress { %(address)s } shippingAddress { %(address)s } }
}
"""


def say(message):
    print(f"[{NAME}] {message}", flush=True)


# ----------------------------------------------------------------------
# Child processes: one registry each, wait for "go", print one JSON line
# ----------------------------------------------------------------------
def worker_command(args, role, *extra):
    return [sys.executable, str(Path(__file__).resolve()), "--role", role, "--db", args.db,
            "--backend-id", str(args.backend_id), *extra]


def _profiled(args, side, function):
    """Run ``function``, under cProfile with ``--profile``; return its figures as a JSON line's fields.

    ``processed`` (its result), ``queries`` (SQL queries it ran), ``cpu`` (this process's CPU seconds).
    """
    from odoo import sql_db

    queries, cpu = sql_db.sql_counter, time.process_time()

    def figures(processed):
        return {"processed": processed, "queries": sql_db.sql_counter - queries, "cpu": time.process_time() - cpu}

    if not args.profile:
        return figures(function())
    import cProfile

    profiler = cProfile.Profile()
    try:
        return figures(profiler.runcall(function))
    finally:
        profiler.dump_stats(f"{args.profile}.{side}.{os.getpid()}")


def child_import_worker(args):
    odoo, registry = _odoo.registry(args.db)
    print("ready", flush=True)
    sys.stdin.readline()

    def work():
        processed = 0
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            backend = env["sync.backend"].browse(args.backend_id)
            Job = env["sync.job"]
            while True:
                done, _remaining = Job._process_queue(backends=backend, commit=True)
                processed += done
                cr.commit()
                # Jobs waiting for a retry (a lock conflict) are still ours to run.
                if not Job.search_count([("backend_id", "=", backend.id), ("state", "=", "pending")]):
                    return processed
                time.sleep(0.1)

    print(json.dumps(dict(_profiled(args, "import", work), finished=time.time())), flush=True)


def child_floor_worker(args):
    odoo, registry = _odoo.registry(args.db)
    values = json.loads(Path(args.values).read_text())
    print("ready", flush=True)
    sys.stdin.readline()

    def work():
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            backend = env["sync.backend"].browse(args.backend_id)
            SaleOrder = env["sale.order"].with_company(backend.company_id).with_context(
                sync_shopify_importing=True, mail_create_nolog=True
            )
            for index, vals in enumerate(values, 1):
                SaleOrder.create(vals).action_confirm()
                if index % backend.batch_size == 0:
                    cr.commit()
            cr.commit()
        return len(values)

    print(json.dumps(dict(_profiled(args, "floor", work), finished=time.time())), flush=True)


def machine_cpu_seconds():
    """(busy, all) CPU seconds of the whole machine so far, from /proc/stat (every process, PostgreSQL too)."""
    ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    per_second = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - idle) / per_second, sum(ticks) / per_second


def run_workers(args, role, per_worker_extra):
    """Start the workers, let them load Odoo, give the go; return the side's figures.

    ``seconds`` (wall, first go to last finish), ``split`` (jobs or orders per worker),
    ``bench_cpu`` (this process: the sandbox), ``worker_cpu`` (all workers), ``machine_busy``
    (share of the machine's CPU time in use meanwhile) and ``queries`` (SQL, all workers).
    """
    workers = [
        subprocess.Popen(worker_command(args, role, *extra), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True, env=_odoo.child_env())
        for extra in per_worker_extra
    ]
    try:
        for worker in workers:
            if worker.stdout.readline().strip() != "ready":
                raise SystemExit(f"a {role} did not start")
        cpu, machine, started = time.process_time(), machine_cpu_seconds(), time.time()
        for worker in workers:
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outputs = [worker.communicate()[0] for worker in workers]
        busy, total = (after - before for after, before in zip(machine_cpu_seconds(), machine, strict=True))
        if any(worker.returncode for worker in workers):
            raise SystemExit(f"a {role} failed (exit codes {[w.returncode for w in workers]})")
        results = [json.loads(output.strip().splitlines()[-1]) for output in outputs]
    finally:
        _odoo.stop_processes(workers)
    return {
        "seconds": max(result["finished"] for result in results) - started,
        "split": [result["processed"] for result in results],
        "bench_cpu": time.process_time() - cpu,
        "worker_cpu": sum(result["cpu"] for result in results),
        "machine_busy": busy / total if total else 0.0,
        "queries": sum(result["queries"] for result in results),
    }


def describe(side, args):
    return (f"CPU: workers {side['worker_cpu']:.1f}s, machine {side['machine_busy']:.0%} busy; "
            f"{side['queries'] / args.orders:.1f} SQL queries per order")


# ----------------------------------------------------------------------
# Setup, checks and floor values (in the bench process, outside the clocks)
# ----------------------------------------------------------------------
def setup(env, shop, args):
    """Backend, EUR pricelist, mapped 20 % tax, products by SKU, the orders' partners; committed."""
    from odoo.addons.sync_shopify.models import shopify_documents as docs

    eur = env.ref("base.EUR")
    eur.active = True
    env["product.pricelist"].create({"name": "Shopify EUR", "currency_id": eur.id})
    vat = env["account.tax"].create({
        "name": "Shopify VAT 20%", "amount": 20.0, "amount_type": "percent", "type_tax_use": "sale",
        "company_id": env.company.id,
    })
    env["product.product"].create([
        {"name": variant["sku"], "default_code": variant["sku"], "is_storable": True, "list_price": 1.0}
        for variant in shop.store.variants.values()
    ])
    backend = env["sync.backend"].create({
        "name": "Order import bench", "code": "shopify", "api_url": shop.url,
        "shopify_shop_domain": shop.shop_domain, "api_token": shop.access_token,
        "webhook_secret": shop.app_secret, "retry_jitter": 0.0, "restrict_heavy_to_window": False,
        "shopify_tax_map_ids": [(0, 0, {"name": "VAT", "rate": 20.0, "tax_id": vat.id})],
        "shopify_auto_confirm": True, "state": "connected",
        **({"batch_size": args.batch_size} if args.batch_size else {}),
    })
    env.cr.commit()
    # The sandbox's realistic mix of shapes (sandbox/shopify_store.py ORDER_MIX): no discount, order-level
    # percentage and fixed-amount codes, automatic line discounts, free shipping, custom items.
    orders = shop.generate_orders(args.orders, seed=SEED, cancel_rate=0, refund_rate=0, mix=True)
    query = PARTNER_QUERY % {"address": docs._address}
    for order in orders:
        data = shop.execute(query, {"id": order["id"]})["data"]["order"]
        backend._shopify_order_partners(data)
    env.cr.commit()
    lines = sum(len(order["lineItems"]) + (1 if order["shippingLine"] and float(
        order["shippingLine"]["originalPriceSet"]["shopMoney"]["amount"]) else 0) for order in orders)
    return backend, orders, lines


def check_import(env, backend, orders):
    """Every job done; N confirmed sale orders, distinct client refs, each bound once. Returns problems."""
    cr, n = env.cr, len(orders)
    problems = []
    cr.execute("SELECT state, count(*) FROM sync_job WHERE backend_id = %s GROUP BY state", [backend.id])
    states = dict(cr.fetchall())
    say(f"import: jobs by state {states}")
    if states != {"done": n}:
        problems.append(f"jobs by state {states}, expected {{'done': {n}}}")
    cr.execute("""SELECT count(*), count(DISTINCT external_id), count(DISTINCT res_id) FROM sync_binding
                   WHERE backend_id = %s AND res_model = 'sale.order'""", [backend.id])
    bindings = cr.fetchone()
    cr.execute("""SELECT count(*), count(DISTINCT client_order_ref), count(*) FILTER (WHERE state = 'sale'),
                         array_agg(client_order_ref) FROM sale_order WHERE shopify_backend_id = %s""", [backend.id])
    sales, refs, confirmed, ref_list = cr.fetchone()
    cr.execute("""SELECT count(*) FROM sale_order s WHERE shopify_backend_id = %s AND NOT EXISTS (
                    SELECT 1 FROM sync_binding b WHERE b.backend_id = s.shopify_backend_id
                       AND b.res_model = 'sale.order' AND b.res_id = s.id)""", [backend.id])
    unbound = cr.fetchone()[0]
    say(f"import: {sales} sale orders, {refs} distinct client refs, {confirmed} confirmed, {unbound} unbound; "
        f"bindings {bindings[0]} ({bindings[1]} distinct Shopify ids, {bindings[2]} distinct sale orders)")
    if (sales, refs, confirmed, unbound) != (n, n, n, 0) or bindings != (n, n, n):
        problems.append("duplicates or missing orders")
    if set(ref_list or []) != {order["name"] for order in orders}:
        problems.append("client refs differ from the sandbox's order names")
    return problems


def floor_values(env, backend):
    """create() values of the sale orders the import produced (floor copies marked by their origin)."""
    values = []
    for order in env["sale.order"].search([("shopify_backend_id", "=", backend.id)], order="id"):
        values.append({
            "partner_id": order.partner_id.id,
            "partner_invoice_id": order.partner_invoice_id.id,
            "partner_shipping_id": order.partner_shipping_id.id,
            "company_id": order.company_id.id,
            "pricelist_id": order.pricelist_id.id,
            "client_order_ref": order.client_order_ref,
            "origin": f"bench floor {order.client_order_ref}",
            "date_order": order.date_order.isoformat(sep=" "),
            "note": order.note or False,
            "shopify_financial_status": order.shopify_financial_status,
            "shopify_discount_codes": order.shopify_discount_codes,
            "order_line": [(0, 0, {
                "product_id": line.product_id.id,
                "name": line.name,
                "product_uom_qty": line.product_uom_qty,
                "price_unit": line.price_unit,
                "discount": line.discount,
                "tax_id": [(6, 0, line.tax_id.ids)],
                "is_delivery": line.is_delivery,
                "shopify_line_item_gid": line.shopify_line_item_gid,
            }) for line in order.order_line],
        })
    return values


def print_profile(prefix, side, top=25):
    files = sorted(str(path) for path in Path(prefix).parent.glob(f"{Path(prefix).name}.{side}.*"))
    if not files:
        return
    say(f"cProfile of the {side} workers ({len(files)} files), top {top} by cumulative time:")
    stats = pstats.Stats(*files)
    stats.sort_stats("cumulative").print_stats(top)


def run_floor(args, registry, workdir, values, import_total):
    """The same orders created and confirmed by the ORM: (seconds, problems)."""
    extra = ["--profile", args.profile] if args.profile else []
    files = []
    for index in range(args.workers):
        path = Path(workdir) / f"floor-{index}.json"
        path.write_text(json.dumps(values[index::args.workers]))
        files.append(["--values", str(path), *extra])
    floor = run_workers(args, "floor-worker", files)
    floor_s = floor["seconds"]
    say(f"floor: {args.workers} worker process(es) created and confirmed {floor['split']} orders in {floor_s:.1f}s; "
        + describe(floor, args))
    with registry.cursor() as cr:
        cr.execute("""SELECT count(*), count(*) FILTER (WHERE state = 'sale'), sum(amount_total) FROM sale_order
                       WHERE origin LIKE 'bench floor %%'""")
        floor_count, floor_confirmed, floor_total = cr.fetchone()
    say(f"floor: {floor_count} sale orders, {floor_confirmed} confirmed, total {floor_total:.2f} "
        f"(import {import_total:.2f})")
    if (floor_count, floor_confirmed) != (args.orders, args.orders) or abs(floor_total - import_total) > 0.01:
        return floor_s, ["the floor did not make the same confirmed orders"]
    return floor_s, []


# ----------------------------------------------------------------------
def run_bench(args, workdir):
    odoo, registry = _odoo.registry(args.db)
    from sandbox import ShopifySandbox

    # Rate limit lifted: the bench measures Odoo's work, not Shopify's pacing (see the docstring).
    shop = ShopifySandbox(args.products, customers=40, seed=1, bucket_max=10**9, restore_rate=10**9)
    shop.start(host="127.0.0.1", port=args.port)
    try:
        started = time.monotonic()
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            backend, orders, lines = setup(env, shop, args)
            args.backend_id = backend.id
            cr.execute("SELECT count(*) FROM res_partner")
            partners_before = cr.fetchone()[0]
            for order in orders:
                backend._shopify_enqueue_order(order["id"])
            cr.commit()
        say(f"setup {time.monotonic() - started:.0f}s: {len(shop.store.variants)} products, {len(orders)} orders "
            f"({lines / len(orders):.2f} lines each with shipping), their partners created, {len(orders)} "
            f"order_import jobs queued; sandbox at {shop.url}")

        extra = ["--profile", args.profile] if args.profile else []
        imported = run_workers(args, "import-worker", [extra] * args.workers)
        import_s = imported["seconds"]
        say(f"import: {args.workers} worker process(es) ran {imported['split']} jobs in {import_s:.1f}s; "
            f"sandbox (bench process) CPU {imported['bench_cpu']:.1f}s; " + describe(imported, args))
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            backend = backend.with_env(env)
            problems = check_import(env, backend, orders)
            cr.execute("SELECT count(*) FROM res_partner")
            created = cr.fetchone()[0] - partners_before
            if created:
                problems.append(f"the import created {created} partners (expected 0: mapped beforehand)")
            values = floor_values(env, backend)
            cr.execute("SELECT sum(amount_total) FROM sale_order WHERE shopify_backend_id = %s", [backend.id])
            import_total = cr.fetchone()[0]
    finally:
        shop.stop()

    floor_s, floor_problems = run_floor(args, registry, workdir, values, import_total)
    problems += floor_problems

    if args.profile:
        print_profile(args.profile, "import")
        print_profile(args.profile, "floor")
    ratio = import_s / floor_s
    print()
    print(f"{'side':<58}{'s':>8}{'orders/s':>10}")
    print(f"{f'import: order_import jobs, _process_queue x{args.workers}':<58}{import_s:>8.1f}"
          f"{args.orders / import_s:>10.1f}")
    print(f"{f'floor: sale.order.create + action_confirm x{args.workers}':<58}{floor_s:>8.1f}"
          f"{args.orders / floor_s:>10.1f}")
    for problem in problems:
        say(f"FAIL: {problem}")
    say(f"import takes {ratio:.2f}x the floor's time")
    verdict = "PASS" if ratio <= TARGET and not problems else "FAIL"
    print(f"RESULT {NAME} {ratio:.2f} x target <= {TARGET:g} {verdict}", flush=True)
    return 0 if verdict == "PASS" else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2, help="worker processes on each side (default 2)")
    parser.add_argument("--batch-size", type=int,
                        help="the backend's batch size (jobs per transaction; default: the backend's, 100)")
    parser.add_argument("--products", type=int, default=200, help="sandbox products (default 200)")
    parser.add_argument("--db", default=os.environ.get("BENCH_ORDERS_DB", "bench_orders"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_ORDERS_PORT", "18200")),
                        help="the Shopify sandbox's port; the installing Odoo gets the one above")
    parser.add_argument("--keep-db", action="store_true", help="keep the database for inspection")
    parser.add_argument("--no-install", action="store_true", help="reuse the database as it is (debugging)")
    parser.add_argument("--profile", help="cProfile every worker into PREFIX.<side>.<pid> and print a summary")
    parser.add_argument("--role", help=argparse.SUPPRESS)
    parser.add_argument("--backend-id", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--values", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role:
        {"import-worker": child_import_worker, "floor-worker": child_floor_worker}[args.role](args)
        return 0

    os.chdir(_odoo.ROOT)
    say(f"{args.orders} orders, {args.workers} worker process(es) per side, batch size {args.batch_size or 'default'},"
        f" {os.cpu_count()} cores")

    def install_and_run():
        with tempfile.TemporaryDirectory(prefix="bench-orders-") as workdir:
            if not args.no_install:
                _odoo.fresh_database(args.db, "sync_shopify", args.port + 1, say)
            return run_bench(args, workdir)

    try:
        return _odoo.run_reporting_failure(NAME, f"0 x target <= {TARGET:g}", install_and_run, say)
    finally:
        if not args.keep_db:
            with contextlib.suppress(Exception):
                _odoo.drop_database(args.db)


if __name__ == "__main__":
    sys.exit(main())
