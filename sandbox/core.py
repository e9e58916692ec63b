"""What both emulators share: fault switches, the request log, the HTTP
server thread and the webhook sender.

The servers are real HTTP/1.1 servers (cheroot) on 127.0.0.1 so that a
connector under test goes through its own HTTP stack (kept-alive connections,
timeouts, retries, TLS-less sockets) exactly as it would against Shopify or
HubSpot.
"""

import base64
import contextlib
import hashlib
import heapq
import hmac
import itertools
import json
import logging
import random
import socket
import threading
import time
import uuid

import requests as http
from cheroot import wsgi as cheroot_wsgi
from werkzeug.wrappers import Request, Response

_logger = logging.getLogger(__name__)

# The environ key under which the server puts the connection's socket (see _Gateway).
SOCKET_KEY = "sandbox.socket"

FAULT_DEFAULTS = {
    # share (0..1) of API requests answered with a 5xx before anything is done
    "error_rate": 0.0,
    "error_statuses": (500, 502, 503),
    # every API request is answered as rate limited (Shopify THROTTLED, HubSpot 429)
    "throttle_storm": False,
    # seconds slept before answering
    "latency": 0.0,
    # the next N writes are applied, then the socket is closed without an answer
    "drop_after_write": 0,
    # each webhook is delivered twice (same webhook/event id); a number N: N extra copies
    "duplicate_webhooks": False,
    # webhooks are held back and delivered newest first
    "out_of_order_webhooks": False,
    # webhooks are signed with a wrong secret
    "bad_hmac": False,
    # every API connection is closed without an answer
    "down": False,
}


class Faults:
    """Fault switches of one server; read by the request path at each call."""

    def __init__(self, rng):
        self._rng = rng
        self._lock = threading.Lock()
        self.clear()

    def set(self, **switches):
        unknown = set(switches) - set(FAULT_DEFAULTS)
        if unknown:
            raise ValueError("unknown fault(s) %s; known: %s" % (sorted(unknown), sorted(FAULT_DEFAULTS)))
        with self._lock:
            self._values.update(switches)
        return self

    def clear(self):
        with self._lock:
            self._values = dict(FAULT_DEFAULTS)
        return self

    def __getattr__(self, name):
        if name.startswith("_") or name not in FAULT_DEFAULTS:
            raise AttributeError(name)
        return self._values[name]

    def as_dict(self):
        with self._lock:
            values = dict(self._values)
        values["error_statuses"] = list(values["error_statuses"])
        return values

    def pick_error_status(self):
        """A 5xx status if this request should fail, else None (seeded rng)."""
        with self._lock:
            rate = self._values["error_rate"]
            if rate and self._rng.random() < rate:
                return self._rng.choice(list(self._values["error_statuses"]))
        return None

    def take_drop(self):
        """Consume one 'drop after write' token; True if this write must be dropped."""
        with self._lock:
            if self._values["drop_after_write"] > 0:
                self._values["drop_after_write"] -= 1
                return True
        return False


class _Gateway(cheroot_wsgi.Gateway_10):
    """Cheroot's WSGI 1.0 gateway, with the connection's socket in the environ.

    The 'drop after write' and 'down' faults close the socket without an answer,
    as a proxy dying after the upstream committed the write; WSGI itself gives an
    application no way to do that.
    """

    def get_environ(self):
        environ = super().get_environ()
        environ[SOCKET_KEY] = self.req.conn.socket
        return environ


class _CherootServer(cheroot_wsgi.Server):
    def error_log(self, msg="", level=logging.INFO, traceback=False):
        # Cheroot writes every event to stderr; the test output should show assertions,
        # and only what went wrong inside the server.
        if level >= logging.WARNING:
            _logger.log(level, "%s", msg, exc_info=traceback)


class HttpServer:
    """A WSGI application served on a free local port by cheroot, in a background thread.

    Cheroot (CherryPy's server) speaks HTTP/1.1 itself: connections are kept alive
    between requests, pipelined requests are answered in order, a body is read as
    slowly as the client sends it, and idle kept-alive connections wait in a selector
    without holding a worker thread. stop() closes every connection, so a stopped
    emulator never answers a client's open connection from its old state.
    """

    def __init__(self, app, host="127.0.0.1", port=0, *, name="sandbox", threads=32, idle_timeout=60):
        self._server = _CherootServer(
            (host, port), app, numthreads=threads, server_name=name, timeout=idle_timeout, shutdown_timeout=1
        )
        self._server.gateway = _Gateway
        self._bound = threading.Event()
        self._bind_error = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        self._bound.wait()
        if self._bind_error:
            raise self._bind_error
        self.host, self.port = host, self._server.bind_addr[1]
        self.url = "http://%s:%d" % (host, self.port)

    def _run(self):
        # prepare() binds and starts the worker threads: in this daemon thread, so that
        # they are daemons too and a process that forgets stop() can still exit.
        try:
            self._server.prepare()
        except OSError as error:
            self._bind_error = error
            return
        finally:
            self._bound.set()
        self._server.serve()

    def stop(self):
        self._server.stop()
        self._thread.join(timeout=5)


class DropConnection(Exception):
    """Raised by a handler to close the socket without an answer."""


def json_response(payload, status=200, headers=None):
    return Response(json.dumps(payload), status=status, headers=headers or {}, content_type="application/json")


class SandboxServer:
    """Base of both emulators: HTTP plumbing, faults, request log, control endpoint."""

    name = "sandbox"
    # Deliveries in flight at once; a platform that documents its own sets it.
    webhook_concurrency = 1

    def __init__(self, seed=0, clock=None):
        self.seed = seed
        self.clock = clock or time.time
        self.lock = threading.RLock()
        self.rng = random.Random(seed)
        self.faults = Faults(random.Random(seed + 1))
        self.requests = []
        self.webhooks = WebhookSender(self.faults, concurrency=self.webhook_concurrency)
        self._server = None
        self.url = None

    # -- lifecycle -------------------------------------------------------
    def start(self, host="127.0.0.1", port=0):
        self._server = HttpServer(self._wsgi, host, port, name=self.name)
        self.host, self.port, self.url = host, self._server.port, self._server.url
        self.webhooks.start()
        return self

    def stop(self):
        self.webhooks.stop()
        if self._server:
            self._server.stop()
            self._server = None

    def __enter__(self):
        return self if self._server else self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- hooks for subclasses ---------------------------------------------
    def handle(self, request, record):
        """Answer one API request; set record['write'] = True when state changed."""
        raise NotImplementedError

    def rate_limited_response(self):
        raise NotImplementedError

    def server_error_response(self, status):
        """The body of an injected 5xx; subclasses use their API's shape."""
        return json_response({"errors": "Internal Server Error"}, status=status)

    def control(self, request, action):
        """Sandbox-specific control actions; None if unknown."""
        return None

    def reset(self):
        raise NotImplementedError

    # -- request path -----------------------------------------------------
    def _wsgi(self, environ, start_response):
        request = Request(environ)
        request.get_data()  # the whole body, also when unused: it is recorded
        if request.path.startswith("/_sandbox/"):
            return self._control(request)(environ, start_response)
        record = self._record(request)
        try:
            response = self._answer(request, record)
        except DropConnection:
            record["status"] = None
            record["dropped"] = True
            _drop(environ)
            # The server's write of this answer then fails on the closed socket, which it
            # takes for a client that went away and closes the connection.
            start_response("502 Bad Gateway", [("Content-Length", "0")])
            return []
        record["status"] = response.status_code
        return response(environ, start_response)

    def _answer(self, request, record):
        faults = self.faults
        if faults.down:
            raise DropConnection()
        if faults.latency:
            time.sleep(faults.latency)
        if faults.throttle_storm:
            record["throttled"] = True
            return self.rate_limited_response()
        status = faults.pick_error_status()
        if status:
            return self.server_error_response(status)
        response = self.handle(request, record)
        if record.get("write") and faults.take_drop():
            raise DropConnection()
        return response

    def _record(self, request):
        body = request.get_data(as_text=True)
        record = {
            "method": request.method,
            "path": request.path,
            "query": request.args.to_dict(flat=True),
            "headers": dict(request.headers),
            "body": body,
            "time": self.clock(),
            "status": None,
            # The client's end of the connection: requests on one kept-alive connection share it.
            "client_port": int(request.environ.get("REMOTE_PORT") or 0),
        }
        with self.lock:
            self.requests.append(record)
        return record

    def _control(self, request):
        action = request.path[len("/_sandbox/") :].strip("/")
        if action == "requests":
            return self._control_requests(request)
        if action == "faults":
            return self._control_faults(request)
        if action == "reset" and request.method == "POST":
            self.reset()
            return json_response({"ok": True})
        if action == "webhooks":
            return json_response(self.webhooks.deliveries_snapshot())
        response = self.control(request, action)
        return response or json_response({"error": "unknown control action %r" % action}, status=404)

    def _control_requests(self, request):
        with self.lock:
            if request.method == "DELETE":
                self.requests.clear()
            return json_response(list(self.requests))

    def _control_faults(self, request):
        if request.method == "DELETE":
            self.faults.clear()
        elif request.method == "POST":
            switches = request.get_json(silent=True) or {}
            if switches.pop("clear", False):
                self.faults.clear()
            try:
                self.faults.set(**switches)
            except ValueError as exc:
                return json_response({"error": str(exc)}, status=400)
        return json_response(self.faults.as_dict())


def _drop(environ):
    # Closing both directions makes the client see a reset/empty reply, the
    # same as a proxy dying after the upstream has committed the write.
    sock = environ.get(SOCKET_KEY)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def hmac_b64(secret, message):
    if isinstance(secret, str):
        secret = secret.encode()
    if isinstance(message, str):
        message = message.encode()
    return base64.b64encode(hmac.new(secret, message, hashlib.sha256).digest()).decode()


class WebhookSender:
    """Delivers webhooks from ``concurrency`` background threads, retrying with backoff.

    Deliveries are recorded (`deliveries`) so tests can assert on them.
    `retry_delays` is the backoff schedule in seconds; Shopify and HubSpot
    retry for hours, the sandbox keeps the shape but shrinks the time.
    """

    def __init__(self, faults, retry_delays=(0.2, 0.5, 1.0, 2.0), timeout=5.0, hold_seconds=0.3, concurrency=1):
        self.concurrency = concurrency
        self.faults = faults
        self.retry_delays = tuple(retry_delays)
        self.timeout = timeout
        self.hold_seconds = hold_seconds
        self.deliveries = []
        self._heap = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._busy = 0
        self._held = None
        self._threads = []
        self._stopping = False

    def start(self):
        if any(thread.is_alive() for thread in self._threads):
            return
        self._stopping = False
        self._threads = [threading.Thread(target=self._run, name=f"webhooks-{n}", daemon=True)
                         for n in range(self.concurrency)]
        for thread in self._threads:
            thread.start()

    def stop(self):
        with self._cond:
            self._stopping = True
            self._cond.notify_all()

    def clear(self):
        with self._cond:
            self._heap.clear()
            self._held = None
            self.deliveries.clear()

    def submit(self, url, body, headers, meta=None):
        """Queue one delivery. body: bytes; headers: dict (already signed)."""
        delivery = {
            "url": url,
            "body": body,
            "headers": headers,
            "meta": meta or {},
            "attempts": [],
            "delivered": False,
            "gave_up": False,
        }
        # True is one extra copy (bool is an int); a number asks for that many.
        extra = int(self.faults.duplicate_webhooks or 0)
        copies = [delivery] + [dict(delivery, attempts=[], duplicate=True) for _ in range(extra)]
        with self._cond:
            for item in copies:
                self.deliveries.append(item)
                if self.faults.out_of_order_webhooks:
                    self._hold(item)
                else:
                    self._push(time.monotonic(), item)
            self._cond.notify_all()

    def _hold(self, item):
        # Out of order: keep one delivery back and release it after the next
        # one, so each pair arrives newest first.
        if self._held is None:
            self._held = (item, time.monotonic() + self.hold_seconds)
        else:
            held, _ = self._held
            self._held = None
            now = time.monotonic()
            self._push(now, item)
            self._push(now + 0.05, held)

    def _push(self, due, item):
        heapq.heappush(self._heap, (due, next(self._seq), item))

    def drain(self, timeout=10.0):
        """Wait until nothing is queued, held or in flight. True if idle."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._heap or self._busy or self._held:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.05))
        return True

    def deliveries_snapshot(self):
        with self._cond:
            return [dict(d, body=d["body"].decode("utf-8", "replace")) for d in self.deliveries]

    def _next_item(self):
        with self._cond:
            while not self._stopping:
                now = time.monotonic()
                if self._held and self._held[1] <= now:
                    self._push(now, self._held[0])
                    self._held = None
                if self._heap and self._heap[0][0] <= now:
                    self._busy += 1
                    return heapq.heappop(self._heap)[2]
                self._cond.wait(0.05)
        return None

    def _run(self):
        while True:
            item = self._next_item()
            if item is None:
                return
            try:
                self._attempt(item)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _attempt(self, item):
        try:
            answer = http.post(item["url"], data=item["body"], headers=item["headers"], timeout=self.timeout)
            outcome = answer.status_code
            ok = 200 <= answer.status_code < 300
        except http.RequestException as exc:
            outcome, ok = "%s" % type(exc).__name__, False
        with self._cond:
            item["attempts"].append(outcome)
            if ok:
                item["delivered"] = True
                return
            tries = len(item["attempts"])
            if tries > len(self.retry_delays):
                item["gave_up"] = True
                return
            self._push(time.monotonic() + self.retry_delays[tries - 1], item)


def new_uuid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
