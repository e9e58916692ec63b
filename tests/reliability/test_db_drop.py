"""The database connection of the queue cron is cut in the middle of a batch."""

import collections

from .conftest import results, wait_until
from .snippets import cron_once, drain, generic_backend, recover


def test_cron_recovers_after_its_connection_is_terminated(odoo, slow_server):
    """80 jobs in batches of 10; while the cron's worker is inside a batch, PostgreSQL
    terminates its connection (``pg_terminate_backend``). The worker ends (no hang); the
    next runs of the crons (recovery past its grace, then the queue) finish every job,
    none stays running, and every job reached the remote side."""
    slow_server.latency = 0.04
    backend_id = odoo.run(generic_backend(slow_server.url, 80, batch_size=10))[0]["backend"]
    worker = odoo.spawn(cron_once())

    def inside_batch():
        states = odoo.job_states(backend_id)
        return states.get("done", 0) >= 20 and states.get("running", 0) > 0

    wait_until(inside_batch, 60, 0.01, "the cron inside a batch")
    backend_pid = results(worker.text())[0]["backend_pid"]
    assert odoo.scalar("SELECT pg_terminate_backend(%s)", [backend_pid])
    worker.wait(30)
    outcome = results(worker.text())[1:]
    states = odoo.job_states(backend_id)
    assert states.get("done", 0) < 80 and states.get("running", 0) > 0, (states, outcome)

    odoo.run(recover())
    assert odoo.run(drain(backend_id, cron=True))[0]["left"] == 0
    assert odoo.job_states(backend_id) == {"done": 80}
    assert set(collections.Counter(slow_server.received())) == set(range(80))
