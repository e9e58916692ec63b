"""Shopify side of the reliability suite: backend setup snippets, sandbox helpers, checks.

The snippets run inside real Odoo processes (see ``odoo_child.py``); the checks compare
the database with the Shopify sandbox, which runs in the test process.
"""

import collections

from .conftest import wait_until
from .snippets import drain

# Each test's backend gets products of its own: stock rows and quants never mix between tests.
ORDER_SETUP = """
eur = env.ref("base.EUR")
eur.active = True
if not env["product.pricelist"].search([("currency_id", "=", eur.id)], limit=1):
    env["product.pricelist"].create({{"name": "Reliability EUR", "currency_id": eur.id}})
vat = env["account.tax"].search([("name", "=", "Reliability VAT 20%"), ("company_id", "=", env.company.id)], limit=1)
vat = vat or env["account.tax"].create({{
    "name": "Reliability VAT 20%", "amount": 20.0, "amount_type": "percent", "type_tax_use": "sale",
    "company_id": env.company.id,
}})
skus = {skus!r}
known = set(env["product.product"].search([("default_code", "in", skus)]).mapped("default_code"))
env["product.product"].create([
    {{"name": sku, "default_code": sku, "is_storable": True, "list_price": 1.0}} for sku in skus if sku not in known
])
backend = env["sync.backend"].create({{
    "name": {name!r}, "code": "shopify", "api_url": {url!r}, "shopify_shop_domain": {domain!r},
    "api_token": {token!r}, "webhook_secret": {secret!r}, "batch_size": {batch_size},
    "max_attempts": {max_attempts}, "retry_jitter": 0.0, "retry_base_delay": 1, "retry_max_delay": 2,
    "restrict_heavy_to_window": False, "shopify_auto_confirm": True, "state": "connected",
    "shopify_tax_map_ids": [(0, 0, {{"name": "VAT", "rate": 20.0, "tax_id": vat.id}})],
}})
emit({{"backend": backend.id}})
"""

STOCK_SETUP = """
warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
backend = env["sync.backend"].browse({backend_id})
backend.write({{"shopify_location_ids": [(0, 0, {{
    "name": "Main", "shopify_gid": {location!r}, "location_ids": [(6, 0, warehouse.lot_stock_id.ids)],
}})]}})
levels = {levels!r}  # [(inventory item gid, quantity Shopify has, quantity Odoo has)]
products = env["product.product"].with_context(tracking_disable=True).create([
    {{"name": f"Reliability stock {{backend.id}}-{{n}}", "is_storable": True}} for n in range(len(levels))
])
cr = env.cr
cr.execute(
    '''INSERT INTO sync_shopify_stock (backend_id, product_id, shopify_location_id, inventory_item_gid,
                                       last_quantity, quantity_known, revision, dirty)
       SELECT %s, p, %s, g, q, TRUE, 0, TRUE FROM unnest(%s::int[], %s::varchar[], %s::int[]) AS t(p, g, q)''',
    [backend.id, backend.shopify_location_ids.id, products.ids, [l[0] for l in levels], [l[1] for l in levels]],
)
# Quants in SQL, as the stock_push bench does: setup, not what is tested.
cr.execute(
    '''INSERT INTO stock_quant (product_id, location_id, company_id, quantity, reserved_quantity, in_date,
                                create_uid, create_date, write_uid, write_date)
       SELECT p, %s, %s, q, 0, now() at time zone 'UTC', 1, now() at time zone 'UTC', 1, now() at time zone 'UTC'
         FROM unnest(%s::int[], %s::int[]) AS t(p, q)''',
    [warehouse.lot_stock_id.id, warehouse.company_id.id, products.ids, [l[2] for l in levels]],
)
env.invalidate_all()
job = backend._shopify_queue_stock_push()
emit({{"job": job.id}})
"""


# The Shopify client's in-job backoff (0.5 s doubling) scaled down, in the worker only, as the
# backends' retry delays are: the tests prove the behaviour, not the wall-clock length.
FAST_CLIENT = """
from odoo.addons.sync_shopify.models.shopify_client import ShopifyClient
ShopifyClient.__init__.__kwdefaults__["backoff"] = 0.05
"""


def order_backend(shop, *, batch_size=10, max_attempts=8, name="Reliability Shopify", products=True):
    """A connected Shopify backend on ``shop``, EUR and the 20 % tax mapped, a product per sandbox SKU
    (``products=False``: none, for tests that make their own)."""
    skus = sorted(v["sku"] for v in shop.store.variants.values() if v.get("sku")) if products else []
    return ORDER_SETUP.format(
        skus=skus, name=name, url=shop.url, domain=shop.shop_domain, token=shop.access_token,
        secret=shop.app_secret, batch_size=batch_size, max_attempts=max_attempts,
    )


def stocked_variants(shop, count):
    """``(location gid, [inventory item gid])``: ``count`` variants stocked at the first location."""
    location = next(iter(shop.store.locations))
    items = [v["_inventory_item_id"] for v in shop.store.variants.values()
             if (v["_inventory_item_id"], location) in shop.store.levels]
    assert len(items) >= count, f"the sandbox holds only {len(items)} stocked variants"
    return location, items[:count]


def stock_push_setup(shop, backend_id, count):
    """Stock rows for ``count`` variants whose Odoo quantity differs from Shopify's; queues the push.

    Returns ``(snippet, location gid, {item gid: quantity Odoo has})``.
    """
    location, items = stocked_variants(shop, count)
    levels, expected = [], {}
    for index, item in enumerate(items):
        current = shop.store.levels[(item, location)]["_quantities"]["available"]
        # Orders may have taken Shopify below 0; Odoo never publishes less than 0.
        wanted = max(current, 0) + 1 + index % 7
        levels.append((item, current, wanted))
        expected[item] = wanted
    return STOCK_SETUP.format(backend_id=backend_id, location=location, levels=levels), location, expected


def stock_backend_with_push(odoo, shop, count, name):
    """A stock-only backend with a push of ``count`` levels queued and the sandbox's request log cleared.

    Returns ``(backend id, push job id, location gid, {item gid: quantity Odoo has})``.
    """
    backend_id = odoo.run(order_backend(shop, products=False, name=name))[0]["backend"]
    snippet, location, expected = stock_push_setup(shop, backend_id, count)
    job_id = odoo.run(snippet)[0]["job"]
    shop.requests.clear()
    return backend_id, job_id, location, expected


def wrong_levels(shop, location, expected):
    """{item gid: (Shopify, Odoo)} of the levels that differ."""
    wrong = {}
    for item, quantity in expected.items():
        have = shop.store.levels[(item, location)]["_quantities"]["available"]
        if have != quantity:
            wrong[item] = (have, quantity)
    return wrong


def queue_orders(backend_id, gids):
    return f"""
backend = env["sync.backend"].browse({backend_id})
for gid in {list(gids)!r}:
    backend._shopify_enqueue_order(gid)
emit({{"queued": len({list(gids)!r})}})
"""


def assert_each_order_once(odoo, backend_id, orders):
    """Every Shopify order is exactly one sale order of the backend, bound exactly once."""
    names = {order["id"]: order["name"] for order in orders}
    refs = collections.Counter(row[0] for row in odoo.sql(
        "SELECT client_order_ref FROM sale_order WHERE shopify_backend_id = %s", [backend_id]))
    twice = {ref: count for ref, count in refs.items() if count != 1}
    assert not twice, f"sale orders made more than once: {twice}"
    missing = sorted(set(names.values()) - set(refs))
    assert not missing, f"{len(missing)} Shopify orders have no sale order: {missing[:10]}"
    assert len(refs) == len(orders), f"{len(refs)} sale orders for {len(orders)} Shopify orders"
    bindings = odoo.sql(
        "SELECT b.external_id, b.res_id, s.client_order_ref FROM sync_binding b "
        "JOIN sale_order s ON s.id = b.res_id WHERE b.backend_id = %s AND b.res_model = 'sale.order'",
        [backend_id])
    by_gid = collections.Counter(row[0] for row in bindings)
    by_order = collections.Counter(row[1] for row in bindings)
    assert set(by_gid) == set(names), "every Shopify order is bound"
    assert max(by_gid.values()) == 1 and max(by_order.values()) == 1, "one binding per order, both ways"
    wrong = [(gid, ref) for gid, _res, ref in bindings if names[gid] != ref]
    assert not wrong, f"bindings to the wrong sale order: {wrong[:5]}"


def push_until_shopify_applied_a_call(odoo, shop, backend_id, latency):
    """A worker running the queued push through a sandbox slowed by ``latency``, returned once Shopify applied
    its first stock call (its rows written, held by the push until it ends)."""
    shop.faults.set(latency=latency)
    worker = odoo.spawn(drain(backend_id))

    def applied_calls():
        return [r for r in list(shop.requests) if "inventorySetQuantities" in r["body"] and r.get("status") == 200]

    wait_until(applied_calls, 60, 0.01, "Shopify to apply the first stock call")
    return worker
