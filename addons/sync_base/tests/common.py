import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo.tests import TransactionCase, new_test_user


class RecordingHttpServer:
    """A real HTTP server on 127.0.0.1 that records requests and answers as told.

    ``answers`` is a list of ``(status, body, headers)`` served in order, the last
    one repeating; tests use it to play a remote system that fails, throttles or
    accepts.
    """

    def __init__(self):
        self.requests = []
        self.answers = [(200, {"ok": True}, {})]
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                server.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                        "body": body})
                status, payload, headers = server.answers[min(len(server.requests), len(server.answers)) - 1]
                data = json.dumps(payload).encode()
                self.send_response(status)
                for key, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/api"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class SyncCase(TransactionCase):
    """A backend pointed at a recording HTTP server, and the two kinds of users."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = RecordingHttpServer()
        cls.addClassCleanup(cls.server.stop)
        cls.backend = cls.env["sync.backend"].create({
            "name": "Test remote",
            "api_url": cls.server.url,
            "api_token": "tok-SECRET-1234",
            "retry_jitter": 0.0,
            "retry_base_delay": 30,
            "retry_max_delay": 600,
            "max_attempts": 4,
            "restrict_heavy_to_window": False,
        })
        cls.sync_user = new_test_user(cls.env, login="sync_user", groups="base.group_user,sync_base.group_sync_user")
        cls.sync_manager = new_test_user(
            cls.env, login="sync_manager", groups="base.group_user,sync_base.group_sync_manager"
        )
        cls.Job = cls.env["sync.job"]

    def setUp(self):
        super().setUp()
        self.server.requests.clear()
        self.server.answers = [(200, {"ok": True}, {})]

    def run_queue(self):
        return self.Job._process_queue(backends=self.backend, commit=False)
