{
    "name": "Shopify Connector",
    "summary": "Shopify catalogue: products, variants, prices, stock and images through the Admin GraphQL API",
    "version": "18.0.1.2.0",
    "category": "Sales/Sales",
    "author": "Sync Suite contributors",
    "website": "https://github.com/sync-suite/odoo-sync",
    "license": "LGPL-3",
    "depends": ["sync_base", "stock", "sale_stock", "stock_delivery"],
    "data": [
        "security/ir.model.access.csv",
        "security/sync_shopify_security.xml",
        "data/ir_cron_data.xml",
        "views/sync_backend_views.xml",
        "views/product_views.xml",
        "data/sync_shopify_order_data.xml",
        "views/sale_order_views.xml",
    ],
    "demo": [
        "demo/sync_backend_demo.xml",
    ],
    "external_dependencies": {"python": ["requests", "Pillow", "xmltodict"]},
    "installable": True,
}
