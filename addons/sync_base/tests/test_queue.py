import json
import time
from datetime import datetime, timedelta
from unittest.mock import patch

from freezegun import freeze_time
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..exceptions import SyncError, SyncValidationError
from .common import SyncCase


@tagged("post_install", "-at_install")
class TestQueue(SyncCase):
    def test_ten_writes_to_one_record_make_one_job(self):
        partner = self.env["res.partner"].create({"name": "Dedup Ltd"})
        jobs = self.Job
        for version in range(10):
            jobs |= self.backend._enqueue("http_post", record=partner, payload={"version": version})
        self.assertEqual(len(jobs), 1, "ten changes before the next run must make a single job")
        self.assertEqual(jobs._payload(), {"version": 9}, "the job carries the latest payload")
        self.run_queue()
        self.assertEqual(jobs.state, "done")
        self.assertEqual(len(self.server.requests), 1)
        # Once the job has run, a new change is new work.
        again = self.backend._enqueue("http_post", record=partner, payload={"version": 10})
        self.assertNotEqual(again, jobs)

    def test_enqueue_merges_through_the_dedup_index_in_one_statement(self):
        # However many jobs are pending, queuing work on the same thing is one INSERT ...
        # ON CONFLICT on the pending-dedup index: no search that PostgreSQL could answer
        # by walking the backend's whole queue while the table has no statistics.
        for index in range(200):
            self.backend._enqueue("noop", external_id=f"other-{index}", category="catalogue")
        first = self.backend._enqueue("noop", external_id="P1", category="catalogue", payload={"v": 1})
        self.Job._wake_runner_now()  # an earlier order woke the queue: its cron's id is known
        self.env.flush_all()
        # One INSERT ... ON CONFLICT, and, work on an order being urgent, the queue's wake-up at commit.
        with self.assertQueryCount(2):
            again = self.backend._enqueue("noop", external_id="P1", category="order", payload={"v": 2})
        self.assertEqual(again, first, "pending work on the same thing is merged into its job")
        self.assertEqual(again._payload(), {"v": 2}, "the newest payload wins")
        self.assertEqual(again.priority, self.backend.priority_order, "the most urgent priority wins")
        without_payload = self.backend._enqueue("noop", external_id="P1", category="catalogue")
        self.assertEqual(without_payload._payload(), {"v": 2}, "a change without payload keeps the last one")
        self.assertEqual(without_payload.priority, self.backend.priority_order, "the job keeps its place")

    def test_orders_run_before_customers_stock_and_catalogue(self):
        self.backend.batch_size = 1
        catalogue = self.backend._enqueue("noop", external_id="P1", category="catalogue")
        stock = self.backend._enqueue("noop", external_id="S1", category="stock")
        customer = self.backend._enqueue("noop", external_id="C1", category="customer")
        order = self.backend._enqueue("noop", external_id="O1", category="order")
        claimed = [self.Job._claim(self.backend, 1) for _i in range(4)]
        self.assertEqual(claimed, [order, customer, stock, catalogue])

    def test_an_order_arriving_during_a_catalogue_batch_waits_one_job_not_the_batch(self):
        """A batch of 5 catalogue jobs is running when an order is queued by another transaction: after the
        job under way, the rest of the batch goes back to the queue (attempts untouched) and the order runs next."""
        self.registry.enter_test_mode(self.cr)  # the look for urgent work uses a cursor of its own
        self.addCleanup(self.registry.leave_test_mode)
        catalogue = self.Job.browse([
            self.backend._enqueue("noop", external_id=f"P{n}", category="catalogue").id for n in range(5)
        ])
        ran = []
        original = type(self.backend)._sync_run_noop

        def run_and_take_an_order(backend, job):
            ran.append(job.external_id)
            if job.external_id == "P0":
                with self.registry.cursor() as cr:  # the shop's webhook, in its own transaction
                    self.backend.with_env(self.env(cr=cr))._enqueue("noop", external_id="O1", category="order")
            return original(backend, job)

        with patch.object(type(self.backend), "_sync_run_noop", run_and_take_an_order), \
                patch("odoo.addons.sync_base.models.sync_job.URGENT_LOOK_INTERVAL", 0):
            batch = self.Job._claim(self.backend, 100)
            self.assertEqual(batch, catalogue)
            batch._run()
            self.assertEqual(catalogue.mapped("state"), ["done"] + ["pending"] * 4)
            self.assertEqual(catalogue.mapped("attempts"), [1, 0, 0, 0, 0], "given back, not counted as tried")
            self.run_queue()
        self.assertEqual(ran, ["P0", "O1", "P1", "P2", "P3", "P4"])

    def test_backends_take_turns_a_batch_each(self):
        """A CRM's initial load does not hold a shop's orders until it drains: one batch each, in turn."""
        other = self.backend.copy({"name": "Other remote", "api_token": "tok-OTHER"})
        (self.backend | other).batch_size = 2
        for backend in (self.backend, other):
            for n in range(4):
                backend._enqueue("noop", external_id=f"{backend.id}-{n}", category="catalogue")
        ran = []
        original = type(self.backend)._sync_run_noop

        def record(backend, job):
            ran.append(backend.id)
            return original(backend, job)

        with patch.object(type(self.backend), "_sync_run_noop", record):
            self.Job._process_queue(backends=self.backend | other, commit=False)
        first, second = self.backend.id, other.id
        self.assertEqual(ran, [first, first, second, second, first, first, second, second])

    def test_a_batch_runs_whole_when_nothing_more_urgent_waits(self):
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)
        for n in range(3):
            self.backend._enqueue("noop", external_id=f"O{n}", category="order")
        with patch("odoo.addons.sync_base.models.sync_job.URGENT_LOOK_INTERVAL", 0):
            batch = self.Job._claim(self.backend, 100)
            self.backend._enqueue("noop", external_id="P1", category="catalogue")
            batch._run()
        self.assertEqual(set(batch.mapped("state")), {"done"})

    def test_a_batch_stops_when_the_runs_time_is_up(self):
        """A run's time limit is checked between the jobs of a batch, not only between batches: a batch of
        slow catalogue jobs claimed near the end must not outlive the worker's CPU limit. The jobs not
        started go back to the queue, their attempt not counted."""
        jobs = self.Job.browse([
            self.backend._enqueue("noop", external_id=f"P{n}", category="catalogue").id for n in range(3)])
        batch = self.Job._claim(self.backend, 100)
        self.assertEqual(batch, jobs)
        batch.with_context(sync_runner_deadline=time.monotonic() - 1)._run()
        self.assertEqual(jobs.mapped("state"), ["done", "pending", "pending"], "one job always runs")
        self.assertEqual(jobs.mapped("attempts"), [1, 0, 0])
        self.run_queue()
        self.assertEqual(set(jobs.mapped("state")), {"done"})

    def test_priorities_are_configurable_per_backend(self):
        self.backend.priority_catalogue = 1
        catalogue = self.backend._enqueue("noop", external_id="P1", category="catalogue")
        self.backend._enqueue("noop", external_id="O1", category="order")
        self.assertEqual(self.Job._claim(self.backend, 1), catalogue)

    def test_retryable_failures_back_off_exponentially_until_max_attempts(self):
        self.server.answers = [(503, {"error": "unavailable"}, {})]
        job = self.backend._enqueue("http_post", external_id="X", payload={"a": 1})
        start = datetime(2026, 11, 23, 10, 0, 0)
        delays = []
        with freeze_time(start) as clock:
            for _attempt in range(4):
                self.run_queue()
                if job.state != "pending":
                    break
                delays.append((job.next_attempt_at - datetime.now()).total_seconds())
                self.run_queue()  # not due yet: nothing runs
                clock.move_to(job.next_attempt_at)
        self.assertEqual(delays, [30, 60, 120], "30 s doubling at each attempt (jitter off)")
        self.assertEqual(job.state, "failed")
        self.assertEqual(job.attempts, 4)
        self.assertEqual(job.failure_type, "remote")
        self.assertIn("Gave up after 4 attempts", job.failure_reason)
        self.assertEqual(len(self.server.requests), 4)

    def test_backoff_is_capped_and_jittered(self):
        self.backend.write({"retry_max_delay": 100, "retry_jitter": 0.2})
        for attempts in range(1, 12):
            delay = self.backend._retry_delay(attempts)
            expected = min(30 * 2 ** (attempts - 1), 100)
            self.assertTrue(expected * 0.8 <= delay <= expected * 1.2, (attempts, delay))
        self.assertGreaterEqual(self.backend._retry_delay(1, retry_after=500), 500, "Retry-After is honoured")

    def test_rate_limit_honours_retry_after(self):
        self.server.answers = [(429, {"message": "slow down"}, {"Retry-After": "300"})]
        job = self.backend._enqueue("http_post", external_id="X", payload={})
        with freeze_time("2026-11-23 10:00:00"):
            self.run_queue()
            self.assertEqual(job.state, "pending")
            self.assertEqual(job.failure_type, "rate_limit")
            self.assertEqual(job.next_attempt_at, datetime(2026, 11, 23, 10, 5, 0))

    def test_a_throttled_job_waits_what_the_remote_said_not_the_first_retry_delay(self):
        """Shopify's THROTTLED says when points are back (2 s here): the order is retried then, not after
        the backend's first delay (30 s); without a figure, 1, 2, 4... seconds."""
        self.backend.retry_jitter = 0.0
        self.server.answers = [(429, {"message": "slow down"}, {"Retry-After": "2"})]
        job = self.backend._enqueue("http_post", external_id="X", payload={}, category="order")
        with freeze_time("2026-11-23 10:00:00"):
            self.run_queue()
        self.assertEqual((job.state, job.failure_type), ("pending", "rate_limit"))
        self.assertEqual(job.next_attempt_at, datetime(2026, 11, 23, 10, 0, 2))
        self.assertEqual([self.backend._retry_delay(n, rate_limited=True) for n in (1, 2, 3)], [1, 2, 4])
        self.assertEqual(self.backend._retry_delay(1), 30, "other failures keep the backend's first delay")

    def test_permanent_failures_fail_at_once(self):
        for status, failure_type in ((401, "auth"), (422, "validation")):
            with self.subTest(status=status):
                self.server.requests.clear()
                self.server.answers = [(status, {"errors": "no"}, {})]
                job = self.backend._enqueue("http_post", external_id=f"perm-{status}", payload={})
                self.run_queue()
                self.assertEqual(job.state, "failed")
                self.assertEqual(job.failure_type, failure_type)
                self.assertEqual(job.attempts, 1)
                self.assertEqual(len(self.server.requests), 1, "a permanent failure is not retried")
                self.assertTrue(job.failure_next_step)
                self.assertEqual(job.failed_exchange_id.status_code, status, "the failing exchange is kept")
                with self.assertRaises(SyncError) as caught:
                    self.backend._http("POST", self.server.url, json_body={})
                self.assertEqual(caught.exception.status_code, status)

    def test_network_failure_is_retryable(self):
        self.backend.api_url = "http://127.0.0.1:9/nothing-listens-here"
        job = self.backend._enqueue("http_post", external_id="N", payload={})
        self.run_queue()
        self.assertEqual((job.state, job.failure_type), ("pending", "network"))
        self.assertTrue(job.failed_exchange_id.error)

    def test_unknown_operation_is_a_bug_with_a_clear_reason(self):
        job = self.backend._enqueue("teleport", external_id="T")
        self.run_queue()
        self.assertEqual((job.state, job.failure_type), ("failed", "bug"))
        self.assertIn("No handler for operation 'teleport'", job.failure_reason)

    def test_failed_job_rolls_back_its_own_writes_only(self):
        partner = self.env["res.partner"].create({"name": "Before"})
        good = self.backend._enqueue("noop", external_id="good")
        bad = self.backend._enqueue("http_post", record=partner, payload={})
        self.server.answers = [(400, {"errors": "bad"}, {})]
        backend_class = type(self.backend)
        original = backend_class._sync_run_http_post

        def rename_then_send(backend, job):
            partner.name = "Half-done"
            return original(backend, job)

        backend_class._sync_run_http_post = rename_then_send
        try:
            self.run_queue()
        finally:
            backend_class._sync_run_http_post = original
        self.assertEqual(bad.state, "failed")
        self.assertEqual(good.state, "done")
        self.assertEqual(partner.name, "Before", "a failing job leaves no half-applied change")

    def test_batch_handler_sends_once_and_fails_jobs_one_by_one(self):
        calls = []

        def run_batch_bulk(backend, jobs):
            calls.append(jobs.ids)
            backend._http("POST", backend.api_url, json_body=jobs.mapped("external_id"))
            outcomes = {
                job.id: SyncValidationError(f"{job.external_id} was refused") if job.external_id == "bad" else "ok"
                for job in jobs
            }
            outcomes[other.id] = apply_other  # deferred work: applied per job, in its own savepoint
            return outcomes

        def apply_other():
            other.external_id = "c-applied"
            return "applied in Odoo"

        backend_class = type(self.backend)
        backend_class._none_run_batch_bulk = run_batch_bulk
        self.addCleanup(delattr, backend_class, "_none_run_batch_bulk")
        good, bad, other = (self.backend._enqueue("bulk", external_id=key) for key in ("a", "bad", "c"))
        self.run_queue()
        self.assertEqual(len(calls), 1, "the three jobs run in one handler call")
        self.assertEqual(len(self.server.requests), 1, "and in one HTTP request")
        self.assertEqual(json.loads(self.server.requests[0]["body"]), ["a", "bad", "c"])
        self.assertEqual((good.state, other.state), ("done", "done"))
        self.assertEqual((other.result, other.external_id), ("applied in Odoo", "c-applied"))
        self.assertEqual((bad.state, bad.failure_type, bad.failure_reason), ("failed", "validation", "bad was refused"))
        self.assertEqual(bad.failed_exchange_id.status_code, 200, "the exchange of the batch is kept for the failure")

    def test_dry_run_records_but_does_not_send(self):
        self.backend.mode = "dry_run"
        job = self.backend._enqueue("http_post", external_id="D", payload={"price": 12.5})
        self.run_queue()
        self.assertEqual(job.state, "done")
        self.assertEqual(self.server.requests, [], "nothing reaches the remote system in dry run")
        exchange = job.exchange_ids
        self.assertEqual(len(exchange), 1)
        self.assertTrue(exchange.dry_run)
        self.assertEqual(exchange.outcome, "dry_run")
        self.assertEqual(json.loads(exchange.request_body), {"price": 12.5}, "exactly what would be sent")
        self.assertIn("Dry run", job.result)

    def test_every_job_keeps_its_own_exchanges(self):
        # A job without HTTP calls followed by jobs with some: each call lands on its own job.
        quiet = self.backend._enqueue("noop", external_id="quiet")
        loud = [self.backend._enqueue("http_post", external_id=f"loud-{i}", payload={"i": i}) for i in range(3)]
        self.run_queue()
        self.assertFalse(quiet.exchange_ids)
        for job in loud:
            self.assertEqual(len(job.exchange_ids), 1, job.external_id)
            self.assertEqual(json.loads(job.exchange_ids.request_body), job._payload())

    def test_live_exchange_is_logged_with_secrets_redacted(self):
        self.backend.api_url = self.server.url + "?token=tok-SECRET-1234"
        job = self.backend._enqueue("http_post", external_id="L", payload={"echo": "tok-SECRET-1234"})
        self.backend._http("POST", self.server.url, json_body={}, headers={"Authorization": "Bearer tok-SECRET-1234"})
        self.run_queue()
        self.assertEqual(len(self.server.requests), 2)
        exchanges = self.env["sync.exchange"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(exchanges), 2)
        self.assertIn(job.exchange_ids, exchanges)
        for exchange in exchanges:
            logged = " ".join(filter(None, [exchange.url, exchange.request_headers, exchange.request_body]))
            self.assertNotIn("tok-SECRET-1234", logged)
        self.assertIn("***", exchanges.filtered(lambda e: not e.job_id).request_headers)

    def test_stuck_jobs_are_put_back(self):
        job = self.backend._enqueue("noop", external_id="stuck")
        fresh = self.backend._enqueue("noop", external_id="fresh")
        self.Job._claim(self.backend, 10)
        self.assertEqual((job.state, fresh.state), ("running", "running"))
        job.started_at = datetime.now() - timedelta(minutes=30)
        with mute_logger("odoo.addons.sync_base.models.sync_job"):
            self.Job._cron_recover_stuck()
        self.assertEqual(job.state, "pending", "a job left running by a dead worker is put back")
        self.assertEqual(fresh.state, "running", "a job claimed a moment ago may still be in progress")
        self.run_queue()
        self.assertEqual(job.state, "done")

    def test_stuck_job_out_of_attempts_fails(self):
        self.backend.max_attempts = 1
        job = self.backend._enqueue("noop", external_id="stuck")
        self.Job._claim(self.backend, 1)
        job.started_at = datetime.now() - timedelta(hours=1)
        with mute_logger("odoo.addons.sync_base.models.sync_job"):
            self.Job._cron_recover_stuck()
        self.assertEqual(job.state, "failed")
        self.assertIn("stopped before finishing", job.failure_reason)

    def test_heavy_jobs_wait_for_the_night_window(self):
        self.env.company.partner_id.tz = "Europe/Brussels"
        self.backend.write({"restrict_heavy_to_window": True, "window_start": 2.0, "window_end": 5.0})
        heavy = self.backend._enqueue("noop", external_id="catalogue", heavy=True)
        light = self.backend._enqueue("noop", external_id="stock")
        with freeze_time("2026-11-23 11:00:00"):  # 12:00 in Brussels
            self.run_queue()
        self.assertEqual((light.state, heavy.state), ("done", "pending"))
        with freeze_time("2026-11-23 01:30:00"):  # 02:30 in Brussels
            self.run_queue()
        self.assertEqual(heavy.state, "done")

    def test_blackout_windows_hold_chosen_operations(self):
        self.env.company.partner_id.tz = "UTC"
        self.env["sync.blackout"].create({
            "backend_id": self.backend.id, "name": "Month-end closing", "start_hour": 22.0, "end_hour": 1.0,
            "operations": "http_post",
        })
        held = self.backend._enqueue("http_post", external_id="held", payload={})
        other = self.backend._enqueue("noop", external_id="other")
        with freeze_time("2026-11-23 23:30:00"):
            self.run_queue()
        self.assertEqual((held.state, other.state), ("pending", "done"))
        with freeze_time("2026-11-24 01:30:00"):
            self.run_queue()
        self.assertEqual(held.state, "done")

    def test_the_cron_reruns_at_once_only_for_work_it_may_do_now(self):
        # The queue cron triggers itself again while work is left; work a window holds is
        # not work left, or the cron would run back to back until the window closes.
        self.env.company.partner_id.tz = "UTC"
        self.env["sync.blackout"].create({
            "backend_id": self.backend.id, "name": "Inventory count", "start_hour": 22.0, "end_hour": 23.0,
        })
        self.backend.restrict_heavy_to_window = True
        cron = self.env.ref("sync_base.ir_cron_sync_job_process")
        Trigger = self.env["ir.cron.trigger"]
        held = self.backend._enqueue("noop", external_id="held")
        with freeze_time("2026-11-23 22:30:00"):
            self.assertEqual(self.run_queue(), (0, 0), "every operation is held: nothing to do now")
            triggers = Trigger.search_count([("cron_id", "=", cron.id)])
            self.Job._cron_process_queue()
            self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), triggers, "no immediate re-run")
        heavy = self.backend._enqueue("noop", external_id="heavy", heavy=True)
        retry_later = self.backend._enqueue("noop", external_id="later")
        retry_later.next_attempt_at = datetime(2026, 11, 23, 15, 0)
        with freeze_time("2026-11-23 14:00:00"):  # outside the night window: heavy jobs wait
            self.assertEqual(self.Job._runnable_count(self.backend), 1, "only the held job is runnable now")
            self.assertEqual(self.run_queue(), (1, 0))
        self.assertEqual((held.state, heavy.state, retry_later.state), ("done", "pending", "pending"))

    def test_failures_make_one_activity_per_type_and_backend(self):
        self.backend.user_id = self.sync_manager
        self.server.answers = [(422, {"errors": "invalid"}, {})]
        for index in range(5):
            self.backend._enqueue("http_post", external_id=f"bad-{index}", payload={})
        self.backend._enqueue("teleport", external_id="bug")
        self.run_queue()
        activities = self.env["mail.activity"].search(
            [("res_model", "=", "sync.backend"), ("res_id", "=", self.backend.id)]
        )
        self.assertEqual(len(activities), 2, "one activity for invalid data, one for the bug")
        self.assertEqual(activities.user_id, self.sync_manager)
        self.assertIn("5 job(s) failed", activities.filtered(lambda a: "Invalid" in a.summary).note)
        self.backend._enqueue("http_post", external_id="bad-again", payload={})
        self.run_queue()
        self.assertEqual(
            len(activities.search([("res_model", "=", "sync.backend"), ("res_id", "=", self.backend.id)])),
            2,
            "a later failure of the same kind updates the activity instead of adding one",
        )

    def test_retry_puts_failed_jobs_back_and_they_run(self):
        self.server.answers = [(422, {"errors": "invalid"}, {}), (200, {"ok": True}, {})]
        job = self.backend._enqueue("http_post", external_id="R", payload={})
        self.run_queue()
        self.assertEqual(job.state, "failed")
        job.with_user(self.sync_user).action_retry()
        self.assertEqual((job.state, job.attempts), ("pending", 0))
        self.run_queue()
        self.assertEqual(job.state, "done")
        self.assertFalse(job.failure_reason)

    def test_cancel(self):
        job = self.backend._enqueue("noop", external_id="C")
        job.with_user(self.sync_user).action_cancel()
        self.run_queue()
        self.assertEqual(job.state, "cancelled")

    def test_cron_never_raises(self):
        job_class = type(self.Job)
        original = job_class._process_queue

        def broken(*args, **kwargs):
            raise RuntimeError("database went away")

        job_class._process_queue = broken
        try:
            with mute_logger("odoo.addons.sync_base.models.sync_job"):
                self.Job._cron_process_queue()
        finally:
            job_class._process_queue = original

    def test_a_queue_run_ends_before_the_server_kills_its_worker(self):
        """A prefork cron worker dies past --limit-time-cpu (60 s by default): the run stops at 3/4 of
        the tightest of the server's limits, the parameter winning when set."""
        from odoo.tools import config

        from ..models.sync_job import _cron_time_limit

        limits = {"limit_time_cpu": 60, "limit_time_real": 120, "limit_time_real_cron": -1}
        with patch.dict(config.options, limits):
            self.assertEqual(_cron_time_limit(self.env), 45)
        with patch.dict(config.options, dict(limits, limit_time_cpu=0, limit_time_real_cron=600)):
            self.assertEqual(_cron_time_limit(self.env), 240, "no CPU limit, a long real-time one: the default")
        self.env["ir.config_parameter"].set_param("sync_base.cron_time_limit", "30")
        self.assertEqual(_cron_time_limit(self.env), 30)

    def test_cron_processes_the_queue(self):
        job = self.backend._enqueue("noop", external_id="cron")
        self.Job._cron_process_queue()
        self.assertEqual(job.state, "done")

    def test_dashboard_shows_an_outage_while_jobs_retry(self):
        self.server.answers = [(503, {}, {})]
        self.backend._enqueue("http_post", external_id="during", payload={})
        self.run_queue()
        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.job_failed_count, 0, "nothing has given up yet")
        self.assertEqual(self.backend.failure_recent_count, 1, "but the failed attempt is counted")
        self.assertIn("Remote server error: 1", self.backend.failure_recent_summary)
        self.assertTrue(self.backend.outage_since)
        self.server.answers = [(200, {}, {})]
        self.backend._http("GET", self.server.url)
        self.backend.invalidate_recordset()
        self.assertFalse(self.backend.outage_since, "one good answer ends the outage")

    def test_unreadable_delivery_is_kept_as_a_failed_job(self):
        job = self.backend._reject_incoming("noop", b"\xff\xfe\x00{oops", "The body is not JSON.")
        self.assertEqual((job.state, job.failure_type, job.failure_reason),
                         ("failed", "validation", "The body is not JSON."))
        self.assertIn("{oops", job.payload, "the raw body is kept, NUL bytes and all made storable")
        job.action_retry()
        self.run_queue()
        self.assertEqual(job.state, "done", "once corrected (here: nothing to correct for noop), Retry runs it")

    def test_dashboard_counts(self):
        self.server.answers = [(422, {}, {})]
        self.backend._enqueue("noop", external_id="ok")
        self.backend._enqueue("http_post", external_id="ko", payload={})
        self.run_queue()
        self.backend._enqueue("noop", external_id="waiting")
        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.job_pending_count, 1)
        self.assertEqual(self.backend.job_done_count, 1)
        self.assertEqual(self.backend.job_failed_count, 1)
        self.assertEqual(self.backend.failure_recent_count, 1)
        self.assertIn("Invalid data: 1", self.backend.failure_recent_summary)
        self.assertTrue(self.backend.oldest_pending_date)
        self.assertIn("noop", self.backend.last_success_html)
