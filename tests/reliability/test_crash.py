"""A worker killed with ``kill -9`` in the middle of a batch, then the stuck-job recovery.

The worker is a real Odoo process running ``sync.job._process_queue(commit=True)`` as the
cron does; it is killed while a claimed batch is being worked on. After the recovery cron
(run with the clock moved past its two-minute grace) and a restart, every job is done
once and none stays ``running``.
"""

import collections
import signal

from .conftest import wait_until
from .snippets import drain, generic_backend, hubspot_backend, recover


def kill_mid_batch(odoo, backend_id, *, after_done, total):
    worker = odoo.spawn(drain(backend_id))

    def inside_batch():
        states = odoo.job_states(backend_id)
        return states.get("done", 0) >= after_done and states.get("running", 0) > 0

    wait_until(inside_batch, 60, 0.01, f"{after_done} jobs done and a batch running")
    worker.kill(signal.SIGKILL)
    states = odoo.job_states(backend_id)
    assert states.get("running", 0) > 0, f"the kill should land inside a batch: {states}"
    assert states.get("done", 0) < total, states
    return states


def test_generic_queue_survives_kill_9_mid_batch(odoo, slow_server):
    """120 jobs in batches of 10; killed after 30 are done. Afterwards all 120 are done, none
    running, and only the killed batch may have been sent again (a plain POST has no
    idempotency: at-least-once, bounded by one batch)."""
    slow_server.latency = 0.03
    backend_id = odoo.run(generic_backend(slow_server.url, 120, batch_size=10))[0]["backend"]
    states = kill_mid_batch(odoo, backend_id, after_done=30, total=120)
    killed = {row[0] for row in odoo.sql(
        "SELECT (payload::json->>'n')::int FROM sync_job WHERE backend_id = %s AND state = 'running'", [backend_id])}
    assert len(killed) == states["running"] <= 10

    # Restarted worker before the recovery: the killed batch stays parked, nothing else is stuck.
    report = odoo.run(recover())[0]
    assert report["running_after"] == 0, report
    assert odoo.run(drain(backend_id))[0]["left"] == 0
    assert odoo.job_states(backend_id) == {"done": 120}
    counts = collections.Counter(slow_server.received())
    assert set(counts) == set(range(120)), "every job reached the remote side"
    twice = {n for n, count in counts.items() if count > 1}
    assert twice <= killed, f"only jobs of the killed batch may be sent again: {twice - killed}"
    assert max(counts.values()) <= 2


def test_hubspot_export_survives_kill_9_mid_batch(odoo, hub):
    """150 customers exported in batches of 10 with HubSpot answering slowly; the worker is
    killed mid-run. After recovery and restart each customer is exactly one HubSpot contact
    (the upsert on odoo_id makes the replayed batch harmless) with exactly one binding."""
    setup = odoo.run(hubspot_backend(hub, 150, batch_size=10))[0]
    backend_id, partner_ids = setup["backend"], setup["partners"]
    hub.faults.set(latency=0.15)
    kill_mid_batch(odoo, backend_id, after_done=40, total=150)
    hub.faults.clear()
    odoo.run(recover())
    assert odoo.run(drain(backend_id))[0]["left"] == 0
    assert odoo.job_states(backend_id) == {"done": 150}
    assert_each_partner_once(odoo, hub, backend_id, partner_ids)
    assert_each_partner_bound_once(odoo, backend_id, partner_ids)


def assert_each_partner_once(odoo, hub, backend_id, partner_ids):
    in_hubspot = collections.Counter(
        (contact.get("properties") or {}).get("odoo_id") for contact in hub.store.objects["contacts"].values()
    )
    for partner_id in partner_ids:
        assert in_hubspot[str(partner_id)] == 1, f"partner {partner_id} is {in_hubspot[str(partner_id)]} contacts"


def assert_each_partner_bound_once(odoo, backend_id, partner_ids):
    bindings = dict(odoo.sql(
        "SELECT res_id, count(*) FROM sync_binding WHERE backend_id = %s AND res_model = 'res.partner' "
        "GROUP BY res_id", [backend_id]))
    assert {pid: bindings.get(pid) for pid in partner_ids} == dict.fromkeys(partner_ids, 1)


def test_recovery_leaves_a_live_workers_jobs_alone(odoo, slow_server):
    """The recovery cron, even with the clock far past its grace, takes nothing from a worker
    that is alive: it tells them apart by the row lock the worker holds. Every job runs once."""
    slow_server.latency = 0.05
    backend_id = odoo.run(generic_backend(slow_server.url, 40, batch_size=20))[0]["backend"]
    worker = odoo.spawn(drain(backend_id))
    wait_until(lambda: len(slow_server.received()) >= 3, 60, 0.02, "the worker to be inside a batch")
    report = odoo.run(recover(move_clock_minutes=60))[0]
    assert report["running_before"] > 0 and report["running_after"] == report["running_before"], report
    assert worker.wait(60).results()[0]["left"] == 0
    assert odoo.job_states(backend_id) == {"done": 40}
    assert sorted(slow_server.received()) == list(range(40)), "no job ran twice"
    assert odoo.scalar("SELECT max(attempts) FROM sync_job WHERE backend_id = %s", [backend_id]) == 1


def test_export_binds_each_partner_once(odoo, hub):
    setup = odoo.run(hubspot_backend(hub, 12, batch_size=5))[0]
    assert odoo.run(drain(setup["backend"]))[0]["left"] == 0
    assert_each_partner_bound_once(odoo, setup["backend"], setup["partners"])
