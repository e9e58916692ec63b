"""Fixtures of the reliability suite: one fresh database, real Odoo processes, local servers.

One database (``rel_sync_reliability_<pid>``, or ``$SYNC_RELIABILITY_DB``) is created for the
whole session with the connectors installed, and dropped at the end. Tests drive real
Odoo processes (``odoo_child.py`` snippets, or ``python3 -m odoo`` servers) against it
and talk to the sandbox, which runs in this process. Every process a test starts is
killed (its whole process group) when the test ends, also when it fails.
"""

import contextlib
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg2
import pytest

ROOT = Path(__file__).resolve().parents[2]

CHILD = Path(__file__).resolve().parent / "odoo_child.py"
# One name per run: two developers running the suite at once must not drop each other's database.
DB_NAME = os.environ.get("SYNC_RELIABILITY_DB", f"rel_sync_reliability_{os.getpid()}")
MODULES = ["sync_base", "sync_hubspot"]
# Tests marked ``shopify`` get a database of their own with sync_shopify: the others keep
# proving what a HubSpot-only installation exposes (test_security's open routes).
SHOPIFY_DB_NAME = os.environ.get("SYNC_RELIABILITY_SHOPIFY_DB", f"{DB_NAME}_shopify")
SHOPIFY_MODULES = ["sync_base", "sync_shopify"]


def pytest_configure(config):
    config.addinivalue_line("markers", "shopify: runs on the session's database with sync_shopify installed")


def pg_params():
    return {
        "host": os.environ.get("PGHOST", "127.0.0.1"),
        "port": os.environ.get("PGPORT", "5432"),
        "user": os.environ.get("PGUSER", "root"),
    }


def pg_flags():
    params = pg_params()
    return ["-h", params["host"], "-p", params["port"], "-U", params["user"]]


def db_args():
    params = pg_params()
    return ["--db_host", params["host"], "--db_port", params["port"], "--db_user", params["user"]]


def addons_path():
    """Odoo's own addon folders plus ours, found the way tests/run finds them."""
    import odoo

    package = Path(odoo.__file__).resolve().parent
    candidates = [package / "addons", package.parent / "addons", ROOT / "addons"]
    return ",".join(str(path) for path in candidates if path.is_dir())


def free_port():
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env():
    # The sandbox is an installed package (tests/run installs it): nothing to add to the path.
    return dict(os.environ)


class Worker:
    """An Odoo worker forked by the helper: a real process, in a process group of its own."""

    def __init__(self, pid, out):
        self.pid = pid
        self.out = Path(out)

    def alive(self):
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        # A process that wrote its last line is as good as gone (the system reaps it).
        return "EXIT " not in self.text()

    def text(self):
        return self.out.read_text(encoding="utf-8") if self.out.exists() else ""

    def kill(self, sig=signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, sig)

    def wait(self, timeout=120):
        wait_until(lambda: not self.alive(), timeout, 0.05, f"worker {self.pid} to end")
        return self

    def results(self):
        assert "EXIT 0" in self.text(), f"worker {self.pid} failed:\n{self.text()[-4000:]}"
        return results(self.text())


class OdooDatabase:
    """The session's database, a loaded Odoo helper on it, and the workers a test forks."""

    def __init__(self, name, path, workdir):
        self.name = name
        self.addons_path = path
        self.workdir = Path(workdir)
        self.workers = []
        self.servers = []
        self.counter = 0
        self.helper_log = self.workdir / "helper.log"
        with open(self.helper_log, "w", encoding="utf-8") as log:
            self.helper = subprocess.Popen(
                [sys.executable, str(CHILD), "--db", name, "--addons-path", path],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True, env=child_env(),
                start_new_session=True, bufsize=1,
            )
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self._expect("READY", 120)

    def _read(self):
        for line in self.helper.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def _expect(self, prefix, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise AssertionError(f"the Odoo helper did not answer within {timeout}s") from None
            if line is None:
                raise AssertionError("the Odoo helper died:\n" + self.helper_log.read_text()[-4000:])
            if line.startswith(prefix):
                return line[len(prefix):].strip()

    def _request(self, command, timeout):
        self.helper.stdin.write(json.dumps(command) + "\n")
        self.helper.stdin.flush()
        return json.loads(self._expect("REPLY", timeout))

    def close(self):
        self.kill_all()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.helper.pid, signal.SIGKILL)
        self.helper.wait(timeout=10)

    # -- SQL from the test process (autocommit: sees what workers committed) --------
    def sql(self, query, params=None):
        with contextlib.closing(psycopg2.connect(dbname=self.name, **pg_params())) as conn:
            conn.autocommit = True
            with conn.cursor() as cr:
                cr.execute(query, params)
                return cr.fetchall() if cr.description else None

    def scalar(self, query, params=None):
        return self.sql(query, params)[0][0]

    def job_states(self, backend_id):
        rows = self.sql("SELECT state, count(*) FROM sync_job WHERE backend_id = %s GROUP BY state", [backend_id])
        return dict(rows)

    # -- Odoo processes ----------------------------------------------------------
    def _code_file(self, code):
        self.counter += 1
        path = self.workdir / f"snippet-{self.counter}.py"
        path.write_text(textwrap.dedent(code), encoding="utf-8")
        return str(path)

    def run(self, code, *, timeout=180):
        """Run a snippet in the helper (its own cursor, committed); returns what it ``emit``-ted."""
        answer = self._request({"cmd": "run", "code": self._code_file(code)}, timeout)
        if "error" in answer:
            raise AssertionError(f"Odoo snippet failed:\n{answer['error']}")
        return answer["results"]

    def spawn(self, code, *, log_name="worker"):
        """Fork a worker that runs the snippet; returns a Worker."""
        self.counter += 1
        out = self.workdir / f"{log_name}-{self.counter}.out"
        answer = self._request({"cmd": "fork", "code": self._code_file(code), "out": str(out)}, 30)
        worker = Worker(answer["pid"], out)
        self.workers.append(worker)
        return worker

    def start_server(self, *, http_port, log_name="server", extra=()):
        """A real ``python3 -m odoo`` server on this database; returns the Popen once it answers."""
        log = open(self.workdir / f"{log_name}-{http_port}.log", "w", encoding="utf-8")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "odoo", "-d", self.name, *db_args(), f"--addons-path={self.addons_path}",
             "--http-interface=127.0.0.1", f"--http-port={http_port}", "--gevent-port", str(free_port()),
             "--workers=0", "--max-cron-threads=0", "--db-filter", f"^{self.name}$", "--log-level=info",
             *extra],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=child_env(),
            start_new_session=True,
        )
        process.log_path = log.name
        log.close()
        self.servers.append(process)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(Path(process.log_path).read_text(encoding="utf-8")[-4000:])
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", http_port), timeout=1):
                return process
            time.sleep(0.3)
        raise AssertionError("the Odoo server did not start within 90 s")

    def stop_server(self, process):
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)

    def kill_all(self):
        for worker in self.workers:
            worker.kill()
        self.workers.clear()
        for process in self.servers:
            self.stop_server(process)
        self.servers.clear()


def results(stdout):
    return [json.loads(line[len("RESULT "):]) for line in (stdout or "").splitlines() if line.startswith("RESULT ")]


def session_database(tmp_path_factory, name, modules):
    """A fresh database with ``modules`` installed, without demo data, and its helper; dropped at the end."""
    workdir = tmp_path_factory.mktemp("reliability")
    path = addons_path()
    reuse = os.environ.get("SYNC_RELIABILITY_REUSE_DB")  # developers only: skip the install
    if not reuse:
        subprocess.run(["dropdb", "--if-exists", "--force", *pg_flags(), name], check=True)
        subprocess.run(["createdb", *pg_flags(), name], check=True)
    try:
        result = subprocess.CompletedProcess([], 0, "") if reuse else None
        result = result or subprocess.run(
            [sys.executable, "-m", "odoo", "-d", name, *db_args(), f"--addons-path={path}",
             "-i", ",".join(modules), "--stop-after-init", "--without-demo=all", "--log-level=warn",
             "--workers=0", "--max-cron-threads=0", "--http-port", str(free_port())],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=child_env(), check=False,
        )
        if result.returncode:
            raise AssertionError(f"installation failed:\n{result.stdout[-4000:]}")
        database = OdooDatabase(name, path, workdir)
        try:
            yield database
        finally:
            database.close()
    finally:
        if not (os.environ.get("SYNC_RELIABILITY_KEEP_DB") or reuse):
            subprocess.run(["dropdb", "--if-exists", "--force", *pg_flags(), name], check=False)


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    """The session's database with sync_base and sync_hubspot."""
    yield from session_database(tmp_path_factory, DB_NAME, MODULES)


@pytest.fixture(scope="session")
def shopify_database(tmp_path_factory):
    """The session's database with sync_base and sync_shopify (tests marked ``shopify``)."""
    yield from session_database(tmp_path_factory, SHOPIFY_DB_NAME, SHOPIFY_MODULES)


@pytest.fixture
def odoo(request):
    """The session database (the Shopify one for tests marked ``shopify``); every Odoo process the
    test starts is killed when it ends."""
    shopify = request.node.get_closest_marker("shopify")
    database = request.getfixturevalue("shopify_database" if shopify else "database")
    try:
        yield database
    finally:
        database.kill_all()
        # Backends of this test stop reacting to later tests' partners.
        database.sql("UPDATE sync_backend SET state = 'disconnected', active = FALSE WHERE active")


class SlowServer:
    """A real HTTP server that answers 200 after ``latency`` seconds and records every body."""

    def __init__(self, latency=0.0):
        self.latency = latency
        self.bodies = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                time.sleep(server.latency)
                with server.lock:
                    server.bodies.append(body)
                data = b'{"ok": true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/api"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def received(self):
        with self.lock:
            return [json.loads(body)["n"] for body in self.bodies if body]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def slow_server():
    server = SlowServer()
    yield server
    server.stop()


@pytest.fixture
def hub():
    from sandbox import HubSpotSandbox

    # A one-second window: a 429 asks for a one-second wait, so storms cost seconds, not minutes.
    server = HubSpotSandbox(seed=7, contacts=0, companies=0, deals=0, rate_limit=1000, window_seconds=1)
    server.start(host="127.0.0.1", port=0)
    yield server
    server.stop()


@pytest.fixture
def shop_factory():
    """Start Shopify sandboxes (``shop_factory(products=..., **options)``); all stopped at the end."""
    from sandbox import ShopifySandbox

    started = []

    def start(products=60, **options):
        # Rate limit lifted unless a test asks for it: the suite proves behaviour, not Shopify's pacing.
        options = {"customers": 20, "seed": 11, "bucket_max": 10**9, "restore_rate": 10**9, **options}
        server = ShopifySandbox(products, **options).start(host="127.0.0.1", port=0)
        started.append(server)
        server.execute("query Warm { shop { name } }")  # builds the schema outside the tests' timings
        return server

    yield start
    for server in started:
        server.stop()


def http_port():
    """A free port for an Odoo server of a test, in ``$SYNC_RELIABILITY_PORTS`` (default 18150-18199)."""
    low, high = (int(part) for part in os.environ.get("SYNC_RELIABILITY_PORTS", "18150-18199").split("-"))
    for port in range(low, high + 1):
        with contextlib.closing(socket.socket()) as sock:
            if sock.connect_ex(("127.0.0.1", port)):
                return port
    raise AssertionError(f"no free port in {low}-{high}")


def wait_until(predicate, timeout, interval=0.1, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")
