"""Security against a real Odoo server (XML-RPC, JSON-RPC, HTTP) and the real database and logs.

One server and one set of users/companies for the module; the secrets are distinctive strings
so that a grep over a data dump and over every captured log finds any copy of them.
"""

import base64
import contextlib
import hashlib
import hmac
import json
import logging
import socket
import subprocess
import time
import xmlrpc.client

import pytest
import requests

from .conftest import DB_NAME, pg_flags, wait_until
from .snippets import drain

PASSWORD = "Rel-Passw0rd-42"
WRONG_TOKEN = "pat-na1-WRONG-SECRET-7f3a9c"
SYNC_MODELS = ["sync.backend", "sync.job", "sync.exchange", "sync.binding", "sync.conflict", "sync.field.rule",
               "sync.blackout", "sync.hubspot.stage"]
ISOLATED_MODELS = ["sync.backend", "sync.job", "sync.exchange", "sync.binding", "sync.conflict"]


def http_port():
    for port in range(18150, 18200):
        with contextlib.closing(socket.socket()) as sock:
            if sock.connect_ex(("127.0.0.1", port)):
                return port
    raise AssertionError("no free port in 18150-18199")


SETUP = """
from odoo import Command
Users = env["res.users"].with_context(no_reset_password=True)
company_a = env.ref("base.main_company")
company_b = env["res.company"].create({"name": "Reliability Co B"})
def user(login, groups, company=company_a):
    return Users.create({"name": login, "login": login, "password": %(password)r, "company_id": company.id,
                         "company_ids": [Command.set(company.ids)],
                         "groups_id": [Command.set([env.ref(g).id for g in groups])]})
sync_user = user("rel_sync_user", ["base.group_user", "sync_base.group_sync_user"])
portal = user("rel_portal", ["base.group_portal"])
manager_b = user("rel_manager_b", ["base.group_user", "sync_base.group_sync_manager"], company_b)
backend_a = env["sync.backend"].create({
    "name": "Reliability secure A", "code": "hubspot", "api_url": %(hub_url)r, "api_token": %(token)r,
    "webhook_secret": %(secret)r, "retry_jitter": 0.0, "retry_base_delay": 1, "retry_max_delay": 1,
    "max_attempts": 2, "restrict_heavy_to_window": False, "company_id": company_a.id,
})
backend_a._hubspot_setup()
backend_a.state = "connected"
backend_wrong = env["sync.backend"].create({
    "name": "Reliability wrong token", "code": "hubspot", "api_url": %(hub_url)r, "api_token": %(wrong)r,
    "max_attempts": 1, "restrict_heavy_to_window": False, "company_id": company_a.id,
})
backend_b = env["sync.backend"].create({"name": "Reliability secure B", "company_id": company_b.id,
                                       "api_token": "tok-B-0000"})
ids = {"a": {}, "b": {}}
for key, backend, company in (("a", backend_a, company_a), ("b", backend_b, company_b)):
    partner = env["res.partner"].with_context(sync_hubspot_no_export=True).create({"name": f"Iso {key}"})
    ids[key]["sync.backend"] = backend.id
    ids[key]["sync.job"] = backend._enqueue("noop", external_id=f"iso-{key}").id
    ids[key]["sync.binding"] = env["sync.binding"].create({
        "backend_id": backend.id, "external_type": "contacts", "external_id": f"iso-{key}",
        "res_model": "res.partner", "res_id": partner.id}).id
    ids[key]["sync.conflict"] = env["sync.conflict"].create({
        "backend_id": backend.id, "res_model": "res.partner", "res_id": partner.id, "field_name": "phone",
        "source_system": "odoo"}).id
    ids[key]["sync.exchange"] = env["sync.exchange"].create({
        "backend_id": backend.id, "method": "GET", "url": f"http://example.invalid/{key}"}).id
emit({"ids": ids, "backend_a": backend_a.id, "backend_wrong": backend_wrong.id, "backend_b": backend_b.id})
"""


@pytest.fixture(scope="module")
def secure(database):
    from sandbox import HubSpotSandbox

    hub = HubSpotSandbox(seed=3, contacts=2, companies=1, deals=0, rate_limit=1000, window_seconds=1)
    hub.start(host="127.0.0.1", port=0)
    try:
        setup = database.run(SETUP % {
            "password": PASSWORD, "hub_url": hub.url, "token": hub.token, "secret": hub.client_secret,
            "wrong": WRONG_TOKEN,
        })[0]
        port = http_port()
        server = database.start_server(http_port=port, log_name="secure-server")
        setup.update(hub=hub, port=port, url=f"http://127.0.0.1:{port}", server=server)
        yield setup
    finally:
        database.kill_all()
        database.sql("UPDATE sync_backend SET state = 'disconnected', active = FALSE WHERE active")
        hub.stop()


def rpc(secure, login):
    common = xmlrpc.client.ServerProxy(f"{secure['url']}/xmlrpc/2/common")
    uid = common.authenticate(DB_NAME, login, PASSWORD, {})
    assert uid, login
    models = xmlrpc.client.ServerProxy(f"{secure['url']}/xmlrpc/2/object", allow_none=True)

    def call(model, method, *args, **kwargs):
        return models.execute_kw(DB_NAME, uid, PASSWORD, model, method, list(args), kwargs)

    return call


def refused(call, *args, **kwargs):
    with pytest.raises(xmlrpc.client.Fault) as error:
        call(*args, **kwargs)
    return error.value.faultString


def test_sync_user_cannot_read_secrets_by_orm_rpc_or_export(secure):
    call = rpc(secure, "rel_sync_user")
    backend = secure["backend_a"]
    assert call("sync.backend", "read", [backend], ["name"])[0]["name"] == "Reliability secure A"
    for field in ("api_token", "webhook_secret", "hubspot_client_id", "hubspot_client_secret"):
        refused(call, "sync.backend", "read", [backend], [field])
        refused(call, "sync.backend", "search_read", [("id", "=", backend)], [field])
        refused(call, "sync.backend", "export_data", [backend], [field])
        refused(call, "sync.backend", "search_count", [(field, "like", "pat")])
        refused(call, "sync.backend", "read_group", [], [field], [field])
        assert field not in call("sync.backend", "fields_get")
    everything = call("sync.backend", "read", [backend])[0]
    assert not {"api_token", "webhook_secret", "hubspot_client_secret"} & everything.keys()
    refused(call, "sync.backend", "write", [backend], {"api_token": "x"})


def test_portal_and_public_reach_no_sync_model_and_only_signed_endpoints(secure, database):
    call = rpc(secure, "rel_portal")
    for model in SYNC_MODELS:
        refused(call, model, "search_read", [], ["id"])
    # Public: no session, JSON-RPC.
    answer = requests.post(f"{secure['url']}/web/dataset/call_kw", json={
        "jsonrpc": "2.0", "method": "call", "params": {
            "model": "sync.job", "method": "search_read", "args": [[], ["id"]], "kwargs": {}}}, timeout=30).json()
    assert "error" in answer and "result" not in answer, answer
    routes = database.run("""
from odoo.http import _generate_routing_rules
modules = [m.name for m in env["ir.module.module"].search([("name", "like", "sync_"), ("state", "=", "installed")])]
emit([(url, endpoint.routing.get("auth")) for url, endpoint in _generate_routing_rules(modules, nodb_only=False)])
""")[0]
    open_routes = sorted(url for url, auth in routes if auth in ("public", "none"))
    assert open_routes == ["/sync_hubspot/webhook/<int:backend_id>"], open_routes
    jobs_before = database.scalar("SELECT count(*) FROM sync_job")
    forged = {"X-HubSpot-Signature-v3": "forged", "X-HubSpot-Request-Timestamp": str(int(time.time() * 1000))}
    for headers in ({}, forged):
        response = requests.post(f"{secure['url']}/sync_hubspot/webhook/{secure['backend_a']}", data=b"[]",
                                 headers=headers, timeout=30)
        assert response.status_code == 401
    assert database.scalar("SELECT count(*) FROM sync_job") == jobs_before


def test_multi_company_isolation(secure):
    call = rpc(secure, "rel_manager_b")
    mine, theirs = secure["ids"]["b"], secure["ids"]["a"]
    for model in ISOLATED_MODELS:
        seen = set(call(model, "search", []))
        assert mine[model] in seen, model
        assert theirs[model] not in seen, f"{model}: company B sees company A's record"
        refused(call, model, "read", [theirs[model]], ["id"])


def test_secrets_never_in_exchange_log_payloads_chatter_or_logs(secure, database):
    hub = secure["hub"]
    url = f"{secure['url']}/sync_hubspot/webhook/{secure['backend_a']}"
    hub.webhook_target_url = url
    verbose = "import logging\nlogging.getLogger().setLevel(logging.DEBUG)\n"
    database.run(f"""
partners = env["res.partner"].create([{{"name": f"Secret test {{n}}", "customer_rank": 1}} for n in range(5)])
env["sync.backend"].browse({secure['backend_wrong']})._enqueue("partner_export", record=partners[0])
env["sync.backend"].browse({secure['backend_a']}).message_post(body="Token rotated")
""")
    worker = database.spawn(verbose + drain(secure["backend_a"], limit=30))
    wait_until(lambda: not worker.alive(), 60)
    hub.faults.set(error_rate=1.0)
    database.spawn(verbose + drain(secure["backend_wrong"], limit=10)).wait(30)
    hub.faults.clear()
    contact = next(iter(hub.store.objects["contacts"].values()))
    hub.update_object("contacts", contact["id"], {"phone": "+1 555 0199"})
    assert hub.webhooks.drain(10)
    hub.webhook_target_url = None
    # A signed delivery with a body that carries the secret's neighbour, to exercise the server log.
    body = json.dumps([{"eventId": 1, "objectId": 1, "subscriptionType": "contact.propertyChange"}]).encode()
    stamp = str(int(time.time() * 1000))
    digest = hmac.new(hub.client_secret.encode(), b"POST" + url.encode() + body + stamp.encode(), hashlib.sha256)
    requests.post(url, data=body, timeout=30, headers={
        "X-HubSpot-Signature-v3": base64.b64encode(digest.digest()).decode(), "X-HubSpot-Request-Timestamp": stamp})
    assert database.scalar(
        "SELECT count(*) FROM sync_exchange WHERE backend_id IN %s", [(secure["backend_a"], secure["backend_wrong"])]
    ) >= 3
    dump = subprocess.run(
        ["pg_dump", "--data-only", "--exclude-table=sync_backend", *pg_flags(), DB_NAME],
        stdout=subprocess.PIPE, check=True,
    ).stdout.decode("utf-8", "replace")
    logs = "".join(path.read_text(encoding="utf-8", errors="replace") for path in database.workdir.glob("*.*")
                   if path.suffix in (".log", ".out"))
    assert "Token rotated" in dump and len(logs) > 1000
    for secret in (hub.token, hub.client_secret, WRONG_TOKEN):
        assert secret not in dump, f"a secret is stored outside the backend: {secret[:8]}..."
        assert secret not in logs, f"a secret is in a server log: {secret[:8]}..."
    logging.getLogger(__name__).info("secrets grep covered %s bytes of dump and %s of logs", len(dump), len(logs))
