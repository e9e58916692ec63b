"""HubSpot down (every connection closed, as the sandbox's ``down`` switch does), then back.

The hour of the issue is scaled to a few seconds with retry delays of 1-2 s on the backend:
what is proven is the behaviour (wait, back off, never fail before the attempts are spent,
complete on return), not the wall-clock length.
"""


from .conftest import wait_until
from .snippets import dashboard, drain, hubspot_backend
from .test_crash import assert_each_partner_once


def test_hubspot_down_then_back(odoo, hub):
    setup = odoo.run(hubspot_backend(hub, 30, batch_size=10, max_attempts=8))[0]
    backend_id = setup["backend"]
    hub.faults.set(down=True)
    worker = odoo.spawn(drain(backend_id, limit=120))
    wait_until(
        lambda: odoo.scalar("SELECT min(attempts) FROM sync_job WHERE backend_id = %s", [backend_id]) >= 3,
        60, 0.1, "every job to be tried three times",
    )
    board = odoo.run(dashboard(backend_id))[0]
    assert board["failed"] == 0, board
    assert board["pending"] + board["running"] == 30, board
    assert board["oldest_pending"], board
    assert board["failure_types"] == ["network"], board
    assert any("Could not reach" in reason for reason in board["reasons"]), board
    # The outage is in the exchange log (every call should be: see test_every_call_is_in_the_exchange_log).
    assert odoo.scalar(
        "SELECT count(*) FROM sync_exchange WHERE backend_id = %s AND error IS NOT NULL", [backend_id]) >= 1

    hub.faults.clear()
    assert worker.wait(90).results()[0]["left"] == 0
    assert odoo.job_states(backend_id) == {"done": 30}
    assert_each_partner_once(odoo, hub, backend_id, setup["partners"])


def test_dashboard_names_the_outage(odoo, hub):
    """While HubSpot is down and jobs are retrying, the backend dashboard says so (fixed in 54ada91)."""
    backend_id = odoo.run(hubspot_backend(hub, 5, batch_size=10, max_attempts=8))[0]["backend"]
    hub.faults.set(down=True)
    odoo.run(drain(backend_id, limit=1))
    board = odoo.run(dashboard(backend_id))[0]
    assert board["failures_24h"] > 0 or "Network" in board["failure_summary"], board


def test_every_call_is_in_the_exchange_log(odoo, hub):
    """30 exports in batches of 10 while HubSpot is down: each failed call is one exchange (fixed in 750354e)."""
    backend_id = odoo.run(hubspot_backend(hub, 30, batch_size=10, max_attempts=8))[0]["backend"]
    hub.faults.set(down=True)
    hub.requests.clear()
    odoo.run(f"""
env["sync.job"]._process_queue(backends=env["sync.backend"].browse({backend_id}), commit=True)
""")
    calls = len([r for r in list(hub.requests) if "/batch/" in r.get("path", "")])
    logged = odoo.scalar("SELECT count(*) FROM sync_exchange WHERE backend_id = %s AND error IS NOT NULL",
                         [backend_id])
    assert calls >= 1 and logged == calls, (calls, logged)
