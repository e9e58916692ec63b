"""20% 5xx answers plus a 429 storm during a bulk HubSpot export.

Scale: 300 customers in batches of 5 (60 batch calls and their retries), within the
suite's time on two cores. The Shopify side (500 orders and a 2,000-variant stock push
under the same faults) is test_shopify_faults.py.
"""

from .conftest import wait_until
from .snippets import drain, hubspot_backend
from .test_crash import assert_each_partner_once


def test_errors_and_throttle_storm_during_export(odoo, hub):
    setup = odoo.run(hubspot_backend(hub, 300, batch_size=5, max_attempts=12))[0]
    backend_id = setup["backend"]
    hub.requests.clear()
    hub.faults.set(error_rate=0.2, throttle_storm=True)
    worker = odoo.spawn(drain(backend_id, limit=200))
    wait_until(lambda: sum(1 for r in list(hub.requests) if r.get("status") == 429) >= 5, 60, 0.05, "a 429 storm")
    hub.faults.set(throttle_storm=False)
    assert worker.wait(200).results()[0]["left"] == 0
    hub.faults.clear()
    assert odoo.job_states(backend_id) == {"done": 300}, "no job failed"
    statuses = dict(odoo.sql(
        "SELECT status_code, count(*) FROM sync_exchange WHERE backend_id = %s GROUP BY status_code", [backend_id]))
    # Some exchanges are lost (test_outage.test_every_call_is_in_the_exchange_log); the retries still show.
    assert statuses.get(429, 0) >= 1, statuses
    assert sum(count for status, count in statuses.items() if status and status >= 500) >= 1, statuses
    answered = [r.get("status") for r in list(hub.requests)]
    assert answered.count(429) >= 5 and sum(1 for s in answered if s and s >= 500) >= 5
    retried = odoo.scalar("SELECT count(*) FROM sync_job WHERE backend_id = %s AND attempts > 1", [backend_id])
    assert retried >= 10, "retries are visible on the jobs"
    assert_each_partner_once(odoo, hub, backend_id, setup["partners"])
