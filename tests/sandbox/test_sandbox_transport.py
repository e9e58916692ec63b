"""The emulators' HTTP transport, as real clients use it: kept-alive connections, large and
slow bodies, pipelined requests.

Shopify's and HubSpot's APIs are served over HTTP/1.1 with persistent connections (RFC 9112,
section 9.3: a connection is persistent unless either side says ``Connection: close``), and the
connectors reuse one connection per backend (requests.Session). A server that answers only the
first request of a connection, or parses the rest of a body as the next request line, makes the
connectors fail in ways no platform would. Speed is measured in ``bench/sandbox_transport``.
"""

import json
import random
import socket
import time
from http.client import HTTPResponse

import pytest
import requests

from sandbox import HubSpotSandbox
from sandbox import shopify_documents as docs

REQUESTS = 1_000
MAX_BODY = 1_000_000


@pytest.fixture
def hubspot():
    # A rate limit the test cannot reach: this test is about the transport, not the 429s.
    server = HubSpotSandbox(seed=3, contacts=20, companies=0, deals=0, rate_limit=100_000).start()
    yield server
    server.stop()


def body_sizes(count, seed=7):
    """Sizes from 0 B to 1 MB, log-spread so that every order of magnitude is hit."""
    rng = random.Random(seed)
    sizes = [0, 1, MAX_BODY, MAX_BODY - 1]
    while len(sizes) < count:
        sizes.append(int(10 ** rng.uniform(0, 6)))
    rng.shuffle(sizes)
    return sizes


def padded(payload, size):
    """``payload`` as JSON, padded with white space to ``size`` bytes when that is larger."""
    text = json.dumps(payload)
    return (text + " " * max(0, size - len(text))).encode()


def test_hubspot_one_kept_connection_answers_1000_mixed_requests(hubspot):
    hubspot.faults.set(latency=0.001)
    contacts = sorted(hubspot.store.objects["contacts"].items())
    session = requests.Session()
    headers = {"Authorization": "Bearer " + hubspot.token, "Content-Type": "application/json"}
    for index, size in enumerate(body_sizes(REQUESTS)):
        contact_id, contact = contacts[index % len(contacts)]
        if size == 0:
            answer = session.get(f"{hubspot.url}/crm/v3/objects/contacts/{contact_id}", headers=headers, timeout=5)
            assert answer.status_code == 200, (index, answer.text)
            assert answer.json()["properties"]["email"] == contact["properties"]["email"]
            continue
        body = padded({"inputs": [{"id": contact_id}], "properties": ["email"]}, size)
        answer = session.post(
            f"{hubspot.url}/crm/v3/objects/contacts/batch/read", data=body, headers=headers, timeout=5
        )
        assert answer.status_code == 200, (index, size, answer.text[:200])
        assert [row["properties"]["email"] for row in answer.json()["results"]] == [contact["properties"]["email"]]
    assert len(hubspot.requests) == REQUESTS
    assert len({record["client_port"] for record in hubspot.requests}) == 1, "the connection was not kept"
    assert max(len(record["body"]) for record in hubspot.requests) == MAX_BODY


def test_shopify_one_kept_connection_answers_1000_graphql_posts(shop):
    shop.faults.set(latency=0.001)
    session = requests.Session()
    headers = {"X-Shopify-Access-Token": shop.access_token, "Content-Type": "application/json"}
    name = shop.execute(docs.SHOP)["data"]["shop"]["name"]
    for index, size in enumerate(body_sizes(REQUESTS, seed=8)):
        body = padded({"query": docs.SHOP, "variables": {}}, size)
        answer = session.post(shop.graphql_url, data=body, headers=headers, timeout=5)
        assert answer.status_code == 200, (index, size, answer.text[:200])
        assert answer.json()["data"]["shop"]["name"] == name
    assert len({record["client_port"] for record in shop.requests}) == 1, "the connection was not kept"


def test_a_body_sent_slower_than_it_is_read_is_read_whole(hubspot):
    contact_id, contact = sorted(hubspot.store.objects["contacts"].items())[0]
    body = padded({"inputs": [{"id": contact_id}], "properties": ["email"]}, 50_000)
    with socket.create_connection((hubspot.host, hubspot.port), timeout=5) as sock:
        sock.sendall(head_bytes(hubspot, "POST", "/crm/v3/objects/contacts/batch/read", len(body)))
        for start in range(0, len(body), 5_000):
            time.sleep(0.02)  # the server has read what came and waits for the rest
            sock.sendall(body[start:start + 5_000])
        reader = sock.makefile("rb")
        first = read_response(reader)
        # The same connection then serves the next request from where the body ended.
        sock.sendall(request_bytes(hubspot, "GET", f"/crm/v3/objects/contacts/{contact_id}"))
        second = read_response(reader)
    assert first.status == 200 and json.loads(first.body)["results"][0]["id"] == contact_id
    assert second.status == 200 and json.loads(second.body)["properties"]["email"] == contact["properties"]["email"]
    assert hubspot.requests[0]["body"] == body.decode()


def test_pipelined_requests_are_answered_in_order(hubspot):
    contacts = sorted(hubspot.store.objects["contacts"].items())[:3]
    batch = padded({"inputs": [{"id": contacts[1][0]}], "properties": ["email"]}, 20_000)
    pipeline = (
        request_bytes(hubspot, "GET", f"/crm/v3/objects/contacts/{contacts[0][0]}")
        + request_bytes(hubspot, "POST", "/crm/v3/objects/contacts/batch/read", batch)
        + request_bytes(hubspot, "GET", f"/crm/v3/objects/contacts/{contacts[2][0]}")
    )
    with socket.create_connection((hubspot.host, hubspot.port), timeout=5) as sock:
        sock.sendall(pipeline)  # all three before reading any answer
        reader = sock.makefile("rb")
        answers = [read_response(reader) for _ in range(3)]
    assert [answer.status for answer in answers] == [200, 200, 200]
    emails = [
        json.loads(answers[0].body)["properties"]["email"],
        json.loads(answers[1].body)["results"][0]["properties"]["email"],
        json.loads(answers[2].body)["properties"]["email"],
    ]
    assert emails == [contact["properties"]["email"] for _, contact in contacts]


def test_a_dropped_write_closes_only_that_connection(hubspot):
    """The 'drop after write' fault on a kept-alive session: the write is applied, the client sees
    the connection close without an answer, and its next request goes out on a new connection."""
    session = requests.Session()
    headers = {"Authorization": "Bearer " + hubspot.token}
    url = hubspot.url + "/crm/v3/objects/contacts"
    assert session.get(url, headers=headers, timeout=5).status_code == 200
    hubspot.faults.set(drop_after_write=1)
    with pytest.raises(requests.ConnectionError):
        session.post(url, json={"properties": {"email": "kept@example.org"}}, headers=headers, timeout=5)
    assert session.get(url, headers=headers, timeout=5).status_code == 200
    emails = [record["properties"].get("email") for record in hubspot.store.objects["contacts"].values()]
    assert "kept@example.org" in emails
    ports = [record["client_port"] for record in hubspot.requests]
    assert ports[0] == ports[1] != ports[2]


def test_stop_closes_kept_alive_connections():
    server = HubSpotSandbox(seed=1, contacts=1, companies=0, deals=0).start()
    session = requests.Session()
    url = server.url + "/crm/v3/objects/contacts"
    assert session.get(url, headers={"Authorization": "Bearer " + server.token}, timeout=5).status_code == 200
    server.stop()
    with pytest.raises(requests.ConnectionError):
        session.get(url, headers={"Authorization": "Bearer " + server.token}, timeout=5)


# -- raw HTTP/1.1 ---------------------------------------------------------------------------------
def head_bytes(server, method, path, length):
    return (
        f"{method} {path} HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n"
        f"Authorization: Bearer {server.token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


def request_bytes(server, method, path, body=b""):
    return head_bytes(server, method, path, len(body)) + body


class _Answer:
    def __init__(self, status, body):
        self.status, self.body = status, body


class _SharedReader:
    """Lets http.client parse one answer after another from one buffered reader (pipelining):
    HTTPResponse closes its file when an answer is read, which must not close the connection."""

    def __init__(self, reader):
        self._reader = reader

    def makefile(self, *args, **kwargs):
        return self

    def __getattr__(self, name):
        return getattr(self._reader, name)

    def close(self):
        pass


def read_response(reader):
    response = HTTPResponse(_SharedReader(reader))
    response.begin()
    return _Answer(response.status, response.read())
