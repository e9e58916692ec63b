#!/usr/bin/env python3
"""queue_throughput: sync_base's queue against OCA queue_job, same database, same run.

Both queues run N trivial jobs (default 20,000) on one fresh database:

- sync_base: N ``noop`` jobs queued with ``backend._enqueue("noop", dedup_key=False)``
  in one transaction, then run by ``sync.job._process_queue(commit=True)`` in
  ``--workers`` separate processes (default 2: what two cron workers do), each with
  its own registry and cursor. The workers load Odoo first and wait; the clock
  starts when the queued jobs are committed and the workers are told to go, and
  stops when the last worker has emptied the queue.
- queue_job (OCA, 18.0, installed from PyPI at run time, never copied here): N jobs
  queued with ``env["queue.job"].with_delay()._test_job()`` (queue_job's own trivial
  test job, no failure, no sleep; its one INFO log line is silenced) in one
  transaction, run by queue_job's real job runner: an Odoo server with
  ``--workers=C --load=base,web,queue_job`` and channels ``root:C`` (default C=2),
  the runner dispatching ``/queue_job/runjob`` over HTTP to the workers. The clock
  starts at the commit of the queued jobs (the runner is already up and warmed) and
  stops when the database shows all N done.

Enqueue times are reported separately. The figure is the ratio of the two rates;
the last line is ``RESULT queue_throughput <ratio> x target >= 10 PASS|FAIL``.

Run from the project root: ``bench/queue_throughput [--jobs N] [--capacity C]``.
Environment: PGHOST/PGPORT/PGUSER (default 127.0.0.1:5432, root),
BENCH_QUEUE_DB (default bench_queue, dropped and recreated),
BENCH_QUEUE_PORT (default 18100; the server also uses the port above it).
"""

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _odoo import OdooServer, db_args, pg_flags, pg_params, run_reporting_failure

ROOT = Path(__file__).resolve().parent.parent
NAME = "queue_throughput"
TARGET = 10.0
QUEUE_JOB_REQUIREMENT = "odoo-addon-queue-job>=18.0,<18.1"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "sync-suite-bench"
QUEUE_JOB_TARGET = CACHE / "queue_job-18.0"


def say(message):
    print(f"[{NAME}] {message}", flush=True)


# ----------------------------------------------------------------------
# Setup
# ----------------------------------------------------------------------
def ensure_queue_job():
    """Install queue_job from PyPI into a cache folder (outside the repo); return its addons folder."""
    addons = QUEUE_JOB_TARGET / "odoo" / "addons"
    if not (addons / "queue_job" / "__manifest__.py").is_file():
        say(f"installing {QUEUE_JOB_REQUIREMENT} from PyPI into {QUEUE_JOB_TARGET}")
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
             "--upgrade", "--target", str(QUEUE_JOB_TARGET), QUEUE_JOB_REQUIREMENT],
            check=True,
        )
    manifest = (addons / "queue_job" / "__manifest__.py").read_text()
    version = manifest.split('"version":', 1)[1].split('"')[1]
    return addons, version


def addons_path(queue_job_addons):
    import odoo

    package = Path(odoo.__file__).resolve().parent
    candidates = [package / "addons", package.parent / "addons", ROOT / "addons", queue_job_addons]
    return ",".join(str(path) for path in candidates if path.is_dir())


def fresh_database(args):
    say(f"fresh database {args.db}: installing sync_base and queue_job")
    subprocess.run(["dropdb", "--if-exists", "--force", *pg_flags(), args.db], check=True)
    subprocess.run(["createdb", *pg_flags(), args.db], check=True)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "odoo", "-d", args.db, *db_args(), f"--addons-path={args.addons_path}",
         "-i", "sync_base,queue_job", "--without-demo=all", "--stop-after-init", "--log-level=warn",
         "--workers=0", "--max-cron-threads=0", "--http-port", str(args.port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False,
    )
    if result.returncode:
        sys.stdout.write(result.stdout)
        raise SystemExit(f"installation failed (exit {result.returncode})")
    say(f"installed in {time.monotonic() - started:.0f}s")


def connect(args):
    import psycopg2

    return psycopg2.connect(dbname=args.db, **pg_params())


def count(args, query):
    with contextlib.closing(connect(args)) as conn, conn.cursor() as cr:
        cr.execute(query)
        return cr.fetchone()[0]


# ----------------------------------------------------------------------
# Child processes (one Odoo registry each)
# ----------------------------------------------------------------------
def role_command(args, role, *extra):
    return [sys.executable, str(Path(__file__).resolve()), "--role", role, "--db", args.db,
            "--addons-path", args.addons_path, "--jobs", str(args.jobs), *extra]


def run_role(args, role, *extra):
    """Run a child to completion and return the JSON it prints last."""
    result = subprocess.run(role_command(args, role, *extra), stdout=subprocess.PIPE, text=True, check=False)
    if result.returncode:
        raise SystemExit(f"child {role} failed (exit {result.returncode})")
    return json.loads(result.stdout.strip().splitlines()[-1])


def odoo_env(args):
    import odoo
    from odoo.tools import config

    config.parse_config(["-d", args.db, *db_args(), f"--addons-path={args.addons_path}", "--log-level=warn"])
    registry = odoo.modules.registry.Registry(args.db)
    return odoo, registry


def child_sync_enqueue(args):
    odoo, registry = odoo_env(args)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        backend = env["sync.backend"].create({"name": "Queue benchmark"})
        cr.commit()
        started = time.monotonic()
        for _index in range(args.jobs):
            backend._enqueue("noop", dedup_key=False)
        cr.commit()
        elapsed = time.monotonic() - started
    print(json.dumps({"enqueue_s": elapsed}), flush=True)


def child_sync_worker(args):
    odoo, registry = odoo_env(args)
    print("ready", flush=True)
    sys.stdin.readline()  # "go": the jobs are committed
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        processed, remaining = env["sync.job"]._process_queue(commit=True)
    finished = time.time()
    if profiler:
        profiler.disable()
        profiler.dump_stats(f"{args.profile}.{os.getpid()}")
    print(json.dumps({"processed": processed, "remaining": remaining, "finished": finished}), flush=True)


def child_qj_server(argv):
    """``odoo server`` without the gevent (websocket) process, which queue_job does not use.

    Prefork Odoo re-executes ``sys.argv[0] gevent`` for the bus; where gevent cannot start
    (a broken gevent plugin, a busy port) the master respawns it in a loop that eats CPU
    the job workers need. The job runner and the HTTP workers are untouched.
    """
    import odoo
    from odoo.service import server

    server.PreforkServer.long_polling_spawn = lambda self: None
    sys.argv = ["odoo", "server", *argv]
    odoo.cli.main()


def child_qj_enqueue(args):
    odoo, registry = odoo_env(args)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        model = env["queue.job"]
        started = time.monotonic()
        for _index in range(args.jobs):
            model.with_delay()._test_job()
        cr.commit()
        committed = time.time()
        elapsed = time.monotonic() - started
    print(json.dumps({"enqueue_s": elapsed, "committed": committed}), flush=True)


# ----------------------------------------------------------------------
# The two measurements
# ----------------------------------------------------------------------
def measure_sync(args):
    say(f"sync_base: queueing {args.jobs} noop jobs with backend._enqueue")
    enqueue = run_role(args, "sync-enqueue")
    say(f"sync_base: {enqueue['enqueue_s']:.1f}s to enqueue ({args.jobs / enqueue['enqueue_s']:.0f} jobs/s)")
    extra = ["--profile", args.profile] if args.profile else []
    workers = [
        subprocess.Popen(role_command(args, "sync-worker", *extra), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)
        for _index in range(args.workers)
    ]
    try:
        for worker in workers:
            if worker.stdout.readline().strip() != "ready":
                raise SystemExit("a sync worker did not start")
        started = time.time()
        for worker in workers:
            worker.stdin.write("go\n")
            worker.stdin.flush()
        results = [json.loads(worker.communicate()[0].strip().splitlines()[-1]) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    elapsed = max(result["finished"] for result in results) - started
    done = count(args, "SELECT count(*) FROM sync_job WHERE operation = 'noop' AND state = 'done'")
    say(f"sync_base: {args.workers} worker process(es) ran {[r['processed'] for r in results]} jobs; "
        f"{done} done in the database after {elapsed:.1f}s")
    if done != args.jobs:
        raise SystemExit(f"sync_base: expected {args.jobs} done jobs, found {done}")
    return enqueue["enqueue_s"], elapsed


class QueueJobServer(OdooServer):
    """An Odoo server with queue_job's job runner, killed (whole process group) on exit."""

    def __init__(self, args, logfile):
        odoo_args = [
            "-d", args.db, f"--db-filter=^{args.db}$", *db_args(),
            f"--addons-path={args.addons_path}", "--load=base,web,queue_job",
            f"--workers={args.capacity}", "--max-cron-threads=0",
            "--http-interface=127.0.0.1", f"--http-port={args.port}", f"--gevent-port={args.port + 1}",
            "--log-handler=odoo.addons.queue_job.models.queue_job:WARNING",
        ]
        super().__init__(Path(__file__).resolve(), odoo_args, logfile, role="qj-server", env={
            "ODOO_QUEUE_JOB_CHANNELS": f"root:{args.capacity}",
            "ODOO_QUEUE_JOB_HOST": "127.0.0.1",
            "ODOO_QUEUE_JOB_PORT": str(args.port),
        })


def wait_done(args, server, expected, timeout, interval=0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        server.check()
        done = count(args, "SELECT count(*) FROM queue_job WHERE state = 'done'")
        if done >= expected:
            return time.time(), done
        time.sleep(interval)
    raise SystemExit(f"queue_job: only {done} of {expected} jobs done after {timeout}s")


def measure_queue_job(args, workdir):
    logfile = Path(workdir) / "queue_job_server.log"
    say(f"queue_job: starting Odoo with --workers={args.capacity}, channels root:{args.capacity}, "
        f"port {args.port} (log: {logfile})")
    with QueueJobServer(args, logfile) as server:
        # Warm-up: the runner starts a few seconds after the server; wait until it runs jobs.
        warm = run_role(args, "qj-enqueue", "--count", "10")
        done_at, _done = wait_done(args, server, 10, timeout=120)
        say(f"queue_job: runner up, warm-up jobs done {done_at - warm['committed']:.1f}s after their commit")
        say(f"queue_job: queueing {args.jobs} jobs with with_delay()")
        enqueue = run_role(args, "qj-enqueue")
        say(f"queue_job: {enqueue['enqueue_s']:.1f}s to enqueue ({args.jobs / enqueue['enqueue_s']:.0f} jobs/s)")
        finished, done = wait_done(args, server, args.jobs + 10, timeout=args.timeout)
    elapsed = finished - enqueue["committed"]
    done -= 10
    failed = count(args, "SELECT count(*) FROM queue_job WHERE state != 'done'")
    say(f"queue_job: {done} done in the database after {elapsed:.1f}s ({failed} not done)")
    if done != args.jobs:
        raise SystemExit(f"queue_job: expected {args.jobs} done jobs, found {done}")
    return enqueue["enqueue_s"], elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--jobs", type=int, default=20000, help="jobs per queue (default 20000)")
    parser.add_argument("--workers", type=int, default=2, help="sync_base worker processes (default 2)")
    parser.add_argument("--capacity", type=int, default=2,
                        help="queue_job root channel capacity and Odoo HTTP workers (default 2)")
    parser.add_argument("--db", default=os.environ.get("BENCH_QUEUE_DB", "bench_queue"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_QUEUE_PORT", "18100")))
    parser.add_argument("--timeout", type=int, default=900, help="give up on queue_job after this many seconds")
    parser.add_argument("--keep-db", action="store_true", help="keep the database for inspection")
    parser.add_argument("--profile", help="cProfile the sync workers into PREFIX.<pid>")
    parser.add_argument("--role", help=argparse.SUPPRESS)
    parser.add_argument("--addons-path", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    argv = sys.argv[1:]
    if argv[:2] == ["--role", "qj-server"]:
        return child_qj_server(argv[3:])  # after "--": the Odoo server's own arguments
    args = parser.parse_args()

    if args.role:
        if args.count:
            args.jobs = args.count
        roles = {"sync-enqueue": child_sync_enqueue, "sync-worker": child_sync_worker, "qj-enqueue": child_qj_enqueue}
        roles[args.role](args)
        return 0

    # A kill of the bench still stops the queue_job server (see QueueJobServer.__exit__).
    return run_reporting_failure(NAME, f"0 x target >= {TARGET:g}", lambda: run_bench(args), say)


def run_bench(args):
    os.chdir(ROOT)
    queue_job_addons, version = ensure_queue_job()
    args.addons_path = addons_path(queue_job_addons)
    say(f"queue_job {version} from {queue_job_addons}; {args.jobs} jobs per queue; {os.cpu_count()} cores")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-queue-") as workdir:
        fresh_database(args)
        try:
            sync_enqueue, sync_elapsed = measure_sync(args)
            qj_enqueue, qj_elapsed = measure_queue_job(args, workdir)
        finally:
            if not args.keep_db:
                subprocess.run(["dropdb", "--if-exists", "--force", *pg_flags(), args.db], check=False)
    sync_rate = args.jobs / sync_elapsed
    qj_rate = args.jobs / qj_elapsed
    ratio = sync_rate / qj_rate
    print()
    print(f"{'queue':<44}{'enqueue s':>10}{'run s':>9}{'jobs/s':>9}")
    print(f"{f'sync_base _process_queue x{args.workers} processes':<44}"
          f"{sync_enqueue:>10.1f}{sync_elapsed:>9.1f}{sync_rate:>9.0f}")
    print(f"{f'queue_job {version} runner root:{args.capacity}':<44}"
          f"{qj_enqueue:>10.1f}{qj_elapsed:>9.1f}{qj_rate:>9.0f}")
    say(f"sync_base runs {ratio:.1f}x as many jobs per second as queue_job; total {time.monotonic() - started:.0f}s")
    verdict = "PASS" if ratio >= TARGET else "FAIL"
    print(f"RESULT {NAME} {ratio:.1f} x target >= {TARGET:g} {verdict}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
