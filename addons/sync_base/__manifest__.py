{
    "name": "Sync Base",
    "summary": "Integration core: backends, bindings, sync queue, failure inbox, exchange log",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tools",
    "author": "Sync Suite contributors",
    "website": "https://github.com/sync-suite/odoo-sync",
    "license": "LGPL-3",
    "depends": ["mail"],
    "data": [
        "security/sync_base_groups.xml",
        "security/ir.model.access.csv",
        "security/sync_base_security.xml",
        "data/ir_cron_data.xml",
        "data/mail_activity_type_data.xml",
        "views/sync_backend_views.xml",
        "views/sync_job_views.xml",
        "views/sync_binding_views.xml",
        "views/sync_exchange_views.xml",
        "views/sync_menus.xml",
    ],
    "demo": [
        "demo/sync_backend_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "sync_base/static/src/tours/*.js",
        ],
    },
    "external_dependencies": {"python": ["requests"]},
    "installable": True,
    "application": True,
}
