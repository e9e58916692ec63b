#!/usr/bin/env python3
"""webhook_ingest: Shopify webhook deliveries accepted per second against a trivial JSON route, same server.

A fresh database (``--db``, default ``bench_hooks``) gets sync_shopify without demo data and
one Shopify backend with a webhook secret. One real Odoo server serves both routes:
``odoo server --workers=<2 x CPUs + 1>`` (prefork, ``--workers``), no cron thread (only the ingest
is measured), warn-level logging, without the gevent process (``_odoo.OdooServer``).

- webhook: ``POST /sync_shopify/webhook/<backend>``, ``orders/create`` deliveries of about
  1.3 KB (the sandbox's own order payload), each distinct: its own ``X-Shopify-Event-Id`` and
  order id, signed with the app secret (HMAC-SHA256). They are generated in Python before the
  run, one file per round; wrk's Lua script cycles through them, so no delivery repeats unless
  wrk sends more than the file holds (reported; repeats would be deduplicated, not queued twice).
  The endpoint checks the HMAC, stores the event in the inbox the queue reads, answers 200.
  After the load, the queue runner's intake turns the events into their ``order_import``
  jobs, timed alone (the jobs stay pending).
- plain: ``POST /web/webclient/version_info`` (core JSON-RPC route, ``auth="none"``: no core
  route is plainer while still going through the database like the webhook).

wrk (Debian's, installed with apt-get if missing): one thread, ``--connections`` (8),
``--duration`` s (8) per run, runs alternated plain/webhook ``--rounds`` times (6) after a
check of both routes and ``--warmup`` s (5) of unmeasured load on each. Rates count 2xx
answers only. Checks: no non-2xx answer; the requests queued nothing themselves; after the
intake, every stored event is one of ours, has exactly one job and each job one event; stored
events >= accepted deliveries and at most one more per connection per round (requests in
flight when wrk stops are still served).
Last line ``RESULT webhook_ingest <percent> % target >= 80 PASS|FAIL``.

Run from the project root: ``bench/webhook_ingest [--duration S] [--rounds R] [--workers W]``.
"""

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import _odoo

NAME = "webhook_ingest"
TARGET = 80.0
PLAIN_PATH = "/web/webclient/version_info"
PLAIN_BODY = '{"jsonrpc": "2.0", "method": "call", "params": {}}'
ORDER_BASE = 10**9  # order ids of the generated deliveries, far from the sandbox's own
# The server is sized as Odoo's deployment guide says ("rule of thumb: (#CPU * 2) + 1"):
# with one worker per core, a core idles whenever its worker waits on PostgreSQL.
ODOO_WORKERS = 2 * (os.cpu_count() or 1) + 1

WEBHOOK_LUA = r"""
local requests = {}
local counter = 0
init = function(args)
  for line in io.lines(args[2]) do
    local event, signature, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    requests[#requests + 1] = wrk.format("POST", args[1], {
      ["Content-Type"] = "application/json",
      ["X-Shopify-Topic"] = "orders/create",
      ["X-Shopify-Hmac-Sha256"] = signature,
      ["X-Shopify-Event-Id"] = event,
      ["X-Shopify-Webhook-Id"] = event,
      ["X-Shopify-Shop-Domain"] = "sandbox-shop.myshopify.com",
      ["X-Shopify-API-Version"] = "2026-04",
    }, body)
  end
end
request = function()
  counter = counter + 1
  return requests[(counter - 1) % #requests + 1]
end
"""

PLAIN_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '%s'
""" % PLAIN_BODY


def say(message):
    print(f"[{NAME}] {message}", flush=True)


def ensure_wrk():
    if not shutil.which("wrk"):
        say("installing wrk (apt-get install wrk)")
        if subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False).returncode:
            subprocess.run(["apt-get", "update", "-q"], check=True)
            subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True)
    version = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    return (version.stdout or version.stderr).split("[")[0].strip()


# ----------------------------------------------------------------------
# Setup (in the bench process, before the server starts)
# ----------------------------------------------------------------------
def setup(args):
    """The backend (committed) and the order payloads the deliveries are made from."""
    odoo, registry = _odoo.registry(args.db)
    from sandbox import ShopifySandbox
    from sandbox.shopify_webhooks import build_payload

    shop = ShopifySandbox(50, customers=10, seed=1)  # not started: its store makes realistic payloads
    templates = [build_payload(shop.store, "orders/create", order)
                 for order in shop.generate_orders(20, seed=3, cancel_rate=0, refund_rate=0)]
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        backend = env["sync.backend"].create({
            "name": "Webhook bench", "code": "shopify", "api_url": "http://127.0.0.1:9", "api_token": "x",
            "shopify_shop_domain": shop.shop_domain, "webhook_secret": shop.app_secret, "state": "connected",
        })
        backend_id = backend.id
    odoo.sql_db.close_all()
    return backend_id, shop.app_secret, templates


def write_deliveries(path, secret, templates, start, count):
    """``count`` distinct signed deliveries, one a line: event id, HMAC, body (compact JSON, no tab)."""
    from sandbox.core import hmac_b64

    with open(path, "w") as file:
        for index in range(start, start + count):
            payload = dict(templates[index % len(templates)])
            payload["id"] = ORDER_BASE + index
            payload["admin_graphql_api_id"] = f"gid://shopify/Order/{ORDER_BASE + index}"
            body = json.dumps(payload, separators=(",", ":"))
            file.write(f"bench-{index:09d}\t{hmac_b64(secret, body)}\t{body}\n")


# ----------------------------------------------------------------------
# Server and load
# ----------------------------------------------------------------------
def post(url, body, headers, timeout=30):
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, response.read()


def wait_ready(base, server, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        server.check()
        with contextlib.suppress(OSError, urllib.error.URLError):
            status, body = post(base + PLAIN_PATH, PLAIN_BODY, {"Content-Type": "application/json"}, timeout=10)
            if status == 200 and b"server_version" in body:
                return
        time.sleep(1)
    raise SystemExit(f"the Odoo server did not answer {PLAIN_PATH} within {timeout}s")


def run_wrk(args, url, script, *script_args):
    command = ["wrk", "-t1", f"-c{args.connections}", f"-d{args.duration}s", "--timeout", "30s",
               "-s", str(script), url]
    if script_args:
        command += ["--", *script_args]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = re.search(r"(\d+) requests in ([\d.]+)(m?s)", output)
    if not match:
        raise SystemExit(f"unreadable wrk output:\n{output}")
    requests = int(match.group(1))
    seconds = float(match.group(2)) / (1000 if match.group(3) == "ms" else 1)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {
        "requests": requests, "seconds": seconds, "non2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
    }


def take_in(args):
    """The queue runner's intake, after the load: ``(events taken in, seconds)``.

    Claims call it before they lock jobs; called alone here, so the queued jobs stay
    pending for the checks (running them would need a shop).
    """
    odoo, registry = _odoo.registry(args.db)
    taken, started = 0, time.perf_counter()
    with registry.cursor() as cr:
        backend = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})["sync.backend"].browse(args.backend_id)
        while count := backend._queue_received_deliveries():
            taken += count
            cr.commit()
    seconds = time.perf_counter() - started
    odoo.sql_db.close_all()
    return taken, seconds


def check_stored(args, backend_id):
    import psycopg2

    with contextlib.closing(psycopg2.connect(dbname=args.db, **_odoo.pg_params())) as conn, conn.cursor() as cr:
        cr.execute("""SELECT count(*), count(DISTINCT event_id), count(job_id), count(DISTINCT job_id),
                             count(*) FILTER (WHERE event_id NOT LIKE 'bench-%%' AND event_id NOT LIKE 'warm-%%'),
                             count(*) FILTER (WHERE state = 'received')
                        FROM sync_shopify_webhook WHERE backend_id = %s""", [backend_id])
        events, distinct, with_job, distinct_jobs, foreign, received = cr.fetchone()
        cr.execute("""SELECT count(*), count(DISTINCT external_id) FROM sync_job
                       WHERE backend_id = %s AND operation = 'order_import'""", [backend_id])
        jobs, distinct_orders = cr.fetchone()
    return {"events": events, "distinct_events": distinct, "with_job": with_job, "distinct_jobs": distinct_jobs,
            "foreign": foreign, "received": received, "jobs": jobs, "distinct_orders": distinct_orders}


def prepare(args, workdir):
    """Fresh database, backend, delivery files and wrk scripts (``args.backend_id``, ``secret``...)."""
    version = ensure_wrk()
    if not args.no_install:
        _odoo.fresh_database(args.db, "sync_shopify", args.port + 2, say)
    backend_id, secret, templates = setup(args)
    files = []
    for round_index in range(args.rounds + 1):  # the last file is the warm-up's
        path = Path(workdir) / f"deliveries-{round_index}.tsv"
        write_deliveries(path, secret, templates, round_index * args.deliveries, args.deliveries)
        files.append(path)
    (Path(workdir) / "webhook.lua").write_text(WEBHOOK_LUA)
    (Path(workdir) / "plain.lua").write_text(PLAIN_LUA)
    say(f"{version}; {args.rounds + 1} x {args.deliveries} distinct signed deliveries generated")
    args.backend_id, args.secret, args.template, args.files = backend_id, secret, templates[0], files


def check_routes(base, hook_path, secret, template, count=50):
    """Both routes answer 200 on every worker; these webhook events are ``warm-<n>`` (counted as accepted)."""
    from sandbox.core import hmac_b64

    for index in range(count):
        post(base + PLAIN_PATH, PLAIN_BODY, {"Content-Type": "application/json"})
        body = json.dumps(dict(template, admin_graphql_api_id=f"gid://shopify/Order/warm{index}"))
        status, _body = post(base + hook_path, body, {
            "Content-Type": "application/json", "X-Shopify-Topic": "orders/create",
            "X-Shopify-Hmac-Sha256": hmac_b64(secret, body), "X-Shopify-Event-Id": f"warm-{index}",
        })
        if status != 200:
            raise SystemExit(f"warm-up webhook answered {status}")
    return count


def measure(args, workdir):
    base = f"http://127.0.0.1:{args.port}"
    hook_path = f"/sync_shopify/webhook/{args.backend_id}"
    logfile = Path(workdir) / "odoo.log"
    odoo_args = [
        "-d", args.db, f"--db-filter=^{args.db}$", *_odoo.db_args(), f"--addons-path={_odoo.addons_path()}",
        f"--workers={args.workers}", "--max-cron-threads=0", "--http-interface=127.0.0.1",
        f"--http-port={args.port}", f"--gevent-port={args.port + 1}", "--log-level=warn",
    ]
    say(f"Odoo server --workers={args.workers} on port {args.port} (log {logfile})")
    plain_runs, hook_runs = [], []
    with _odoo.OdooServer(Path(__file__).resolve(), odoo_args, logfile) as server:
        wait_ready(base, server)
        warm = check_routes(base, hook_path, args.secret, args.template)
        # Warm-up at full load (workers' caches, PostgreSQL's buffers and the tables'
        # first pages), not measured: the first round would otherwise pay for it alone.
        warm_args = argparse.Namespace(**dict(vars(args), duration=args.warmup))
        run_wrk(warm_args, base + PLAIN_PATH, Path(workdir) / "plain.lua")
        warm_hook = run_wrk(warm_args, base + hook_path, Path(workdir) / "webhook.lua", hook_path,
                            str(args.files[-1]))
        if warm_hook["non2xx"]:
            raise SystemExit(f"{warm_hook['non2xx']} webhook deliveries refused during the warm-up")
        warm += min(warm_hook["requests"], args.deliveries)
        say(f"warm-up: {args.warmup} s per route")
        for round_index, path in enumerate(args.files[:-1]):
            plain = run_wrk(args, base + PLAIN_PATH, Path(workdir) / "plain.lua")
            server.check()
            hook = run_wrk(args, base + hook_path, Path(workdir) / "webhook.lua", hook_path, str(path))
            server.check()
            plain_runs.append(plain)
            hook_runs.append(hook)
            say(f"round {round_index + 1}: plain {plain['requests']} requests in {plain['seconds']:.1f}s "
                f"({plain['non2xx']} non-2xx), webhook {hook['requests']} in {hook['seconds']:.1f}s "
                f"({hook['non2xx']} non-2xx, {hook['socket_errors']} socket errors)")
        time.sleep(2)  # requests in flight when wrk stopped
    return warm, plain_runs, hook_runs


def verify(args, warm, plain_runs, hook_runs):
    """Problems found: every accepted distinct delivery stored once, with exactly one job of its own."""
    problems = []
    inbox = check_stored(args, args.backend_id)
    if inbox["with_job"] or inbox["received"] != inbox["events"]:
        problems.append("the requests did more than store the events")
    taken, seconds = take_in(args)
    say(f"queue intake: {taken} events taken in in {seconds:.1f} s ({taken / max(seconds, 1e-9):.0f} events/s), "
        "their order imports queued")
    stored = check_stored(args, args.backend_id)
    say(f"stored: {stored}")
    accepted = warm + sum(min(r["requests"] - r["non2xx"], args.deliveries) for r in hook_runs)
    if any(r["requests"] > args.deliveries for r in hook_runs):
        say("wrk sent more deliveries than generated in a round: repeats were deduplicated (use --deliveries)")
    if any(r["non2xx"] for r in plain_runs + hook_runs):
        problems.append("non-2xx answers")
    in_flight = args.connections * (args.rounds + 1)  # the warm-up run too
    if not accepted <= stored["events"] <= accepted + in_flight:
        problems.append(f"{stored['events']} events stored for {accepted} accepted distinct deliveries")
    if stored["foreign"] or stored["distinct_events"] != stored["events"]:
        problems.append("unexpected or repeated event ids stored")
    if stored["received"] or taken != stored["events"] or not (
            stored["events"] == stored["with_job"] == stored["distinct_jobs"] == stored["jobs"]
            == stored["distinct_orders"]):
        problems.append("not every stored event has exactly one job of its own")
    say(f"{accepted} distinct deliveries accepted (2xx), {stored['events']} stored and queued")
    return problems


def run_bench(args, workdir):
    prepare(args, workdir)
    warm, plain_runs, hook_runs = measure(args, workdir)
    problems = verify(args, warm, plain_runs, hook_runs)

    def rate(runs):
        return sum(r["requests"] - r["non2xx"] for r in runs) / sum(r["seconds"] for r in runs)

    plain_rate, hook_rate = rate(plain_runs), rate(hook_runs)
    percent = 100 * hook_rate / plain_rate
    print()
    print(f"{'route':<62}{'requests':>10}{'req/s':>9}")
    print(f"{f'plain: POST {PLAIN_PATH} (JSON-RPC)':<62}{sum(r['requests'] for r in plain_runs):>10}"
          f"{plain_rate:>9.0f}")
    print(f"{'webhook: POST /sync_shopify/webhook/<id> (HMAC, store in inbox)':<62}"
          f"{sum(r['requests'] for r in hook_runs):>10}{hook_rate:>9.0f}")
    for problem in problems:
        say(f"FAIL: {problem}")
    verdict = "PASS" if percent >= TARGET and not problems else "FAIL"
    print(f"RESULT {NAME} {percent:.0f} % target >= {TARGET:g} {verdict}", flush=True)
    return 0 if verdict == "PASS" else 1


def main():
    argv = sys.argv[1:]
    if argv[:2] == ["--role", "server"]:
        return _odoo.serve_without_bus(argv[3:])  # after "--": the Odoo server's own arguments
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run (default 8)")
    parser.add_argument("--rounds", type=int, default=6, help="plain/webhook run pairs (default 6)")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of unmeasured load per route first")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--workers", type=int, default=ODOO_WORKERS,
                        help=f"Odoo HTTP worker processes (default {ODOO_WORKERS}: Odoo's 2 x CPUs + 1)")
    parser.add_argument("--deliveries", type=int, default=15000, help="distinct deliveries per round")
    parser.add_argument("--db", default=os.environ.get("BENCH_HOOKS_DB", "bench_hooks"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_HOOKS_PORT", "18220")),
                        help="Odoo HTTP port; the two above it are its gevent port and the installer's")
    parser.add_argument("--keep-db", action="store_true", help="keep the database for inspection")
    parser.add_argument("--no-install", action="store_true", help="reuse the database as it is (debugging)")
    args = parser.parse_args(argv)

    os.chdir(_odoo.ROOT)

    def run_in_workdir():
        with tempfile.TemporaryDirectory(prefix="bench-hooks-") as workdir:
            return run_bench(args, workdir)

    try:
        return _odoo.run_reporting_failure(NAME, f"0 % target >= {TARGET:g}", run_in_workdir, say)
    finally:
        if not args.keep_db:
            _odoo.drop_database(args.db)


if __name__ == "__main__":
    sys.exit(main())
