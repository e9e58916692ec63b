"""Fixtures for the sandbox tests: servers on free ports, a webhook
receiver, and a fake clock for deterministic throttle maths."""

import threading
import time

import pytest
import requests
from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from sandbox import HubSpotSandbox, ShopifySandbox
from sandbox.core import HttpServer

FAST_RETRIES = (0.05, 0.1, 0.2)


class FakeClock:
    def __init__(self, start=1_700_000_000.0):
        self.now = start

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


class Receiver:
    """A webhook endpoint that records what it gets. `statuses` is a script
    of answers to give first (then 200)."""

    def __init__(self):
        self.calls = []
        self.statuses = []
        self._lock = threading.Lock()
        self._server = HttpServer(self._app, name="webhook-receiver")
        self.url = self._server.url + "/hooks"

    def _app(self, environ, start_response):
        request = Request(environ)
        with self._lock:
            status = self.statuses.pop(0) if self.statuses else 200
            self.calls.append(
                {
                    "method": request.method,
                    "url": request.url,
                    "headers": Headers(list(request.headers.items())),
                    "body": request.get_data(),
                    "status": status,
                }
            )
        return Response("ok", status=status)(environ, start_response)

    def wait_for(self, count, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.calls) >= count:
                return self.calls
            time.sleep(0.01)
        raise AssertionError("expected %d webhook calls, got %d" % (count, len(self.calls)))

    def stop(self):
        self._server.stop()


class Gql:
    def __init__(self, shop):
        self.shop = shop

    def raw(self, document, variables=None, token=None):
        headers = {"X-Shopify-Access-Token": token or self.shop.access_token}
        return requests.post(
            self.shop.graphql_url, json={"query": document, "variables": variables or {}}, headers=headers, timeout=10
        )

    def __call__(self, document, variables=None):
        response = self.raw(document, variables)
        assert response.status_code == 200, response.text
        return response.json()

    def data(self, document, variables=None):
        payload = self(document, variables)
        assert "errors" not in payload, payload["errors"]
        return payload["data"]


@pytest.fixture(scope="session")
def shop_server():
    server = ShopifySandbox(products=30, customers=10, seed=1, webhook_retry_delays=FAST_RETRIES).start()
    yield server
    server.stop()


@pytest.fixture
def shop(shop_server):
    shop_server.reset()
    yield shop_server
    shop_server.faults.clear()
    shop_server.webhooks.drain(2)


@pytest.fixture
def gql(shop):
    return Gql(shop)


@pytest.fixture(scope="session")
def hub_server():
    server = HubSpotSandbox(seed=1, rate_limit=1000, search_rate=1000, webhook_retry_delays=FAST_RETRIES).start()
    yield server
    server.stop()


@pytest.fixture
def hub(hub_server):
    hub_server.reset()
    hub_server.webhook_target_url = None
    yield hub_server
    hub_server.faults.clear()
    hub_server.webhooks.drain(2)


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def clock():
    return FakeClock()
