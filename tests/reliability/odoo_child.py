#!/usr/bin/env python3
"""A loaded Odoo registry that runs the reliability tests' snippets, and forks workers.

Started once per test session (``--serve``), it reads one JSON command a line on stdin:

- ``{"cmd": "run", "code": FILE}``: run the snippet in a cursor of its own, commit, and
  answer ``REPLY {"results": [...]}`` (or ``{"error": traceback}``).
- ``{"cmd": "fork", "code": FILE, "out": FILE}``: fork a worker the way Odoo's prefork
  server does (the registry is loaded once, each worker opens its own connections), in a
  process group of its own, with stdout and stderr in ``out``; answer ``REPLY {"pid": N}``.
  The worker runs the snippet, commits, writes ``EXIT 0`` (or the traceback and
  ``EXIT 1``) and ends. Tests kill it with ``kill -9`` as they please.

A snippet sees ``env`` (superuser), ``odoo``, ``registry`` and ``emit(obj)``, which prints
one ``RESULT <json>`` line (collected in the reply, or written to the worker's file).
"""

import argparse
import json
import os
import signal
import sys
import traceback


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--log-level", default="warn")
    args = parser.parse_args()

    import odoo
    from odoo.tools import config

    config.parse_config([
        "-d", args.db,
        "--db_host", os.environ.get("PGHOST", "127.0.0.1"),
        "--db_port", os.environ.get("PGPORT", "5432"),
        "--db_user", os.environ.get("PGUSER", "root"),
        f"--addons-path={args.addons_path}",
        f"--log-level={args.log_level}",
        "--max-cron-threads=0",
    ])
    odoo.netsvc.init_logger()
    registry = odoo.modules.registry.Registry(args.db)
    # Workers are reaped by the system: the tests watch them through their files and pids.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    reply = sys.stdout
    print("READY", file=reply, flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        if command["cmd"] == "run":
            answer = run_snippet(odoo, registry, command["code"])
        else:
            answer = fork_worker(odoo, registry, command["code"], command["out"])
        print("REPLY " + json.dumps(answer, default=str), file=reply, flush=True)


def run_snippet(odoo, registry, path):
    collected = []
    try:
        execute(odoo, registry, path, collected.append)
    except Exception:  # noqa: BLE001 - reported to the test, which fails with it
        return {"error": traceback.format_exc()}
    return {"results": collected}


def fork_worker(odoo, registry, path, out):
    sys.stdout.flush()
    sys.stderr.flush()
    # The child must not inherit pooled connections the parent will use again.
    odoo.sql_db.close_all()
    pid = os.fork()
    if pid:
        return {"pid": pid}
    os.setsid()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    status = 0
    try:
        execute(odoo, registry, path, lambda obj: print("RESULT " + json.dumps(obj, default=str), flush=True))
    except BaseException:  # noqa: BLE001 - written for the test to read
        traceback.print_exc()
        status = 1
    print(f"EXIT {status}", flush=True)
    sys.stderr.flush()
    os._exit(status)


def execute(odoo, registry, path, emit):
    with open(path, encoding="utf-8") as handle:
        code = handle.read()
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        exec(compile(code, path, "exec"), {
            "env": env, "odoo": odoo, "registry": registry, "emit": emit,
        })
        cr.commit()


if __name__ == "__main__":
    main()
