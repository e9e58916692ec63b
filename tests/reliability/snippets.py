"""Code the reliability tests run inside real Odoo processes (see odoo_child.py)."""

import json


def generic_backend(url, jobs, *, batch_size=10, max_attempts=3, offset=0):
    """A plain backend posting to ``url``; ``jobs`` http_post jobs with payload ``{"n": i}``."""
    return f"""
backend = env["sync.backend"].create({{
    "name": "Reliability generic", "api_url": {url!r}, "batch_size": {batch_size},
    "max_attempts": {max_attempts}, "retry_jitter": 0.0, "retry_base_delay": 1, "retry_max_delay": 2,
    "restrict_heavy_to_window": False,
}})
for n in range({offset}, {offset} + {jobs}):
    backend._enqueue("http_post", payload={{"n": n}}, dedup_key=False)
emit({{"backend": backend.id}})
"""


def hubspot_backend(hub, partners, *, batch_size=10, max_attempts=8, name="Reliability HubSpot"):
    """A connected HubSpot backend on ``hub`` and ``partners`` new customers (each queues one export)."""
    return f"""
backend = env["sync.backend"].create({{
    "name": {name!r}, "code": "hubspot", "api_url": {hub.url!r}, "api_token": {hub.token!r},
    "webhook_secret": {hub.client_secret!r}, "batch_size": {batch_size}, "max_attempts": {max_attempts},
    "retry_jitter": 0.0, "retry_base_delay": 1, "retry_max_delay": 2, "restrict_heavy_to_window": False,
}})
backend._hubspot_setup()
backend.state = "connected"
partners = env["res.partner"].create([
    {{"name": f"Reliability Customer {{n}}", "email": f"rel{{n}}-{{backend.id}}@example.com", "customer_rank": 1}}
    for n in range({partners})
])
emit({{"backend": backend.id, "partners": partners.ids}})
"""


def drain(backend_id, *, limit=90, cron=False, sleep=0.2):
    """Run the queue like the cron does, again and again, until the backend has nothing left."""
    call = (
        'env["sync.job"]._cron_process_queue()'
        if cron else 'env["sync.job"]._process_queue(backends=backend, commit=True)'
    )
    return f"""
import time
backend = env["sync.backend"].browse({backend_id})
deadline = time.monotonic() + {limit}
runs = 0
while time.monotonic() < deadline:
    {call}
    runs += 1
    env.cr.commit()
    left = env["sync.job"].search_count([("backend_id", "=", {backend_id}), ("state", "in", ("pending", "running"))])
    if not left:
        break
    time.sleep({sleep})
emit({{"runs": runs, "left": left}})
"""


def recover(move_clock_minutes=3):
    """The stuck-job cron, after the clock moved past the grace period."""
    return f"""
from datetime import timedelta
from unittest.mock import patch
from odoo import fields

later = fields.Datetime.now() + timedelta(minutes={move_clock_minutes})
running = env["sync.job"].search_count([("state", "=", "running")])
with patch.object(fields.Datetime, "now", lambda *args: later):
    env["sync.job"]._cron_recover_stuck()
env.cr.commit()
emit({{"running_before": running, "running_after": env["sync.job"].search_count([("state", "=", "running")])}})
"""


def dumps(value):
    return json.dumps(value)


def process_once(backend_id):
    """One worker's run over the queue, timed: what one cron worker does."""
    return f"""
import time
start = time.time()
done, remaining = env["sync.job"]._process_queue(backends=env["sync.backend"].browse({backend_id}), commit=True)
emit({{"start": start, "finish": time.time(), "done": done}})
"""


def cron_once():
    """The queue cron's entry point, once, as the cron thread calls it."""
    return """
env.cr.execute("SELECT pg_backend_pid()")
emit({"backend_pid": env.cr.fetchone()[0]})
try:
    env["sync.job"]._cron_process_queue()
    emit({"raised": None})
except Exception as error:
    emit({"raised": repr(error)})
"""


def dashboard(backend_id):
    return f"""
backend = env["sync.backend"].browse({backend_id})
jobs = env["sync.job"].search([("backend_id", "=", {backend_id})])
emit({{
    "pending": backend.job_pending_count, "running": backend.job_running_count,
    "failed": backend.job_failed_count, "failures_24h": backend.failure_recent_count,
    "failure_summary": backend.failure_recent_summary or "", "oldest_pending": backend.oldest_pending_date,
    "failure_types": sorted(set(jobs.mapped("failure_type")) - {{False}}),
    "reasons": sorted(set(jobs.mapped("failure_reason")) - {{False}})[:3],
}})
"""
