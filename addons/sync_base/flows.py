"""The suite's part in Odoo's own flows: delivery validation, stock moves, sale confirmation,
partner and product writes (the rule is in readme/DEVELOP.md, "Hooks in Odoo's own flows").

A warehouse clerk validating a delivery has no Sync group and need not have one: what the suite
adds to that operation reads and queues the suite's own records as superuser, and a failure of
that part is logged and left for staff to see, never raised into the clerk's operation.
"""

import contextlib
import logging

_logger = logging.getLogger(__name__)


@contextlib.contextmanager
def sync_work_in_flow(env, what):
    """Run the suite's work inside one of Odoo's own operations without ever failing it.

    The work runs in a savepoint: when it fails, what it wrote is rolled back, the failure is
    logged with ``what`` ("the fulfilment of WH/OUT/00012"), and Odoo's operation goes on as
    it would without the suite. The user's own pending writes are not flushed here: they stay
    the user's, flushed (and failing, if they must) where they would be without the suite, never
    swallowed by this guard or recomputed halfway through the operation.
    """
    suite_models = [env[name] for name in env.registry.models if name.startswith("sync.")]
    savepoint = env.cr.savepoint(flush=False)  # outside the guard: a broken transaction is the caller's
    try:
        with savepoint:
            yield
            for model in suite_models:
                model.flush_model()
    except Exception:  # whatever failed is the suite's, never the user's operation
        # Forget what the rolled-back work left in the cache: the suite's rows only, never the
        # user's pending changes.
        for model in suite_models:
            model.invalidate_model(flush=False)
        _logger.exception(
            "Sync: %s could not be queued; the Odoo operation went through without it. "
            "The next full sync or reconcile catches up; fix the cause shown below.", what,
        )
