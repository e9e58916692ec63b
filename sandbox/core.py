"""What both emulators share: fault switches, the request log, the HTTP
server thread and the webhook sender.

The servers are real WSGI servers on 127.0.0.1 so that a connector under
test goes through its own HTTP stack (timeouts, retries, TLS-less sockets)
exactly as it would against Shopify or HubSpot.
"""

import base64
import contextlib
import hashlib
import heapq
import hmac
import itertools
import json
import random
import socket
import threading
import time
import uuid

import requests as http
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

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


class _QuietHandler(WSGIRequestHandler):
    # The test output should show assertions, not one access-log line per call.
    def log_request(self, *args, **kwargs):
        pass

    def log(self, type, message, *args):
        if type == "error":
            super().log(type, message, *args)

    def connection_dropped(self, error, environ=None):
        pass


class _KeepAliveHandler(_QuietHandler):
    """The emulators' handler: connections stay open between calls, and stop() closes them."""

    def setup(self):
        super().setup()
        with self.server.open_connections_lock:
            self.server.open_connections.add(self.connection)

    def finish(self):
        with self.server.open_connections_lock:
            self.server.open_connections.discard(self.connection)
        super().finish()

    def send_header(self, keyword, value):
        # Werkzeug's development server closes the connection after every answer; Shopify
        # and HubSpot keep it open for the client's next call, and so do the emulators.
        # Safe because _wsgi reads every request's body: the next request starts where
        # the stream stands.
        if keyword.lower() == "connection" and value.lower() == "close":
            return
        super().send_header(keyword, value)


class DropConnection(Exception):
    """Raised by a handler to close the socket without an answer."""


def json_response(payload, status=200, headers=None):
    return Response(json.dumps(payload), status=status, headers=headers or {}, content_type="application/json")


class SandboxServer:
    """Base of both emulators: HTTP plumbing, faults, request log, control endpoint."""

    name = "sandbox"

    def __init__(self, seed=0, clock=None):
        self.seed = seed
        self.clock = clock or time.time
        self.lock = threading.RLock()
        self.rng = random.Random(seed)
        self.faults = Faults(random.Random(seed + 1))
        self.requests = []
        self.webhooks = WebhookSender(self.faults)
        self._server = None
        self._thread = None
        self.url = None

    # -- lifecycle -------------------------------------------------------
    def start(self, host="127.0.0.1", port=0):
        self._server = make_server(host, port, self._wsgi, threaded=True, request_handler=_KeepAliveHandler)
        self._server.daemon_threads = True
        # Kept-alive connections, closed by stop(): a stopped emulator must not go on
        # answering a client's open connection from its old state.
        self._server.open_connections, self._server.open_connections_lock = set(), threading.Lock()
        self.host, self.port = host, self._server.server_port
        self.url = "http://%s:%d" % (host, self.port)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=self.name, daemon=True
        )
        self._thread.start()
        self.webhooks.start()
        return self

    def stop(self):
        self.webhooks.stop()
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            with self._server.open_connections_lock:
                for connection in self._server.open_connections:
                    with contextlib.suppress(OSError):
                        connection.shutdown(socket.SHUT_RDWR)
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
        request.get_data()  # the whole body, also when unused: the connection stays open (keep-alive)
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
            # takes for a client that went away (quiet), not for an application error.
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
    sock = environ.get("werkzeug.socket")
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
    """Delivers webhooks from one background thread, retrying with backoff.

    Deliveries are recorded (`deliveries`) so tests can assert on them.
    `retry_delays` is the backoff schedule in seconds; Shopify and HubSpot
    retry for hours, the sandbox keeps the shape but shrinks the time.
    """

    def __init__(self, faults, retry_delays=(0.2, 0.5, 1.0, 2.0), timeout=5.0, hold_seconds=0.3):
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
        self._thread = None
        self._stopping = False

    def start(self):
        if self._thread and self._thread.is_alive():
            return
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="webhooks", daemon=True)
        self._thread.start()

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
