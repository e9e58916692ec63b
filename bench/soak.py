#!/usr/bin/env python3
"""soak: mixed Shopify + HubSpot traffic with faults on, against real Odoo server processes, for an hour.

One fresh database (``--db``, default ``bench_soak``) with sync_shopify and sync_hubspot. The
Shopify and HubSpot sandboxes run in this process; one real ``odoo server`` (``--workers=2``,
two cron threads) serves their webhooks and runs the crons, as in production.

Traffic, for ``--minutes`` (default 60):

- Shopify orders created in the sandbox (``--orders-per-minute``, a few cancelled or refunded),
  delivered to Odoo as webhooks; the reconcile cron lists what the webhooks missed.
- Stock changes made in Odoo (``stock.quant._update_available_quantity``, the path every move
  takes), pushed to Shopify by the realtime stock push.
- CRM edits in the HubSpot sandbox (a contact's phone), delivered as webhooks and caught by the
  poll cron.
- Faults on both sandboxes the whole time: a share of 5xx answers (``--error-rate``), a 429 /
  THROTTLED storm of ``--storm-seconds`` every minute, every webhook delivered twice and in
  swapped pairs.

Then the faults stop and the system settles (``--settle-minutes`` at most). Counted from the
database and the sandboxes: orders in / imported / duplicated / lost, CRM edits in / applied /
lost, Odoo partners bound twice to one contact, Shopify stock levels that differ from Odoo's,
failed jobs, stock changes Odoo refused, and latencies (p50 / p95 / max, as bench/freshness measures
them): a Shopify order's creation to its sale order (the first import job of that order done), an
Odoo stock change to Shopify's level written, a HubSpot edit to the Odoo partner. Last line:
``RESULT soak <lost + duplicated> lost+duplicated target == 0 PASS|FAIL``.

Run from the project root: ``bench/soak [--minutes 60] [--port 18260] [--db bench_soak] [--keep-db]``.
"""

import argparse
import bisect
import datetime
import json
import os
import random
import signal
import socket
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import _odoo

NAME = "soak"
ROOT = Path(__file__).resolve().parent.parent
STOCK_START = 50
WINDOW = 300  # seconds per window when latencies are shown over time


def say(message):
    print(f"[{NAME}] {time.strftime('%H:%M:%S')} {message}", flush=True)


# ----------------------------------------------------------------------
# Setup (in this process, committed before the server starts)
# ----------------------------------------------------------------------
def start_sandboxes(args):
    from sandbox import HubSpotSandbox, ShopifySandbox

    shop = ShopifySandbox(args.products, customers=40, seed=args.seed, bucket_max=2000, restore_rate=100,
                          webhook_retry_delays=(1, 2, 5, 10, 20))
    shop.start(host="127.0.0.1", port=0)
    shop.execute("query Warm { shop { name } }")  # the schema is built once, outside the run
    hub = HubSpotSandbox(seed=args.seed, contacts=args.contacts, companies=0, deals=0, rate_limit=150,
                         window_seconds=10)
    hub.start(host="127.0.0.1", port=0)
    hub.webhooks.retry_delays = (1, 2, 5, 10, 20)
    return shop, hub


def setup_shopify(env, shop, base_url):
    """Backend, EUR, 20 % tax, a product per SKU with stock, stock rows, webhook subscriptions."""
    eur = env.ref("base.EUR")
    eur.active = True
    env["product.pricelist"].create({"name": "Shopify EUR", "currency_id": eur.id})
    vat = env["account.tax"].create({"name": "Shopify VAT 20%", "amount": 20.0, "amount_type": "percent",
                                     "type_tax_use": "sale", "company_id": env.company.id})
    location = next(iter(shop.store.locations))
    variants = [v for v in shop.store.variants.values() if v.get("sku")]
    products = env["product.product"].with_context(tracking_disable=True).create([
        {"name": v["sku"], "default_code": v["sku"], "is_storable": True, "list_price": float(v["price"])}
        for v in variants
    ])
    warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
    env["ir.config_parameter"].set_param("web.base.url", base_url)
    backend = env["sync.backend"].create({
        "name": "Soak Shopify", "code": "shopify", "api_url": shop.url, "shopify_shop_domain": shop.shop_domain,
        "api_token": shop.access_token, "webhook_secret": shop.app_secret, "restrict_heavy_to_window": False,
        "max_attempts": 12, "shopify_auto_confirm": True, "state": "connected",
        "shopify_tax_map_ids": [(0, 0, {"name": "VAT", "rate": 20.0, "tax_id": vat.id})],
        "shopify_location_ids": [(0, 0, {"name": "Main", "shopify_gid": location,
                                         "location_ids": [(6, 0, warehouse.lot_stock_id.ids)]})],
    })
    stocked = [(product, v) for product, v in zip(products, variants, strict=True)
               if (v["_inventory_item_id"], location) in shop.store.levels]
    env.cr.execute(
        """INSERT INTO sync_shopify_stock (backend_id, product_id, shopify_location_id, inventory_item_gid,
                                          last_quantity, quantity_known, revision, dirty)
           SELECT %s, p, %s, g, q, TRUE, 0, TRUE FROM unnest(%s::int[], %s::varchar[], %s::int[]) AS t(p, g, q)""",
        [backend.id, backend.shopify_location_ids.id, [p.id for p, _v in stocked],
         [v["_inventory_item_id"] for _p, v in stocked],
         [shop.store.levels[(v["_inventory_item_id"], location)]["_quantities"]["available"] for _p, v in stocked]],
    )
    for product, _variant in stocked:
        env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, STOCK_START)
    backend._shopify_ensure_webhooks()  # the connector's own subscriptions, to web.base.url
    return backend, location, [product.id for product, _v in stocked], warehouse.lot_stock_id.id


def setup_hubspot(env, hub):
    backend = env["sync.backend"].create({
        "name": "Soak HubSpot", "code": "hubspot", "api_url": hub.url, "api_token": hub.token,
        "webhook_secret": hub.client_secret, "restrict_heavy_to_window": False, "max_attempts": 12,
    })
    backend._hubspot_setup()
    backend.state = "connected"
    return backend


def production_crons(env, reconcile_minutes):
    """Every cron due now; the reconcile and the poll every ``reconcile_minutes`` so a short run sees them."""
    now = datetime.datetime.utcnow().replace(microsecond=0)
    for xmlid in ("sync_base.ir_cron_sync_job_process", "sync_base.ir_cron_sync_job_recover",
                  "sync_shopify.ir_cron_shopify_reconcile_orders", "sync_hubspot.ir_cron_sync_hubspot_poll"):
        cron = env.ref(xmlid, raise_if_not_found=False)
        if not cron:
            say(f"no cron {xmlid}: skipped")
            continue
        values = {"nextcall": now, "active": True}
        if "reconcile" in xmlid or "poll" in xmlid:
            values.update(interval_number=reconcile_minutes, interval_type="minutes")
        cron.write(values)


# ----------------------------------------------------------------------
# Traffic (this process) while the server works
# ----------------------------------------------------------------------
class Traffic:
    def __init__(self, args, odoo_registry, sandboxes, stock):
        self.args, (self.odoo, self.registry), (self.shop, self.hub) = args, odoo_registry, sandboxes
        self.product_ids, self.location_id = stock
        self.rng = random.Random(args.seed)
        self.orders = {}  # Shopify order gid -> creation time (epoch)
        self.phones = {}  # HubSpot contact id -> last phone set
        self.stock_changes = 0
        self.crm_edits = 0
        self.contacts = [contact["id"] for contact in self.hub.store.objects["contacts"].values()]
        self.stock_log = []  # (commit time, product id)
        self.crm_log = []  # (edit time, contact id)
        self.failed_operations = []  # stock changes Odoo refused: what the suite must never cause
        self.started_at = time.time()

    def order(self):
        created = self.shop.generate_orders(1, seed=self.rng.random(), cancel_rate=0.05, refund_rate=0.05)[0]
        self.orders[created["id"]] = time.time()

    def stock(self):
        product_id = self.rng.choice(self.product_ids)
        try:
            with self.registry.cursor() as cr:
                env = self.odoo.api.Environment(cr, self.odoo.SUPERUSER_ID, {})
                env["stock.quant"]._update_available_quantity(
                    env["product.product"].browse(product_id), env["stock.location"].browse(self.location_id),
                    self.rng.choice([-2, -1, 1, 2, 3]),
                )
                cr.commit()
        except Exception as error:  # noqa: BLE001 - an Odoo operation that failed is a figure of the run
            self.failed_operations.append(f"{type(error).__name__}: {error}")
            return
        self.stock_changes += 1
        self.stock_log.append((time.time(), product_id))

    def crm(self):
        contact = self.rng.choice(self.contacts)
        self.crm_edits += 1
        phone = f"+1 555 {self.crm_edits:04d}"
        edited = time.time()
        self.hub.update_object("contacts", contact, {"phone": phone})
        self.phones[contact] = phone
        self.crm_log.append((edited, str(contact)))

    def faults(self, storm):
        for server in (self.shop, self.hub):
            server.faults.set(error_rate=self.args.error_rate, throttle_storm=storm, duplicate_webhooks=True,
                              out_of_order_webhooks=True)

    def run(self, server):
        """Everything at its own pace until ``--minutes`` have passed."""
        per_second = {"order": self.args.orders_per_minute / 60, "stock": self.args.stock_per_minute / 60,
                      "crm": self.args.crm_per_minute / 60}
        started = time.monotonic()
        self.started_at = time.time()
        end = started + self.args.minutes * 60
        due = dict.fromkeys(per_second, started)
        next_report = started + 60
        while time.monotonic() < end:
            now = time.monotonic()
            # A storm of --storm-seconds at the start of every minute.
            self.faults(storm=(now - started) % 60 < self.args.storm_seconds)
            for kind, rate in per_second.items():
                if rate and now >= due[kind]:
                    getattr(self, kind)()
                    due[kind] = now + self.rng.expovariate(rate)
            if now >= next_report:
                server.check()
                say(f"{len(self.orders)} orders, {self.stock_changes} stock changes, {self.crm_edits} CRM edits")
                next_report += 60
            time.sleep(0.05)
        for sandbox in (self.shop, self.hub):
            sandbox.faults.clear()


# ----------------------------------------------------------------------
# Settling and counting
# ----------------------------------------------------------------------
def open_work(env):
    """Jobs not finished, and webhook deliveries (Shopify's events, the shared inbox) not taken in yet."""
    env.cr.execute("""SELECT (SELECT count(*) FROM sync_job WHERE state IN ('pending', 'running'))
                           + (SELECT count(*) FROM sync_shopify_webhook WHERE state = 'received')
                           + (SELECT count(*) FROM sync_webhook_delivery WHERE state = 'received')""")
    return env.cr.fetchone()[0]


def settle(registry, odoo, traffic, backends, deadline):
    """Final reconcile, poll and push queued; wait until nothing is left to do or ``deadline``."""
    shopify_id, hubspot_id = backends
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        env["sync.backend"].browse(shopify_id)._enqueue(
            "order_reconcile", direction="import", category="order", dedup_key="shopify_order_reconcile")
        env["sync.backend"].browse(shopify_id)._shopify_queue_stock_push()
        env["sync.backend"].browse(hubspot_id)._enqueue(
            "poll", direction="import", category="customer", dedup_key="hubspot_poll")
        env.ref("sync_base.ir_cron_sync_job_process")._trigger()
        cr.commit()
    quiet_since = None
    while time.monotonic() < deadline:
        idle = traffic.shop.webhooks.drain(1) and traffic.hub.webhooks.drain(1)
        with registry.cursor() as cr:
            left = open_work(odoo.api.Environment(cr, odoo.SUPERUSER_ID, {}))
        if idle and not left:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since > 5:
                return True
        else:
            quiet_since = None
        time.sleep(2)
    return False


def count(env, traffic, backends, shop_location, stock_products=None):
    """Figures of the run; Shopify levels of ``stock_products`` only when given (default: every row)."""
    shopify_id, hubspot_id = backends
    cr = env.cr
    figures = {}
    # Orders: one sale order and one binding per Shopify order.
    names = {gid: traffic.shop.store.orders[gid]["name"] for gid in traffic.orders}
    cr.execute("SELECT client_order_ref, count(*) FROM sale_order WHERE shopify_backend_id = %s GROUP BY 1",
               [shopify_id])
    refs = dict(cr.fetchall())
    cr.execute("SELECT external_id, count(*) FROM sync_binding WHERE backend_id = %s AND res_model = 'sale.order' "
               "GROUP BY 1", [shopify_id])
    bound = dict(cr.fetchall())
    figures["orders_in"] = len(names)
    figures["orders_done"] = sum(1 for gid, name in names.items() if refs.get(name) and bound.get(gid))
    figures["orders_duplicated"] = sum(max(refs.get(name, 0) - 1, 0) + max(bound.get(gid, 0) - 1, 0)
                                       for gid, name in names.items())
    figures["orders_lost"] = figures["orders_in"] - figures["orders_done"]
    # Time from a Shopify order's creation to its first import done.
    orders_timed = order_latencies(cr, traffic, shopify_id)
    latencies = sorted(latency for _created, latency in orders_timed)
    figures["latency_p50"] = percentile(latencies, 50)
    figures["latency_p95"] = percentile(latencies, 95)
    stock_timed, figures["stock_netted"] = stock_latencies(cr, traffic, shopify_id)
    figures["timed"] = {"order": orders_timed, "stock": stock_timed, "crm": crm_latencies(cr, traffic, hubspot_id)}
    figures["traffic_started"] = traffic.started_at
    figures["failed_operations"] = traffic.failed_operations
    # CRM: the partner bound to each edited contact has the phone HubSpot has last.
    cr.execute("SELECT b.external_id, count(*), max(p.phone) FROM sync_binding b JOIN res_partner p ON p.id = b.res_id "
               "WHERE b.backend_id = %s AND b.res_model = 'res.partner' GROUP BY 1", [hubspot_id])
    partners = {row[0]: row[1:] for row in cr.fetchall()}
    figures["crm_edits_in"] = traffic.crm_edits
    figures["crm_contacts_edited"] = len(traffic.phones)
    figures["crm_done"] = sum(1 for cid, phone in traffic.phones.items()
                              if partners.get(str(cid), (0, None))[1] == phone)
    figures["crm_lost"] = figures["crm_contacts_edited"] - figures["crm_done"]
    figures["crm_duplicated"] = sum(max(partners.get(str(cid), (0,))[0] - 1, 0) for cid in traffic.phones)
    # Stock: every Shopify level is what Odoo publishes now.
    backend = env["sync.backend"].browse(shopify_id)
    cr.execute("SELECT id FROM sync_shopify_stock WHERE backend_id = %s AND (%s OR product_id = ANY(%s))",
               [shopify_id, stock_products is None, list(stock_products or [])])
    rows = backend._shopify_stock_rows([row[0] for row in cr.fetchall()])
    available = backend._shopify_available(rows)
    levels = traffic.shop.store.levels
    figures["stock_changes_in"] = traffic.stock_changes
    wrong = [row for row in rows
             if levels[(row.item_gid, shop_location)]["_quantities"]["available"] != available[row.id]]
    figures["stock_levels_wrong"] = len(wrong)
    figures["stock_wrong_examples"] = []
    for row in wrong[:5]:
        cr.execute("SELECT dirty, last_error FROM sync_shopify_stock WHERE id = %s", [row.id])
        dirty, error = cr.fetchone()
        figures["stock_wrong_examples"].append(
            f"{row.item_gid}: Shopify {levels[(row.item_gid, shop_location)]['_quantities']['available']}, Odoo "
            f"{available[row.id]}, last sent {row.last_quantity}, still to push: {dirty}, error: {error or '-'}")
    # Jobs and deliveries.
    cr.execute("SELECT state, count(*) FROM sync_job GROUP BY 1")
    figures["jobs"] = dict(cr.fetchall())
    cr.execute("SELECT operation, failure_reason FROM sync_job WHERE state = 'failed' ORDER BY id LIMIT 5")
    figures["failed_examples"] = cr.fetchall()
    cr.execute("SELECT count(*) FROM sync_exchange WHERE status_code >= 500 OR status_code = 429 OR error IS NOT NULL"
               " OR response_body LIKE '%%THROTTLED%%'")
    figures["exchanges_faulted"] = cr.fetchone()[0]
    for name, sandbox in (("shopify", traffic.shop), ("hubspot", traffic.hub)):
        deliveries = list(sandbox.webhooks.deliveries)
        figures[f"{name}_deliveries"] = len(deliveries)
        figures[f"{name}_deliveries_given_up"] = sum(1 for d in deliveries if d["gave_up"])
    return figures


def utc_epoch(value):
    return value.replace(tzinfo=datetime.timezone.utc).timestamp()


def order_latencies(cr, traffic, shopify_id):
    cr.execute("SELECT external_id, min(done_at) FROM sync_job WHERE backend_id = %s AND operation = 'order_import' "
               "AND state = 'done' GROUP BY 1", [shopify_id])
    done_at = dict(cr.fetchall())
    return [(created, utc_epoch(done_at[gid]) - created) for gid, created in traffic.orders.items() if done_at.get(gid)]


def stock_writes(shop):
    """{inventory item gid: sorted times of stock writes Shopify accepted for it}."""
    times = defaultdict(list)
    for request in list(shop.requests):
        if request.get("status") != 200 or "inventorySetQuantities" not in request["body"]:
            continue
        body = json.loads(request["body"])
        if "errors" in body:
            continue
        for quantity in body.get("variables", {}).get("input", {}).get("quantities", []):
            times[quantity["inventoryItemId"]].append(request["time"])
    return {item: sorted(values) for item, values in times.items()}


def stock_latencies(cr, traffic, shopify_id):
    """``(latencies, netted)``: per change, its time to the next accepted write of its item."""
    cr.execute("SELECT product_id, inventory_item_gid FROM sync_shopify_stock WHERE backend_id = %s", [shopify_id])
    items = dict(cr.fetchall())
    writes = stock_writes(traffic.shop)
    latencies, netted = [], 0
    for changed, product_id in traffic.stock_log:
        times = writes.get(items.get(product_id), [])
        index = bisect.bisect_left(times, changed)
        if index < len(times):
            latencies.append((changed, times[index] - changed))
        else:
            netted += 1  # no write after it: Shopify already had the figure (checked by the level count)
    return latencies, netted


def crm_latencies(cr, traffic, hubspot_id):
    cr.execute("SELECT external_id, started_at, done_at FROM sync_job WHERE backend_id = %s "
               "AND operation = 'contact_import' AND state = 'done'", [hubspot_id])
    runs = defaultdict(list)
    for contact, started, done in cr.fetchall():
        runs[contact].append((utc_epoch(started), utc_epoch(done)))
    latencies = []
    for edited, contact in traffic.crm_log:
        after = sorted(done for started, done in runs.get(contact, []) if started >= edited)
        if after:
            latencies.append((edited, after[0] - edited))
    return latencies


def describe(kind, timed, started):
    """``(p95, line)`` of ``[(event time, latency)]``, with the p95 of each window."""
    values = sorted(latency for _at, latency in timed)
    if not values:
        return float("inf"), f"{kind}: no measurement"
    windows = defaultdict(list)
    for at, latency in timed:
        windows[int((at - started) // WINDOW)].append(latency)
    per_window = ", ".join(f"{percentile(sorted(windows[w]), 95):.1f}" for w in sorted(windows))
    p95 = percentile(values, 95)
    return p95, (f"{kind}: {len(values)} measured, p50 {percentile(values, 50):.1f} s, p95 {p95:.1f} s, "
                 f"max {values[-1]:.1f} s; p95 per {WINDOW // 60}-minute window: {per_window}")


def percentile(values, rank):
    if not values:
        return float("nan")
    return values[min(len(values) - 1, max(0, round(rank / 100 * len(values) + 0.5) - 1))]


def report(figures):
    jobs = figures["jobs"]
    say(f"orders: {figures['orders_in']} in, {figures['orders_done']} imported once, "
        f"{figures['orders_duplicated']} duplicated, {figures['orders_lost']} lost")
    say(f"CRM: {figures['crm_edits_in']} edits of {figures['crm_contacts_edited']} contacts, "
        f"{figures['crm_done']} contacts with HubSpot's last value, {figures['crm_lost']} lost, "
        f"{figures['crm_duplicated']} bound twice")
    say(f"stock: {figures['stock_changes_in']} changes in Odoo, {figures['stock_levels_wrong']} Shopify levels "
        f"differ from Odoo's; {len(figures['failed_operations'])} stock changes failed in Odoo; "
        f"{figures['stock_netted']} netted out by the next one (no write needed)")
    say("latency: order = Shopify creation -> sale order; stock = Odoo change -> Shopify level written; "
        "crm = HubSpot edit -> Odoo partner")
    for kind, timed in figures["timed"].items():
        say("  " + describe(kind, timed, figures["traffic_started"])[1])
    for example in figures["stock_wrong_examples"]:
        say(f"  wrong level {example}")
    say(f"jobs: {jobs.get('done', 0)} done, {jobs.get('failed', 0)} failed, "
        f"{jobs.get('pending', 0) + jobs.get('running', 0)} not finished; {figures['exchanges_faulted']} faulted "
        "calls in the exchange log")
    for operation, reason in figures["failed_examples"]:
        say(f"  failed {operation}: {(reason or '').splitlines()[0][:200] if reason else ''}")
    say(f"webhooks: Shopify {figures['shopify_deliveries']} deliveries ({figures['shopify_deliveries_given_up']} "
        f"given up), HubSpot {figures['hubspot_deliveries']} ({figures['hubspot_deliveries_given_up']} given up)")


# ----------------------------------------------------------------------
def wait_port(port, server, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        server.check()
        with socket.socket() as sock:
            if not sock.connect_ex(("127.0.0.1", port)):
                return
        time.sleep(0.5)
    raise SystemExit(f"the Odoo server did not answer on port {port}")


def run(args):
    sys.path.insert(0, str(ROOT))
    _odoo.fresh_database(args.db, "sync_shopify,sync_hubspot", args.port + 2, say)
    odoo, registry = _odoo.registry(args.db)
    shop, hub = start_sandboxes(args)
    workdir = tempfile.mkdtemp(prefix="soak-")
    base_url = f"http://127.0.0.1:{args.port}"
    try:
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            shopify, location, product_ids, stock_location = setup_shopify(env, shop, base_url)
            hubspot = setup_hubspot(env, hub)
            production_crons(env, args.reconcile_minutes)
            backends = (shopify.id, hubspot.id)
            cr.commit()
        hub.webhook_target_url = f"{base_url}/sync_hubspot/webhook/{hubspot.id}"
        say(f"Shopify sandbox {shop.url} ({len(product_ids)} stocked variants), HubSpot sandbox {hub.url} "
            f"({len(hub.store.objects['contacts'])} contacts); {args.minutes} min of traffic")
        odoo_args = [
            "-d", args.db, f"--db-filter=^{args.db}$", *_odoo.db_args(), f"--addons-path={_odoo.addons_path()}",
            f"--workers={args.workers}", f"--max-cron-threads={args.cron_threads}", "--http-interface=127.0.0.1",
            f"--http-port={args.port}", f"--gevent-port={args.port + 1}", "--log-level=warn",
            "--limit-time-real-cron=600",
        ]
        logfile = Path(workdir) / "odoo.log"
        with _odoo.OdooServer(Path(__file__).resolve(), odoo_args, logfile) as server:
            wait_port(args.port, server)
            say(f"Odoo server --workers={args.workers} --max-cron-threads={args.cron_threads} on {base_url} "
                f"(log {logfile})")
            traffic = Traffic(args, (odoo, registry), (shop, hub), (product_ids, stock_location))
            traffic.run(server)
            say("traffic stopped, faults off; settling")
            settled = settle(registry, odoo, traffic, backends, time.monotonic() + args.settle_minutes * 60)
            say("settled" if settled else f"not settled after {args.settle_minutes} min")
            with registry.cursor() as cr:
                figures = count(odoo.api.Environment(cr, odoo.SUPERUSER_ID, {}), traffic, backends, location)
    finally:
        shop.stop()
        hub.stop()
        if not args.keep_db:
            _odoo.drop_database(args.db)
    report(figures)
    lost = figures["orders_lost"] + figures["crm_lost"] + figures["stock_levels_wrong"]
    duplicated = figures["orders_duplicated"] + figures["crm_duplicated"]
    say(f"lost {lost} (orders {figures['orders_lost']}, CRM {figures['crm_lost']}, stock levels "
        f"{figures['stock_levels_wrong']}), duplicated {duplicated}; p95 order latency "
        f"{figures['latency_p95']:.1f} s")
    passed = lost + duplicated == 0
    print(f"RESULT {NAME} {lost + duplicated} lost+duplicated target == 0 {'PASS' if passed else 'FAIL'}",
          flush=True)
    return 0 if passed else 1


TRAFFIC_DEFAULTS = {"minutes": 60.0, "settle_minutes": 6.0, "orders_per_minute": 20.0, "stock_per_minute": 20.0,
                    "crm_per_minute": 12.0, "error_rate": 0.1, "storm_seconds": 5.0, "reconcile_minutes": 2,
                    "seed": 17}


def traffic_parser(name, port, description, **defaults):
    """The options soak and freshness share (traffic, faults, sandboxes, server, database), with ``defaults``."""
    values = dict(TRAFFIC_DEFAULTS, **defaults)
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--minutes", type=float, default=values["minutes"],
                        help=f"traffic duration (default {values['minutes']:g})")
    parser.add_argument("--settle-minutes", type=float, default=values["settle_minutes"],
                        help="longest wait after the traffic")
    for kind in ("orders", "stock", "crm"):
        parser.add_argument(f"--{kind}-per-minute", type=float, default=values[f"{kind}_per_minute"])
    parser.add_argument("--error-rate", type=float, default=values["error_rate"], help="share of 5xx answers")
    parser.add_argument("--storm-seconds", type=float, default=values["storm_seconds"],
                        help="429 storm at each minute's start")
    parser.add_argument("--reconcile-minutes", type=int, default=values["reconcile_minutes"],
                        help="Shopify reconcile and HubSpot poll")
    parser.add_argument("--products", type=int, default=60, help="stocked variants in the sandbox")
    parser.add_argument("--contacts", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cron-threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=values["seed"])
    parser.add_argument("--port", type=int, default=int(os.environ.get(f"BENCH_{name.upper()}_PORT", str(port))),
                        help="HTTP port of the Odoo server (the two above it: gevent, installer)")
    parser.add_argument("--db", default=os.environ.get(f"BENCH_{name.upper()}_DB", f"bench_{name}"))
    parser.add_argument("--keep-db", action="store_true")
    return parser


def main_of(run_benchmark, parser, argv=None):
    """Run the benchmark, or, started as ``--role server -- <odoo arguments>``, the Odoo server it drives."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:2] == ["--role", "server"]:
        return _odoo.serve_without_bus(argv[3:])
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _odoo.raise_interrupt)
    return run_benchmark(args)


def main(argv=None):
    return main_of(run, traffic_parser(NAME, 18260, __doc__.splitlines()[0]), argv)


if __name__ == "__main__":
    sys.exit(main())
