import json
import logging
import os
import socket
import time
import traceback
from collections import defaultdict
from datetime import timedelta
from functools import partial

import psycopg2
from odoo import _, api, fields, models, modules
from odoo.exceptions import AccessError, UserError
from odoo.exceptions import ValidationError as OdooValidationError
from odoo.tools import SQL, config, mute_logger

from ..exceptions import SyncError
from .sync_backend import JOB_CATEGORIES, RUNNING_JOB_EXCHANGES

_logger = logging.getLogger(__name__)

FAILURE_TYPES = [
    ("auth", "Authentication"),
    ("rate_limit", "Rate limit"),
    ("network", "Network"),
    ("remote", "Remote server error"),
    ("validation", "Invalid data"),
    ("mapping", "Missing mapping"),
    ("conflict", "Ownership conflict"),
    ("concurrency", "Concurrent update"),
    ("bug", "Unexpected error"),
]
# What staff should do next, per failure type; the job's own reason says what and where.
NEXT_STEPS = {
    "auth": "Check the backend's credentials (Test connection), then Retry.",
    "rate_limit": "The remote system kept refusing for too long. Retry later or lower the batch size.",
    "network": "The remote system could not be reached. Check that it is up, then Retry.",
    "remote": "The remote system kept failing on its side. Check its status page, then Retry.",
    "validation": "Correct the data named in the reason (in Odoo or in the remote system), then Retry.",
    "mapping": "Link or create the missing counterpart named in the reason, then Retry.",
    "conflict": "Resolve the conflict in Sync > Conflicts, then Retry.",
    "concurrency": "Other workers kept changing the same records at the same moment. Retry.",
    "bug": "This is a defect: send the reason and payload to your integrator. Retry once it is fixed.",
}
# Database errors that only mean "run me again": deadlocks, serialization failures, lock timeouts.
CONCURRENCY_ERRORS = (psycopg2.extensions.TransactionRollbackError, psycopg2.errors.LockNotAvailable)
# A job claimed by a worker whose transaction is gone for longer than this is stuck.
STUCK_GRACE = timedelta(minutes=2)
# How often a running batch looks for more urgent work that arrived meanwhile (seconds).
URGENT_LOOK_INTERVAL = 1.0
DEFAULT_CRON_TIME_LIMIT = 240  # seconds of one queue run, unless the server's limits are tighter
# Wake-ups of the queue cron told to the cron threads, per database: when this process last did.
_LAST_WAKE_NOTIFY = {}
WAKE_NOTIFY_INTERVAL = 1.0


class SyncJob(models.Model):
    """One unit of sync work: import or export of one object, or one batch.

    Workers claim pending jobs with ``FOR NO KEY UPDATE SKIP LOCKED`` and mark them
    running in a short transaction, then process them under a row lock held until the
    batch commits. A worker that dies leaves its jobs ``running`` with no lock, which
    is how the recovery cron tells them from jobs still being worked on.
    """

    _name = "sync.job"
    _inherit = ["sync.record.link.mixin"]
    _description = "Sync Job"
    _order = "priority, id"
    _rec_name = "display_name"

    # Columns set on few rows get partial indexes (NULLs left out): every webhook and
    # every enqueue inserts a job, and an index entry per NULL column would be wasted work.
    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    code = fields.Selection(related="backend_id.code", string="Connector")
    operation = fields.Char(required=True, index=True)
    direction = fields.Selection([("import", "Import"), ("export", "Export")], required=True, default="export")
    category = fields.Selection(JOB_CATEGORIES, required=True, default="other")
    priority = fields.Integer(default=50, aggregator="min", help="Lower runs first.")
    heavy = fields.Boolean(help="Runs only inside the backend's nightly window when it asks so.")
    external_id = fields.Char(index=True)
    payload = fields.Text()
    result = fields.Text()
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("running", "Running"),
            ("done", "Done"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        required=True,
        default="pending",
        index=True,
    )
    attempts = fields.Integer(default=0, aggregator="max")
    max_attempts = fields.Integer(related="backend_id.max_attempts")
    next_attempt_at = fields.Datetime("Next attempt", index="btree_not_null")
    started_at = fields.Datetime()
    done_at = fields.Datetime(index="btree_not_null")
    failed_at = fields.Datetime(index="btree_not_null", help="When the job gave up and went to the failure inbox.")
    last_failure_at = fields.Datetime(
        "Last failure", index="btree_not_null",
        help="When the last attempt failed, retried or not: the dashboard counts these."
    )
    worker = fields.Char(help="Host and process that ran the job last.")
    failure_type = fields.Selection(FAILURE_TYPES, index="btree_not_null")
    failure_reason = fields.Text()
    failure_next_step = fields.Char("What to do", compute="_compute_failure_next_step")
    failure_traceback = fields.Text(groups="sync_base.group_sync_manager")
    dedup_key = fields.Char(index=True)
    exchange_ids = fields.One2many("sync.exchange", "job_id", string="Exchanges")
    failed_exchange_id = fields.Many2one("sync.exchange", string="Failed exchange", ondelete="set null")

    def init(self):
        # Dedup is enforced by the database so that two workers enqueueing the same
        # change at the same moment still make one job.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS sync_job_pending_dedup_uniq
                ON sync_job (backend_id, dedup_key)
             WHERE state = 'pending' AND dedup_key IS NOT NULL
            """
        )
        # The claim query: pending jobs by priority.
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS sync_job_claim_idx
                ON sync_job (backend_id, priority, id) WHERE state = 'pending'
            """
        )

    @api.depends("operation", "record_name", "external_id")
    def _compute_display_name(self):
        for job in self:
            target = job.record_name or job.external_id or ""
            job.display_name = f"{job.operation} {target}".strip()

    @api.depends("failure_type")
    def _compute_failure_next_step(self):
        for job in self:
            job.failure_next_step = NEXT_STEPS.get(job.failure_type, "") and _(NEXT_STEPS[job.failure_type])

    def _payload(self):
        self.ensure_one()
        return json.loads(self.payload) if self.payload else {}

    # ------------------------------------------------------------------
    # Enqueue
    # ------------------------------------------------------------------
    @api.model
    def _create_or_merge(self, values):
        """Create a job, or merge it into the pending job with the same dedup key.

        The newest payload wins; the job keeps its place in the queue and the most urgent
        priority, so frequent edits do not starve it. ``values`` are ``sync.backend._enqueue``'s;
        without a priority, the backend's for the category.

        A keyed job is queued in one INSERT ... ON CONFLICT on the pending-dedup index:
        PostgreSQL finds the pending job through that index whatever its statistics say
        (a search on a never-analysed table may walk every pending job of the backend
        instead, once per enqueue), and two transactions queuing the same work at once
        settle on one job without a savepoint.
        """
        if not values.get("dedup_key"):
            return self.create(values)
        category = values["category"]
        if category not in dict(JOB_CATEGORIES):
            raise ValueError(f"unknown job category {category!r}")
        params = dict(
            values, uid=self.env.uid, priority=values.get("priority"), payload=values.get("payload") or None,
            external_id=values.get("external_id") or None, res_model=values.get("res_model") or None,
            res_id=values.get("res_id") or None, next_attempt_at=values.get("next_attempt_at") or None,
            heavy=bool(values.get("heavy")),
        )
        self.flush_model()
        self.env.cr.execute(
            f"""INSERT INTO sync_job (backend_id, company_id, operation, direction, category, priority, heavy,
                                      external_id, payload, dedup_key, next_attempt_at, res_model, res_id,
                                      state, attempts, create_uid, write_uid, create_date, write_date)
                SELECT b.id, b.company_id, %(operation)s, %(direction)s, %(category)s,
                       COALESCE(%(priority)s, b.priority_{category}), %(heavy)s,
                       %(external_id)s, %(payload)s, %(dedup_key)s, %(next_attempt_at)s, %(res_model)s, %(res_id)s,
                       'pending', 0, %(uid)s, %(uid)s, now() at time zone 'UTC', now() at time zone 'UTC'
                  FROM sync_backend b
                 WHERE b.id = %(backend_id)s
                ON CONFLICT (backend_id, dedup_key) WHERE state = 'pending' AND dedup_key IS NOT NULL
                DO UPDATE SET priority = LEAST(sync_job.priority, EXCLUDED.priority),
                              payload = COALESCE(EXCLUDED.payload, sync_job.payload),
                              write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
                RETURNING id""",
            params,
        )
        job = self.browse(self.env.cr.fetchone()[0])
        self.invalidate_model(["priority", "payload", "write_uid", "write_date"])
        return job

    # ------------------------------------------------------------------
    # Claiming and processing
    # ------------------------------------------------------------------
    @api.model
    def _claim(self, backend, limit, windows=None):
        """Lock and return up to ``limit`` runnable jobs of ``backend`` that no one else holds.

        ``windows`` is ``backend._blocked_operations()``, computed by the caller once per run.
        Deliveries the backend's webhooks stored since the last claim join the queue first.
        """
        backend._queue_received_deliveries()
        runnable = self._runnable_where(backend, windows or backend._blocked_operations())
        if runnable is None:
            return self.browse()
        self.env.flush_all()  # raw SQL below must see cancellations and retries made in this transaction
        self.env.cr.execute(SQL(
            "SELECT id FROM sync_job WHERE %s ORDER BY priority, id LIMIT %s FOR NO KEY UPDATE SKIP LOCKED",
            runnable, limit,
        ))
        jobs = self.browse([row[0] for row in self.env.cr.fetchall()])
        if jobs:
            self.env.cr.execute(
                """UPDATE sync_job SET state = 'running', started_at = %s, worker = %s,
                          attempts = attempts + 1, write_date = %s
                    WHERE id IN %s""",
                (fields.Datetime.now(), _worker_name(), fields.Datetime.now(), tuple(jobs.ids)),
            )
            jobs.invalidate_recordset()
        return jobs

    @api.model
    def _runnable_where(self, backend, windows):
        """SQL condition of the jobs of ``backend`` that may run now, or None when a window holds them all.

        Pending and due, and not held by ``windows`` (``backend._blocked_operations()``):
        the claim takes these, and only these count as work left for the next run.
        """
        blocked, heavy_blocked = windows
        if "*" in blocked:
            return None
        conditions = [
            SQL("state = 'pending' AND backend_id = %s", backend.id),
            SQL("(next_attempt_at IS NULL OR next_attempt_at <= %s)", fields.Datetime.now()),
        ]
        if heavy_blocked:
            conditions.append(SQL("NOT COALESCE(heavy, FALSE)"))
        if blocked:
            conditions.append(SQL("operation NOT IN %s", tuple(sorted(blocked))))
        return SQL(" AND ").join(conditions)

    @api.model
    def _process_queue(self, backends=None, commit=True, time_limit=None):
        """Run pending jobs batch after batch; return ``(done, remaining)``.

        The backends take turns, a batch each: a shop's order never waits for a CRM's
        initial load to drain. With ``commit`` each claim and each processed batch is
        committed, so other workers see progress and a crash loses at most one batch
        (recovered later).
        """
        backends = backends or self.env["sync.backend"].search([("state", "!=", "disconnected")])
        deadline = time.monotonic() + time_limit if time_limit else None
        windows = {backend: backend._blocked_operations() for backend in backends}
        runner = self.with_context(sync_runner_backend_ids=tuple(backends.ids), sync_runner_deadline=deadline)
        processed, claimed = 0, True
        while claimed and (deadline is None or time.monotonic() < deadline):
            claimed = False
            for backend in backends:
                if commit:
                    jobs = runner._claim_batch(backend, windows[backend])
                else:
                    jobs = runner._claim(backend, backend.batch_size, windows[backend])
                if not jobs:
                    continue
                jobs._run()
                processed, claimed = processed + len(jobs), True
                if commit:
                    self.env.cr.commit()  # one batch done: keep it even if a later batch crashes
        remaining = self._runnable_count(backends)
        return processed, remaining

    def _claim_batch(self, backend, windows):
        """Claim in a transaction of its own, commit it, then hold the jobs' row locks.

        The claim runs at READ COMMITTED: under Odoo's default REPEATABLE READ a row
        that another worker claimed after our snapshot began would abort us with a
        serialization error instead of simply being skipped.
        """
        cr = self.env.cr
        cr.commit()
        cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        try:
            jobs = self._claim(backend, backend.batch_size, windows)
        except psycopg2.extensions.TransactionRollbackError:
            cr.rollback()
            return self._claim_batch(backend, windows)
        cr.commit()  # publish the claim: other workers now skip these jobs
        if jobs:
            # Held until the batch commits: the recovery cron tells a live worker by this lock.
            cr.execute("SELECT id FROM sync_job WHERE id IN %s FOR NO KEY UPDATE", [tuple(jobs.ids)])
        return jobs

    @api.model
    def _runnable_count(self, backends):
        """Work the next run could do now: runnable jobs and deliveries not yet taken in.

        Jobs a window holds are not counted: the cron re-runs at once while this is not
        zero, and would otherwise spin until the window closes.
        """
        self.flush_model()
        count = 0
        for backend in backends:
            runnable = self._runnable_where(backend, backend._blocked_operations())
            if runnable is not None:
                self.env.cr.execute(SQL("SELECT count(*) FROM sync_job WHERE %s", runnable))
                count += self.env.cr.fetchone()[0] + backend._received_deliveries_count()
        return count

    def _run(self):
        """Run the jobs and record each one's outcome.

        Each job runs in its own savepoint, so a failure rolls back only its own
        writes. Jobs whose operation has a batch handler run together (one API call
        for many records) in one savepoint, and still get one outcome each.
        """
        finished = defaultdict(self.browse)  # result text -> jobs
        exchanges_of_done = []
        failed = self.browse()
        for jobs, run in self._units_until_more_urgent_work():
            buffer = []
            collecting = RUNNING_JOB_EXCHANGES.set(buffer)
            try:
                with self.env.cr.savepoint():
                    outcomes = run()
            except Exception as error:  # noqa: BLE001 - every failure is recorded on its jobs
                outcomes = dict.fromkeys(jobs.ids, error)
            finally:
                RUNNING_JOB_EXCHANGES.reset(collecting)
            exchanges = self.env["sync.exchange"]
            if any(isinstance(outcome, Exception) for outcome in outcomes.values()):
                exchanges = self.env["sync.exchange"].sudo().create([dict(v, job_id=jobs[0].id) for v in buffer])
            else:
                exchanges_of_done += [dict(values, job_id=jobs[0].id) for values in buffer]
            for job in jobs:
                outcome = outcomes.get(job.id) or SyncError(_("The batch handler gave no outcome for this job."))
                if callable(outcome):
                    outcome = job._settle(outcome)
                if not isinstance(outcome, Exception):
                    finished[_result_text(outcome)] |= job
                elif job._handle_failure(outcome, exchanges):
                    failed |= job
        if exchanges_of_done:
            self.env["sync.exchange"].sudo().create(exchanges_of_done)
        if finished:
            self.browse()._mark_done(finished)
            self.browse([job.id for jobs in finished.values() for job in jobs])._close_earlier_failures(resolved=True)
        if failed:
            failed._close_earlier_failures(resolved=False)
            failed._notify_failures()

    def _units_until_more_urgent_work(self):
        """``_work_units``, stopped early (the rest given back to the queue) when more urgent work
        arrives meanwhile, looked for at most once every ``URGENT_LOOK_INTERVAL``, or when the run's
        time is up: a batch of slow jobs started near the end must not outlive the server's limits
        (a prefork cron worker is killed past ``--limit-time-cpu``, leaving its batch for the recovery)."""
        started = self.browse()
        next_look = time.monotonic() + URGENT_LOOK_INTERVAL
        deadline = self.env.context.get("sync_runner_deadline")
        for jobs, run in self._work_units():
            if started and deadline and time.monotonic() >= deadline:
                (self - started)._give_back()
                return
            if started and time.monotonic() >= next_look:
                next_look = time.monotonic() + URGENT_LOOK_INTERVAL
                if (self - started)._give_way_to_urgent_work():
                    return
            started |= jobs
            yield jobs, run

    def _give_way_to_urgent_work(self):
        """Put these claimed, not yet started jobs back when more urgent work waits; True if so.

        An order must not wait behind the rest of a batch of catalogue exports or an initial
        load: the runner then commits what it ran and claims again, urgent work first (the
        claim's order). Looked for in a cursor of its own, since this batch's snapshot is
        older than the work that just arrived.
        """
        backends = self.env["sync.backend"].browse(self.env.context.get("sync_runner_backend_ids")) or self.backend_id
        priority = min(self.mapped("priority"))
        if not backends._more_urgent_work_waiting(priority):
            return False
        self._give_back()
        return True

    def _give_back(self):
        """Put these claimed, not yet started jobs back in the queue, as if never claimed."""
        self.flush_recordset()
        self.env.cr.execute("UPDATE sync_job SET attempts = GREATEST(attempts - 1, 0) WHERE id IN %s",
                            [tuple(self.ids)])  # the claim counted an attempt that did not happen
        self.invalidate_recordset(["attempts"])
        # A job whose change was queued again meanwhile is merged into the newer job.
        self._requeue({"started_at": False, "worker": False})

    @api.model
    def _mark_done(self, finished):
        """Mark ``{result text: jobs}`` done in one UPDATE: the queue's hot path, where results differ per job."""
        rows = [(job_id, result or None) for result, jobs in finished.items() for job_id in jobs.ids]
        self.flush_model()
        now = fields.Datetime.now()
        query = self.env.cr.mogrify(
            """UPDATE sync_job SET state = 'done', done_at = %s, result = done.result::text, failure_type = NULL,
                      failure_reason = NULL, next_attempt_at = NULL, write_uid = %s, write_date = %s
                 FROM (VALUES %%s) AS done(id, result)
                WHERE sync_job.id = done.id""",
            (now, self.env.uid, now),
        ).decode()
        self.env.cr.execute_values(query, rows, page_size=len(rows))
        self.invalidate_model(["state", "done_at", "result", "failure_type", "failure_reason", "next_attempt_at",
                               "write_uid", "write_date"])

    def _close_earlier_failures(self, resolved):
        """One failure per problem: the failed jobs of the same work as ``self`` (same backend and
        operation, and the same record, external id or dedup key) are closed with a pointer to the
        job that followed them. Resolved: it succeeded. Otherwise it failed again, and keeps the
        count of every attempt.

        Best effort: a row that a person retries at the same moment is left as it is, and the
        queue's own outcome never fails for it.
        """
        if not self:
            return
        template = (_("Resolved: job {job} did the same work successfully.") if resolved
                    else _("The same problem again: see job {job}, which replaces this one."))
        self.flush_model()
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                self.env.cr.execute(
                    """UPDATE sync_job earlier SET state = 'cancelled', next_attempt_at = NULL,
                              result = replace(%s, '{job}', later.id::text), write_date = now() at time zone 'UTC'
                         FROM sync_job later
                        WHERE later.id IN %s AND earlier.state = 'failed' AND earlier.id < later.id
                          AND earlier.backend_id = later.backend_id AND earlier.operation = later.operation
                          AND ((earlier.res_id IS NOT NULL AND earlier.res_model = later.res_model
                                AND earlier.res_id = later.res_id)
                            OR (earlier.external_id IS NOT NULL AND earlier.external_id = later.external_id)
                            OR (earlier.dedup_key IS NOT NULL AND earlier.dedup_key = later.dedup_key))
                    RETURNING later.id, earlier.attempts""",
                    [template, tuple(self.ids)],
                )
                carried = defaultdict(int)
                for later_id, attempts in self.env.cr.fetchall():
                    carried[later_id] += attempts
                if carried and not resolved:
                    self.env.cr.execute_values(
                        """UPDATE sync_job SET attempts = sync_job.attempts + carried.attempts
                             FROM (VALUES %s) AS carried(id, attempts) WHERE sync_job.id = carried.id""",
                        list(carried.items()),
                    )
        except (psycopg2.errors.SerializationFailure, psycopg2.errors.LockNotAvailable):
            _logger.info("Earlier failures of jobs %s left open: they changed meanwhile", self.ids)
        self.invalidate_model(["state", "next_attempt_at", "result", "attempts", "write_date"])

    def _settle(self, apply_outcome):
        """Run a batch handler's deferred work for one job in a savepoint of its own.

        A batch handler may return, per job, a callable that applies that record's
        answer in Odoo (bindings, hashes...): a failure there fails only that job.
        """
        try:
            with self.env.cr.savepoint():
                return apply_outcome()
        except Exception as error:  # noqa: BLE001 - recorded on the job like any failure
            return error

    def _work_units(self):
        """``(jobs, run)`` pairs: a batch handler's group, or a single job."""
        groups = defaultdict(self.browse)
        for job in self:
            if job.backend_id._job_batch_handler(job.operation):
                groups[job.backend_id, job.operation] |= job
            else:
                yield job, job._run_single
        for (_backend, operation), jobs in groups.items():
            yield jobs, partial(jobs._run_batch, operation)

    def _run_single(self):
        self.ensure_one()
        return {self.id: self._execute()}

    def _run_batch(self, operation):
        """A batch handler returns ``{job id: result or exception}`` for its jobs."""
        return self.backend_id._job_batch_handler(operation)(self)

    def _execute(self):
        self.ensure_one()
        backend = self.backend_id
        handler = backend._job_handler(self.operation)
        if handler is None:
            raise SyncError(
                _(
                    "No handler for operation '%(operation)s' on connector %(code)s. Is the connector module "
                    "installed and up to date?",
                    operation=self.operation,
                    code=backend.code,
                )
            )
        return handler(self)

    def _handle_failure(self, error, exchanges):
        """Schedule a retry or park the job in the failure inbox; True when it failed for good."""
        self.ensure_one()
        failure_type, retryable, reason, retry_after = _classify(error)
        values = {
            "failure_type": failure_type,
            "failure_reason": reason,
            "failure_traceback": "".join(traceback.format_exception(error))[-8000:],
            "failed_exchange_id": exchanges[-1:].id,
            "last_failure_at": fields.Datetime.now(),
        }
        if retryable and self.attempts < self.backend_id.max_attempts:
            delay = self.backend_id._retry_delay(self.attempts, retry_after, rate_limited=failure_type == "rate_limit")
            self._requeue(dict(values, next_attempt_at=fields.Datetime.now() + timedelta(seconds=delay)))
            return False
        if retryable:
            values["failure_reason"] = _(
                "%(reason)s\nGave up after %(attempts)s attempts.", reason=reason, attempts=self.attempts
            )
        values.update(state="failed", failed_at=fields.Datetime.now(), next_attempt_at=False)
        self.sudo().write(values)
        _logger.info("Sync job %s (%s) failed: %s", self.id, self.operation, failure_type)
        return True

    def _requeue(self, values):
        """Put jobs back in the queue with ``values``.

        A job whose change was queued again meanwhile (a pending job with the same dedup
        key: the database allows one) is merged into that newer job instead, which holds
        the latest payload: it is cancelled with a pointer to it, so nothing runs twice.
        The pending-dedup index tells, whatever the table's statistics: only then is the
        newer job looked up.
        """
        for job in self.sudo():
            try:
                # A collision is expected and settled below: keep it out of the server log.
                with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                    job.write(dict(values, state="pending"))
                continue
            except psycopg2.errors.UniqueViolation:
                twin = job._pending_twin()
            job.write(dict(values, state="cancelled", next_attempt_at=False,
                           result=_("Merged into job %s, queued later for the same change.", twin.id)))

    def _pending_twin(self):
        self.ensure_one()
        if not self.dedup_key:
            return self.browse()
        return self.search([("backend_id", "=", self.backend_id.id), ("dedup_key", "=", self.dedup_key),
                            ("state", "=", "pending"), ("id", "!=", self.id)], limit=1)

    def _notify_failures(self):
        """One activity per backend and failure type for the backend's responsible."""
        activity_type = self.env.ref("sync_base.mail_activity_type_sync_failure", raise_if_not_found=False)
        for (backend, failure_type), jobs in self.grouped(lambda j: (j.backend_id, j.failure_type)).items():
            if not backend.user_id or not self._claim_notification(backend, failure_type):
                continue
            label = dict(FAILURE_TYPES)[failure_type]
            summary = _("Sync failures: %s", label)
            existing = self.env["mail.activity"].sudo().search(
                [
                    ("res_model", "=", "sync.backend"),
                    ("res_id", "=", backend.id),
                    ("activity_type_id", "=", activity_type.id),
                    ("summary", "=", summary),
                ],
                limit=1,
            )
            note = _(
                "%(count)s job(s) failed with: %(label)s. %(next)s Open Sync > Failures.",
                count=len(jobs),
                label=label,
                next=_(NEXT_STEPS[failure_type]),
            )
            if existing:
                existing.note = note
                continue
            try:
                with self.env.cr.savepoint():
                    backend.sudo().activity_schedule(
                        activity_type_id=activity_type.id, summary=summary, note=note, user_id=backend.user_id.id
                    )
            except psycopg2.errors.UniqueViolation:
                # A worker that committed after our snapshot began made it (and its follower).
                _logger.info("Sync failure activity of backend %s made by another worker", backend.id)

    def _claim_notification(self, backend, failure_type):
        """Whether this transaction may write the activity of ``backend`` and ``failure_type``.

        Two workers failing jobs of one backend at the same moment would both find no
        activity and both create one (and the backend's follower twice: a unique key
        violation that would lose the worker's whole batch). The first takes the lock
        until it commits; the other skips: the responsible is told once either way.
        """
        self.env.cr.execute(
            "SELECT pg_try_advisory_xact_lock(hashtext(%s))", [f"sync_notify:{backend.id}:{failure_type}"]
        )
        return self.env.cr.fetchone()[0]

    # ------------------------------------------------------------------
    # Crons (never raise)
    # ------------------------------------------------------------------
    @api.model
    def _cron_process_queue(self):
        commit = not modules.module.current_test
        try:
            done, remaining = self._process_queue(commit=commit, time_limit=_cron_time_limit(self.env))
        except Exception:
            _logger.exception("Sync queue run failed; it will resume at the next run")
            if commit:
                self.env.cr.rollback()
            return
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        if remaining:
            self.env.ref("sync_base.ir_cron_sync_job_process")._trigger()

    @api.model
    def _wake_runner(self):
        """Have the queue run within seconds rather than at its next minute: urgent work just arrived.

        At most once per transaction, when it commits (a rolled-back change wakes no one), and
        not when a wake-up is already waiting: a burst of thousands of changes makes a handful
        of wake-ups. The wake-up is Odoo's cron trigger, one INSERT, so it never waits on a lock.
        """
        callbacks = self.env.cr.precommit
        if callbacks.data.get("sync.job.wake_runner"):
            return
        callbacks.data["sync.job.wake_runner"] = True
        callbacks.add(self.sudo()._wake_runner_now)

    def _wake_runner_now(self):
        """Odoo's cron trigger for the queue, in one statement that adds none when one is waiting."""
        # The id from the ormcache of XML ids: no query once known (env.ref would also check it exists).
        cron = self.env["ir.cron"].browse(
            self.env["ir.model.data"]._xmlid_to_res_id("sync_base.ir_cron_sync_job_process", raise_if_not_found=False)
        )
        if not cron:
            return
        now = fields.Datetime.now()
        self.env.cr.execute(
            """INSERT INTO ir_cron_trigger (cron_id, call_at, create_uid, write_uid, create_date, write_date)
               SELECT %(cron)s, %(now)s, %(uid)s, %(uid)s, %(now)s, %(now)s
                WHERE NOT EXISTS (SELECT 1 FROM ir_cron_trigger WHERE cron_id = %(cron)s AND call_at <= %(now)s)
            RETURNING id""",
            {"cron": cron.id, "now": now, "uid": self.env.uid},
        )
        added = self.env.cr.fetchone()
        # As ir.cron._trigger does, the cron threads are told at once (NOTIFY cron_trigger). Also
        # when a trigger already waits, at most once a second per process: a cron thread that was
        # not listening yet when that trigger was added (a server starting) would otherwise sleep
        # until its next minute.
        last = _LAST_WAKE_NOTIFY.get(self.env.cr.dbname, 0.0)
        if added or time.monotonic() - last >= WAKE_NOTIFY_INTERVAL:
            _LAST_WAKE_NOTIFY[self.env.cr.dbname] = time.monotonic()
            self.env.cr.postcommit.add(cron._notifydb)

    @api.model
    def _cron_recover_stuck(self):
        """Put back jobs left ``running`` by a worker that crashed.

        A live worker holds a row lock on every job it runs; a job we can lock is one
        nobody is working on any more.
        """
        try:
            self.env.flush_all()
            self.env.cr.execute(
                """SELECT id FROM sync_job
                    WHERE state = 'running' AND started_at < %s
                      FOR NO KEY UPDATE SKIP LOCKED""",
                [fields.Datetime.now() - STUCK_GRACE],
            )
            stuck = self.browse([row[0] for row in self.env.cr.fetchall()])
            for job in stuck:
                if job.attempts >= job.backend_id.max_attempts:
                    job._handle_failure(_stopped_worker_error(), self.env["sync.exchange"])
                else:
                    job._requeue({"next_attempt_at": False})
            # Inside the try: a write that fails at flush must not escape the cron.
            self.env.flush_all()
            if stuck:
                _logger.warning("Put back %s sync job(s) left running by a stopped worker", len(stuck))
        except Exception:
            _logger.exception("Recovery of stuck sync jobs failed; it will run again")

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------
    def _check_user_can_act(self):
        if not self.env.user.has_group("sync_base.group_sync_user"):
            raise AccessError(_("Only Sync users can retry or cancel sync jobs."))

    def action_retry(self):
        self._check_user_can_act()
        retryable = self.filtered(lambda job: job.state in ("failed", "cancelled"))
        if not retryable:
            raise UserError(_("Only failed or cancelled jobs can be retried."))
        retryable._requeue({"attempts": 0, "next_attempt_at": False, "failed_at": False})
        self.env.ref("sync_base.ir_cron_sync_job_process")._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Retry queued"),
                "message": _("%s job(s) will run again in a moment.", len(retryable)),
                "type": "success",
                # Reload the list so the retried jobs leave the failure inbox at once.
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_cancel(self):
        self._check_user_can_act()
        self.filtered(lambda job: job.state in ("pending", "failed")).sudo().write({"state": "cancelled"})

    def action_show_exchanges(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sync_base.sync_exchange_action")
        action["domain"] = [("job_id", "=", self.id)]
        return action

    @api.autovacuum
    def _gc_done_jobs(self):
        """Done and cancelled jobs are history; keep them as long as the exchange log."""
        for backend in self.env["sync.backend"].with_context(active_test=False).search([]):
            limit = fields.Datetime.now() - timedelta(days=backend.exchange_retention_days or 30)
            self.search(
                [("backend_id", "=", backend.id), ("state", "in", ("done", "cancelled")), ("write_date", "<", limit)]
            ).unlink()


def _classify(error):
    """``(failure_type, retryable, reason, retry_after)`` for any exception."""
    if isinstance(error, SyncError):
        return error.failure_type, error.retryable, error.message, error.retry_after
    if isinstance(error, CONCURRENCY_ERRORS):
        # Two workers met on the same rows (deadlock, serialization failure): the job
        # was rolled back whole, and running it again is what PostgreSQL asks for.
        return "concurrency", True, _(
            "Another worker changed the same records at the same moment (%(error)s); the job runs again.",
            error=type(error).__name__,
        ), None
    if isinstance(error, (OdooValidationError, UserError)):
        return "validation", False, str(error.args[0] if error.args else error), None
    if isinstance(error, AccessError):
        return "auth", False, str(error), None
    return "bug", False, _("%(type)s: %(error)s", type=type(error).__name__, error=error), None


def _result_text(result):
    if result is None or isinstance(result, str):
        return result or False
    return json.dumps(result, default=str)


def _stopped_worker_error():
    return SyncError(_("The worker running this job stopped before finishing (crash or restart)."))


def _worker_name():
    return f"{socket.gethostname()}:{os.getpid()}"


def _cron_time_limit(env):
    """Seconds one queue run may take: within the server's own limits, with headroom.

    A prefork worker is killed when a cron run passes --limit-time-cpu (60 s by default) or
    --limit-time-real-cron: the batch under way would be rolled back and wait for the stuck-job
    recovery. The run stops at 3/4 of the tightest limit instead (CPU time never exceeds the
    wall time measured here) and triggers itself again when work is left.
    """
    configured = env["ir.config_parameter"].sudo().get_param("sync_base.cron_time_limit")
    if configured:
        return int(configured)
    real_cron = config.get("limit_time_real_cron", -1)
    limits = [config.get("limit_time_cpu"), config.get("limit_time_real") if real_cron == -1 else real_cron]
    return min(DEFAULT_CRON_TIME_LIMIT, *(0.75 * limit for limit in limits if limit and limit > 0))
