{
    "name": "Sync HubSpot",
    "summary": "HubSpot CRM connector: contacts and companies, deals from orders, webhooks",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tools",
    "author": "Sync Suite contributors",
    "website": "https://github.com/sync-suite/odoo-sync",
    "license": "LGPL-3",
    "depends": ["sync_base", "sale"],
    "data": [
        "security/ir.model.access.csv",
        "security/sync_hubspot_security.xml",
        "data/ir_cron_data.xml",
        "data/sync_field_rule_data.xml",
        "views/sync_backend_views.xml",
    ],
    "demo": [
        "demo/sync_backend_demo.xml",
    ],
    "external_dependencies": {"python": ["requests"]},
    "installable": True,
}
