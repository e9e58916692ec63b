"""Four Odoo worker processes draining one queue: no job twice, more jobs per second than one."""

import collections

from .snippets import generic_backend, process_once


def timed_run(odoo, server, offset, jobs, workers):
    backend_id = odoo.run(generic_backend(server.url, jobs, batch_size=10, offset=offset))[0]["backend"]
    runs = [odoo.spawn(process_once(backend_id)) for _index in range(workers)]
    reports = [worker.wait(120).results()[0] for worker in runs]
    assert sum(report["done"] for report in reports) == jobs, reports
    assert odoo.job_states(backend_id) == {"done": jobs}
    assert odoo.scalar("SELECT max(attempts) FROM sync_job WHERE backend_id = %s", [backend_id]) == 1
    elapsed = max(r["finish"] for r in reports) - min(r["start"] for r in reports)
    return jobs / elapsed, reports


def test_four_workers_drain_one_queue_once_and_faster(odoo, slow_server):
    """200 jobs (each a POST answered in 30 ms) drained by one worker, then 200 by four forked
    Odoo workers claiming with SKIP LOCKED. Every job reaches the remote side exactly once,
    every worker got a share, and four workers do more jobs per second than one."""
    slow_server.latency = 0.03
    one_rate, _reports = timed_run(odoo, slow_server, 0, 200, 1)
    four_rate, reports = timed_run(odoo, slow_server, 1000, 200, 4)
    counts = collections.Counter(slow_server.received())
    assert sorted(counts) == [*range(200), *range(1000, 1200)]
    assert set(counts.values()) == {1}, "a job was processed twice"
    assert all(report["done"] > 0 for report in reports), f"a worker got nothing: {reports}"
    assert four_rate > one_rate * 1.3, f"four workers {four_rate:.1f} jobs/s, one {one_rate:.1f} jobs/s"
