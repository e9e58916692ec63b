"""HubSpot webhooks against a real Odoo server: bad input refused cleanly, replays harmless."""

import base64
import hashlib
import hmac
import json
import time

import pytest
import requests

from .snippets import drain, hubspot_backend
from .test_security import http_port


@pytest.fixture(scope="module")
def hooked(database):
    from sandbox import HubSpotSandbox

    hub = HubSpotSandbox(seed=5, contacts=1, companies=0, deals=0, rate_limit=1000, window_seconds=1)
    hub.start(host="127.0.0.1", port=0)
    try:
        backend_id = database.run(hubspot_backend(hub, 0, name="Reliability webhooks"))[0]["backend"]
        port = http_port()
        database.start_server(http_port=port, log_name="webhook-server")
        url = f"http://127.0.0.1:{port}/sync_hubspot/webhook/{backend_id}"
        yield {"hub": hub, "backend": backend_id, "url": url}
    finally:
        database.kill_all()
        database.sql("UPDATE sync_backend SET state = 'disconnected', active = FALSE WHERE active")
        hub.stop()


def post(hooked, body, *, secret=None, stamp=None):
    stamp = str(stamp or int(time.time() * 1000))
    message = b"POST" + hooked["url"].encode() + body + stamp.encode()
    digest = hmac.new((secret or hooked["hub"].client_secret).encode(), message, hashlib.sha256).digest()
    return requests.post(hooked["url"], data=body, timeout=60, headers={
        "Content-Type": "application/json", "X-HubSpot-Request-Timestamp": stamp,
        "X-HubSpot-Signature-v3": base64.b64encode(digest).decode(),
    })


def jobs(database, hooked):
    return database.scalar("SELECT count(*) FROM sync_job WHERE backend_id = %s", [hooked["backend"]])


def event(event_id):
    return {"eventId": event_id, "objectId": 4242, "subscriptionType": "contact.propertyChange",
            "changeSource": "CRM_UI", "propertyName": "phone"}


def test_missing_forged_expired_signatures_are_401_unknown_backend_404_and_store_nothing(hooked, database):
    before = jobs(database, hooked)
    body = json.dumps([event(1)]).encode()
    assert requests.post(hooked["url"], data=body, timeout=30).status_code == 401
    assert post(hooked, body, secret="forged-secret").status_code == 401
    assert post(hooked, body, stamp=int(time.time() * 1000) - 6 * 60 * 1000).status_code == 401
    # An unknown backend is a plain 404, as Shopify's endpoint answers: nothing said about other backends.
    assert requests.post(hooked["url"].rsplit("/", 1)[0] + "/999999", data=body, timeout=30).status_code == 404
    huge = b"[" + b" " * (8 * 1024 * 1024) + b"]"
    assert requests.post(hooked["url"], data=huge, timeout=60).status_code in (401, 413)
    assert jobs(database, hooked) == before


def test_malformed_json_is_refused_without_a_server_error(hooked, database):
    before = jobs(database, hooked)
    for body in (b"{not json", b"\xff\xfe\x00", b'{"eventId": 1}', b"[]"):
        status = post(hooked, body).status_code
        assert 200 <= status < 500, (body, status)
    # The three unreadable bodies are kept as failed jobs; the empty list queues nothing.
    assert jobs(database, hooked) - before == 3


def test_array_of_non_objects_is_refused_without_a_server_error(hooked):
    assert post(hooked, b'[1, "x", null]').status_code < 500


def test_malformed_json_becomes_a_failed_job_with_the_raw_body(hooked, database):
    post(hooked, b"{not json")
    rows = database.sql(
        "SELECT state, payload, failure_reason FROM sync_job WHERE backend_id = %s ORDER BY id DESC LIMIT 1",
        [hooked["backend"]])
    assert rows and rows[0][0] == "failed" and "{not json" in (rows[0][1] or "") and rows[0][2]


def test_oversized_signed_body_is_refused(hooked, database):
    before = jobs(database, hooked)
    body = json.dumps([{**event(77), "padding": "x" * (4 * 1024 * 1024)}]).encode()
    assert post(hooked, body).status_code == 413
    assert jobs(database, hooked) == before


def test_webhooks_three_times_out_of_order_latest_state_wins(hooked, database):
    """Every HubSpot webhook delivered twice plus a replay of the batch (three times), in swapped
    pairs: one job per event, one partner, and the phone HubSpot has last."""
    hub = hooked["hub"]
    contact = next(iter(hub.store.objects["contacts"].values()))
    hub.webhook_target_url = hooked["url"]
    hub.faults.set(duplicate_webhooks=True, out_of_order_webhooks=True)
    for phone in ("+1 555 0001", "+1 555 0002", "+1 555 0003"):
        hub.update_object("contacts", contact["id"], {"phone": phone})
    assert hub.webhooks.drain(20)
    for delivery in list(hub.webhooks.deliveries):
        post(hooked, delivery["body"] if isinstance(delivery["body"], bytes) else delivery["body"].encode())
    hub.faults.clear()
    hub.webhook_target_url = None
    assert database.run(drain(hooked["backend"]))[0]["left"] == 0  # takes the stored deliveries in, then works
    keys = database.sql("SELECT dedup_key, count(*) FROM sync_job WHERE backend_id = %s AND dedup_key LIKE "
                        "'hubspot_event:%%' GROUP BY dedup_key", [hooked["backend"]])
    assert keys and all(count == 1 for _key, count in keys), keys
    partners = database.sql(
        "SELECT p.phone FROM sync_binding b JOIN res_partner p ON p.id = b.res_id WHERE b.backend_id = %s "
        "AND b.external_id = %s", [hooked["backend"], str(contact["id"])])
    assert partners == [("+1 555 0003",)], partners
