REDUNDANT_INDEXES = (
    "sync_binding__backend_id_index",
    "sync_binding__company_id_index",
    "sync_binding__external_id_index",
    "sync_binding__res_id_index",
    "sync_binding__res_model_index",
    "sync_job__res_model_index",
    "sync_conflict__res_model_index",
)


def migrate(cr, version):
    """Indexes that only let PostgreSQL pick a long walk over a one-row lookup.

    While the tables have no statistics (autovacuum off), the planner cannot tell a
    selective index from a poor one: bindings were looked up by external id through the
    record index's (backend, type) prefix, and by record through the index on the model
    name, the backend or the company (which the record rule adds). The update itself
    rebuilds the unique constraints in their new column order (external id first, record
    id first); Odoo keeps an index whose field stopped asking for one, so the redundant
    ones are dropped here.
    """
    for index in REDUNDANT_INDEXES:
        cr.execute(f"DROP INDEX IF EXISTS {index}")
