import threading

from odoo import SUPERUSER_ID, api, sql_db
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestConcurrentWorkers(TransactionCase):
    """Several workers on one database, each with its own connection, never share a job."""

    JOBS = 300
    WORKERS = 3

    def setUp(self):
        super().setUp()
        self.db = sql_db.db_connect(self.env.cr.dbname)
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            backend = env["sync.backend"].create(
                {"name": "Concurrency", "batch_size": 7, "restrict_heavy_to_window": False}
            )
            env["sync.job"].create(
                [{"backend_id": backend.id, "operation": "noop", "external_id": str(i)} for i in range(self.JOBS)]
            )
            self.backend_id = backend.id
            cr.commit()
        self.addCleanup(self._drop_backend)

    def _drop_backend(self):
        with self.db.cursor() as cr:
            cr.execute("DELETE FROM sync_backend WHERE id = %s", [self.backend_id])
            cr.commit()

    def _env(self, cr):
        # Worker threads must not look the registry up: the test runner holds its lock.
        cr.transaction = api.Transaction(self.registry)
        return api.Environment(cr, SUPERUSER_ID, {})

    def _worker(self, processed, barrier, errors):
        try:
            with self.db.cursor() as cr:
                env = self._env(cr)
                backend = env["sync.backend"].browse(self.backend_id)
                barrier.wait(timeout=30)
                done, _remaining = env["sync.job"]._process_queue(backends=backend, commit=True)
                processed.append(done)
        except Exception as error:  # noqa: BLE001 - reported by the test thread
            errors.append(error)

    def test_workers_never_process_a_job_twice(self):
        processed, errors = [], []
        barrier = threading.Barrier(self.WORKERS)
        threads = [
            threading.Thread(target=self._worker, args=(processed, barrier, errors)) for _i in range(self.WORKERS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        self.assertFalse(errors, errors)
        self.assertEqual(len(processed), self.WORKERS, "every worker finished")
        self.assertEqual(sum(processed), self.JOBS, "the workers ran as many jobs as were queued, no more")
        with self.db.cursor() as cr:
            cr.execute(
                "SELECT state, attempts, count(*) FROM sync_job WHERE backend_id = %s GROUP BY 1, 2",
                [self.backend_id],
            )
            self.assertEqual(cr.fetchall(), [("done", 1, self.JOBS)], "all done, each run exactly once")

    def test_a_job_locked_by_a_live_worker_is_not_recovered(self):
        with self.db.cursor() as worker_cr, self.db.cursor() as recovery_cr:
            worker = api.Environment(worker_cr, SUPERUSER_ID, {})
            jobs = worker["sync.job"]._claim(worker["sync.backend"].browse(self.backend_id), 5)
            worker_cr.execute("UPDATE sync_job SET started_at = now() - interval '1 hour' WHERE id IN %s",
                              [tuple(jobs.ids)])
            worker_cr.commit()
            # The worker is still busy with them: it holds their row locks.
            worker_cr.execute("SELECT id FROM sync_job WHERE id IN %s FOR NO KEY UPDATE", [tuple(jobs.ids)])
            recovery = api.Environment(recovery_cr, SUPERUSER_ID, {})
            recovery["sync.job"]._cron_recover_stuck()
            recovery_cr.commit()
            recovery_cr.execute("SELECT DISTINCT state FROM sync_job WHERE id IN %s", [tuple(jobs.ids)])
            self.assertEqual(recovery_cr.fetchall(), [("running",)])
            worker_cr.rollback()  # the worker dies: its locks are gone
            recovery["sync.job"]._cron_recover_stuck()
            recovery_cr.commit()
            recovery_cr.execute("SELECT DISTINCT state FROM sync_job WHERE id IN %s", [tuple(jobs.ids)])
            self.assertEqual(recovery_cr.fetchall(), [("pending",)])
