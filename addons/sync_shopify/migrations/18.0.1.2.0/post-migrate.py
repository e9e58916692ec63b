from odoo.tools.sql import column_exists


def migrate(cr, version):
    # The scopes a Test connection read moved to sync_base's granted_scopes (one field for every
    # connector); Odoo keeps the old column, so the scopes read before the upgrade carry over.
    if column_exists(cr, "sync_backend", "shopify_granted_scopes"):
        cr.execute("""UPDATE sync_backend SET granted_scopes = shopify_granted_scopes
                       WHERE granted_scopes IS NULL AND shopify_granted_scopes IS NOT NULL""")
