def migrate(cr, version):
    """Webhook events lost their index on backend_id alone (the event_uniq index starts with it).

    Odoo keeps an index whose field stopped asking for one, and while the table has no
    statistics PostgreSQL may pick it for the duplicate check of every delivery, reading
    all of a backend's events instead of one.
    """
    cr.execute("DROP INDEX IF EXISTS sync_shopify_webhook__backend_id_index")
