"""bench/crm_initial_load: an initial load of N Odoo customers into the HubSpot sandbox.

A fresh database (``--db``, default ``bench_crm``) gets sync_hubspot without demo data.
In this process: the HubSpot sandbox starts on a free local port with its default
rate limit (100 requests per 10 s), a backend is connected to it, N customers are
created and their ``partner_export`` jobs queued (the connector's own initial-load
enqueue) and committed. The clock runs from there until the queue is empty, the jobs
being run by the real queue: ``sync.job._process_queue(commit=True)``, batches of
``batch_size`` jobs (100, HubSpot's batch limit), the connector pacing its calls to
the limit HubSpot announces in its headers.

The ceiling is what the sandbox's rate limit allows with full batches:
``rate_limit / window_seconds * 100`` records/s (read from the sandbox, not assumed).
The figure is the records/s achieved as a percentage of that ceiling; target >= 90 %,
and every job must be done (none failed, none left).
"""

import argparse
import os
import sys
import time
from pathlib import Path

import _odoo

ROOT = Path(__file__).resolve().parent.parent
BATCH = 100  # HubSpot's batch limit, and the backend's batch size


def say(message):
    print(f"[crm_initial_load] {message}", flush=True)


def prepare(env, hub, args):
    """A connected backend, N customers and their export jobs, committed: the backend's id."""
    backend = env["sync.backend"].create({
        "name": "HubSpot bench", "code": "hubspot", "api_url": hub.url, "api_token": hub.token,
        "webhook_secret": hub.client_secret, "batch_size": BATCH, "restrict_heavy_to_window": False,
    })
    backend._hubspot_setup()
    backend.state = "connected"
    started = time.monotonic()
    Partner = env["res.partner"].with_context(sync_hubspot_no_export=True, tracking_disable=True)
    for start in range(0, args.partners, 1000):
        Partner.create([
            {"name": f"Bench Customer {i}", "email": f"bench{i}@example.com", "customer_rank": 1}
            for i in range(start, min(start + 1000, args.partners))
        ])
    jobs = backend._hubspot_enqueue_initial_export()
    env.cr.commit()  # the workers' cursors must see the jobs
    say(f"{args.partners} customers created, {len(jobs)} export jobs queued in {time.monotonic() - started:.0f}s")
    return backend.id


def drain(odoo, registry, backend_id):
    """Run the queue until no job of the backend is pending or running: the SQL queries it took."""
    before = odoo.sql_db.sql_counter
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        Job, backend = env["sync.job"], env["sync.backend"].browse(backend_id)
        while True:
            _done, remaining = Job._process_queue(backends=backend, commit=True)
            cr.commit()
            if not remaining and not Job.search_count([("backend_id", "=", backend_id),
                                                       ("state", "in", ("pending", "running"))]):
                break
            time.sleep(0.2)  # jobs waiting for a retry time (a 429): wait for them
    return odoo.sql_db.sql_counter - before


def _profiled(args, function):
    if not args.profile:
        return function()
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    try:
        return profiler.runcall(function)
    finally:
        profiler.dump_stats(args.profile)
        pstats.Stats(args.profile).sort_stats("cumulative").print_stats(40)


def run(args):
    from sandbox import HubSpotSandbox

    odoo, registry = _odoo.registry(args.db)
    hub = HubSpotSandbox(seed=1, contacts=0, companies=0, deals=0).start(host="127.0.0.1", port=0)
    try:
        ceiling = hub.rate_limit / hub.window_seconds * BATCH
        say(f"sandbox at {hub.url}: {hub.rate_limit} requests / {hub.window_seconds:g} s -> "
            f"ceiling {ceiling:.0f} records/s with batches of {BATCH}")
        with registry.cursor() as cr:
            backend_id = prepare(odoo.api.Environment(cr, odoo.SUPERUSER_ID, {}), hub, args)
        hub.requests.clear()

        started = time.monotonic()
        queries = _profiled(args, lambda: drain(odoo, registry, backend_id))
        elapsed = time.monotonic() - started

        with registry.cursor() as cr:
            cr.execute("SELECT state, count(*) FROM sync_job WHERE backend_id = %s GROUP BY state", [backend_id])
            states = dict(cr.fetchall())
            cr.execute("""SELECT count(*) FROM sync_binding WHERE backend_id = %s AND res_model = 'res.partner'""",
                       [backend_id])
            bound = cr.fetchone()[0]
        calls = [r for r in hub.requests if r["path"].startswith("/crm/")]
        throttled = sum(1 for r in calls if r["status"] == 429)
        contacts = len(hub.store.objects["contacts"])
    finally:
        hub.stop()

    rate = args.partners / elapsed
    ratio = 100 * rate / ceiling
    say(f"jobs by state: {states}; partners linked: {bound}; HubSpot contacts: {contacts}")
    say(f"HubSpot calls: {len(calls)} ({throttled} answered 429)")
    say(f"SQL queries: {queries} ({queries / args.partners:.1f} per record)")
    say(f"{args.partners} records in {elapsed:.1f}s = {rate:.0f} records/s; ceiling {ceiling:.0f} records/s")
    ok = (states.get("done", 0) == args.partners and not states.get("failed") and bound == args.partners
          and contacts == args.partners)
    if not ok:
        say("FAIL: not every partner was exported exactly once")
    verdict = "PASS" if ok and ratio >= 90 else "FAIL"
    print(f"RESULT crm_initial_load {ratio:.1f} % target >= 90 {verdict}", flush=True)
    return 0 if verdict == "PASS" else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partners", type=int, default=20000)
    parser.add_argument("--db", default=os.environ.get("BENCH_CRM_DB", "bench_crm"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_CRM_PORT", "18150")),
                        help="HTTP port of the installing Odoo (nothing listens during the bench)")
    parser.add_argument("--profile", help="cProfile the clocked part into this file and print a summary")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--no-install", action="store_true", help="reuse the database as it is (debugging)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if not args.no_install:
        _odoo.fresh_database(args.db, "sync_hubspot", args.port, say)
    try:
        return run(args)
    finally:
        if not args.keep_db:
            _odoo.drop_database(args.db)


if __name__ == "__main__":
    sys.exit(main())
