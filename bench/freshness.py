#!/usr/bin/env python3
"""freshness: how fast orders, stock and CRM edits cross over while bulk work runs, against real Odoo servers.

One fresh database (``--db``, default ``bench_freshness``) with sync_shopify and sync_hubspot, set up as
``bench/soak`` sets it up (its sandboxes, backends, webhooks and crons), plus the bulk work the live
traffic must not wait behind: a catalogue export of ``--catalogue`` new products (default 5,000) and a
HubSpot initial load of ``--crm-load`` customers (default 20,000), queued before the server starts.
One real ``odoo server`` (``--workers=2``, two cron threads) serves the webhooks and runs the crons.

Traffic, Poisson arrivals, for ``--minutes`` (default 30), the platforms' faults on (5xx share, a 429
storm each minute, webhooks delivered twice and out of order):

- Shopify orders created in the sandbox (``--orders-per-minute``, 30), delivered as webhooks;
- stock changes made in Odoo (``--stock-per-minute``, 120) through ``stock.quant``, the path every
  move takes, each in its own committed transaction, as staff and Odoo's own code make them;
- CRM edits in the HubSpot sandbox (``--crm-per-minute``, 20), a contact's phone.

Measured, from the database and the sandboxes' request logs (p50 / p95 / max, and p95 per 5-minute
window, to show whether it grows):

- order: the order's creation in Shopify -> its first import done (the import confirms the sale order);
- stock: the change's commit in Odoo -> the first stock write Shopify accepted for that item after it
  (a change netted out by the next one needs no write and is counted apart);
- CRM: the HubSpot edit -> the first import of that contact claimed after the edit, done.

Counted: orders and CRM edits lost or duplicated (as bench/soak counts them), Shopify levels that differ
from Odoo's after the settle, and Odoo operations that failed: a stock change whose transaction failed,
or whose Sync part the flow guard had to drop (logged by ``sync_base.flows``).
Targets: orders p95 <= 5 s, stock p95 <= 10 s, CRM p95 <= 30 s, 0 lost, 0 duplicated, 0 failed.
Last line: ``RESULT freshness <order p95> s target <= 5 PASS|FAIL`` (FAIL when any target is missed).

Run from the project root: ``bench/freshness [--minutes 30] [--catalogue 5000] [--crm-load 20000]``.
"""

import logging
import sys
import tempfile
import time
from pathlib import Path

import _odoo
import soak

NAME = "freshness"
ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"order": 5.0, "stock": 10.0, "crm": 30.0}  # p95, seconds


def say(message):
    print(f"[{NAME}] {time.strftime('%H:%M:%S')} {message}", flush=True)


class FlowFailures(logging.Handler):
    """Counts what the suite's guard in Odoo's flows had to drop (``sync_base.flows`` logs it)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


# ----------------------------------------------------------------------
# Bulk work queued before the traffic
# ----------------------------------------------------------------------
def queue_catalogue(env, backend, count):
    """``count`` new published products, their exports queued (catalogue priority)."""
    Template = env["product.template"].with_context(tracking_disable=True)
    templates = Template.browse()
    for start in range(0, count, 1000):
        templates |= Template.create([
            {"name": f"Freshness product {n}", "default_code": f"FRESH-{n}", "list_price": 10.0 + n % 50,
             "shopify_publish": True, "is_storable": True}
            for n in range(start, min(start + 1000, count))
        ])
    backend._shopify_queue_templates(templates)
    return len(templates)


def queue_crm_load(env, backend, count):
    """``count`` new customers, their HubSpot initial export queued (the connector's own enqueue)."""
    Partner = env["res.partner"].with_context(sync_hubspot_no_export=True, tracking_disable=True)
    for start in range(0, count, 1000):
        Partner.create([
            {"name": f"Freshness customer {n}", "email": f"fresh{n}@example.com", "customer_rank": 1}
            for n in range(start, min(start + 1000, count))
        ])
    return len(backend._hubspot_enqueue_initial_export())


# ----------------------------------------------------------------------
def setup(args, odoo_registry, sandboxes, base_url):
    (odoo, registry), (shop, hub) = odoo_registry, sandboxes
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        shopify, location, product_ids, stock_location = soak.setup_shopify(env, shop, base_url)
        hubspot = soak.setup_hubspot(env, hub)
        soak.production_crons(env, args.reconcile_minutes)
        cr.commit()
        started = time.monotonic()
        exports = queue_catalogue(env, shopify, args.catalogue)
        loads = queue_crm_load(env, hubspot, args.crm_load)
        cr.commit()
        say(f"bulk work queued in {time.monotonic() - started:.0f} s: {exports} product exports, "
            f"{loads} customer exports")
    return (shopify.id, hubspot.id), location, product_ids, stock_location


def measure(odoo_registry, traffic, backends, location):
    odoo, registry = odoo_registry
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        # The traffic's products: the catalogue's new ones are bulk work, still under way in a short run.
        return soak.count(env, traffic, backends, location, stock_products=traffic.product_ids)


def run(args):
    sys.path.insert(0, str(ROOT))
    _odoo.fresh_database(args.db, "sync_shopify,sync_hubspot", args.port + 2, say)
    odoo, registry = _odoo.registry(args.db)
    shop, hub = soak.start_sandboxes(args)
    flow_failures = FlowFailures()
    logging.getLogger("odoo.addons.sync_base.flows").addHandler(flow_failures)
    base_url = f"http://127.0.0.1:{args.port}"
    logfile = Path(tempfile.mkdtemp(prefix="freshness-")) / "odoo.log"
    try:
        backends, location, product_ids, stock_location = setup(args, (odoo, registry), (shop, hub), base_url)
        hub.webhook_target_url = f"{base_url}/sync_hubspot/webhook/{backends[1]}"
        odoo_args = [
            "-d", args.db, f"--db-filter=^{args.db}$", *_odoo.db_args(), f"--addons-path={_odoo.addons_path()}",
            f"--workers={args.workers}", f"--max-cron-threads={args.cron_threads}", "--http-interface=127.0.0.1",
            f"--http-port={args.port}", f"--gevent-port={args.port + 1}", "--log-level=warn",
            "--limit-time-real-cron=600",
        ]
        with _odoo.OdooServer(Path(__file__).resolve(), odoo_args, logfile) as server:
            soak.wait_port(args.port, server)
            say(f"Odoo server --workers={args.workers} --max-cron-threads={args.cron_threads} on {base_url} "
                f"(log {logfile}); {args.minutes:g} min of traffic")
            traffic = soak.Traffic(args, (odoo, registry), (shop, hub), (product_ids, stock_location))
            traffic.run(server)
            say("traffic stopped, faults off; settling")
            settled = soak.settle(registry, odoo, traffic, backends, time.monotonic() + args.settle_minutes * 60)
            say("settled" if settled else f"not settled after {args.settle_minutes} min")
            figures = measure((odoo, registry), traffic, backends, location)
    finally:
        shop.stop()
        hub.stop()
        if not args.keep_db:
            _odoo.drop_database(args.db)
    return report(figures, traffic, flow_failures.messages)


def report(figures, traffic, flow_failures):
    soak.report(figures)
    p95 = {kind: soak.describe(kind, timed, figures["traffic_started"])[0] for kind, timed in figures["timed"].items()}
    failed = traffic.failed_operations + flow_failures
    say(f"Odoo operations that failed or lost their Sync part: {len(failed)} of {traffic.stock_changes + len(failed)}")
    for message in failed[:5]:
        say(f"  {message[:200]}")
    lost = figures["orders_lost"] + figures["crm_lost"] + figures["stock_levels_wrong"]
    duplicated = figures["orders_duplicated"] + figures["crm_duplicated"]
    checks = {f"{kind} p95 <= {TARGETS[kind]:g} s": p95[kind] <= TARGETS[kind] for kind in TARGETS}
    checks.update({"0 lost": lost == 0, "0 duplicated": duplicated == 0, "0 failed Odoo operations": not failed})
    say("targets: " + ", ".join(f"{name} {'ok' if ok else 'MISSED'}" for name, ok in checks.items()))
    passed = all(checks.values())
    print(f"RESULT {NAME} {p95['order']:.1f} s target <= {TARGETS['order']:g} {'PASS' if passed else 'FAIL'}",
          flush=True)
    return 0 if passed else 1


def main(argv=None):
    parser = soak.traffic_parser(
        NAME, 18280, __doc__.splitlines()[0], minutes=30.0, settle_minutes=10.0, orders_per_minute=30.0,
        stock_per_minute=120.0, crm_per_minute=20.0, error_rate=0.05, storm_seconds=3.0, reconcile_minutes=5, seed=29,
    )
    parser.add_argument("--catalogue", type=int, default=5000, help="products exported in the background")
    parser.add_argument("--crm-load", type=int, default=20000, help="customers of the background initial load")
    return soak.main_of(run, parser, argv)


if __name__ == "__main__":
    sys.exit(main())
