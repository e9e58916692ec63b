"""Helpers shared by the benchmarks: PostgreSQL flags, a fresh database, Odoo in a process, an Odoo server.

The Odoo server runs without its gevent (websocket) process through queue_throughput's
wrapper, imported rather than copied: where gevent cannot start, the prefork master
respawns it in a loop that eats the CPU the measured workers need.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pg_params():
    return {
        "host": os.environ.get("PGHOST", "127.0.0.1"),
        "port": os.environ.get("PGPORT", "5432"),
        "user": os.environ.get("PGUSER", "root"),
    }


def db_args():
    params = pg_params()
    return ["--db_host", params["host"], "--db_port", params["port"], "--db_user", params["user"]]


def pg_flags():
    params = pg_params()
    return ["-h", params["host"], "-p", params["port"], "-U", params["user"]]


def addons_path():
    import odoo

    package = Path(odoo.__file__).resolve().parent
    candidates = [package / "addons", package.parent / "addons", ROOT / "addons"]
    return ",".join(str(path) for path in candidates if path.is_dir())


def child_env():
    """Environment of Odoo children: the project root importable (``sandbox``)."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))


def fresh_database(db, modules, port, say):
    """Drop and recreate ``db``, install ``modules`` without demo data."""
    say(f"fresh database {db}: installing {modules}")
    drop_database(db, check=True)
    subprocess.run(["createdb", *pg_flags(), db], check=True)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "odoo", "-d", db, *db_args(), f"--addons-path={addons_path()}",
         "-i", modules, "--without-demo=all", "--stop-after-init", "--log-level=warn",
         "--workers=0", "--max-cron-threads=0", "--http-port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False, env=child_env(),
    )
    if result.returncode:
        sys.stdout.write(result.stdout)
        raise SystemExit(f"installation failed (exit {result.returncode})")
    say(f"installed in {time.monotonic() - started:.0f}s")


def drop_database(db, check=False):
    with contextlib.suppress(Exception):
        import odoo

        odoo.sql_db.close_all()
    subprocess.run(["dropdb", "--if-exists", "--force", *pg_flags(), db], check=check)


def registry(db):
    """Odoo loaded in this process on ``db``: ``(odoo, registry)``."""
    import odoo
    from odoo.tools import config

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if config["db_name"] != db:  # Odoo's configuration cannot be parsed twice in one process
        config.parse_config(["-d", db, *db_args(), f"--addons-path={addons_path()}", "--log-level=warn"])
    return odoo, odoo.modules.registry.Registry(db)


def serve_without_bus(argv):
    """Entry point of ``OdooServer``'s child: ``odoo server`` with ``argv``, no gevent process."""
    from queue_throughput import child_qj_server

    child_qj_server(argv)


class OdooServer:
    """``odoo server`` in a process group of its own, killed (whole group) on exit.

    ``script`` must call ``serve_without_bus(argv[3:])`` when started as
    ``script --role server -- <odoo arguments>``.
    """

    def __init__(self, script, odoo_args, logfile, role="server", env=None):
        self.command = [sys.executable, str(script), "--role", role, "--", *odoo_args, f"--logfile={logfile}"]
        self.logfile = logfile
        self.env = dict(child_env(), **(env or {}))
        self.process = None

    def __enter__(self):
        self.process = subprocess.Popen(self.command, start_new_session=True, env=self.env)
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # strays of the group, if any

    def check(self):
        if self.process.poll() is not None:
            raise SystemExit(f"the Odoo server stopped (exit {self.process.returncode}); see {self.logfile}")


def raise_interrupt(signum, _frame):
    """Signal handler: a kill of the bench unwinds through its ``finally`` blocks."""
    raise KeyboardInterrupt(f"signal {signum}")


def run_reporting_failure(name, failed_result, run, say):
    """``run()``'s exit code; a failure of any kind (error, interrupt, kill) still ends with the one
    ``RESULT <name> <failed_result> FAIL`` line the benchmark contract asks for."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, raise_interrupt)
    try:
        return run()
    except (SystemExit, KeyboardInterrupt, Exception) as error:  # noqa: BLE001 - any failure is a FAIL line
        if isinstance(error, SystemExit) and error.code in (None, 0):
            return 0
        say(f"failed: {type(error).__name__}: {error}")
        print(f"RESULT {name} {failed_result} FAIL", flush=True)
        return 1


def stop_processes(processes):
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()
