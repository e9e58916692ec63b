"""Shopify applied a write, then the answer was lost (the sandbox's ``drop_after_write``).

- Inventory: the retry sends the same ``@idempotent`` key, so Shopify replays the first
  result instead of applying the quantities a second time: one adjustment per call, and
  every level is Odoo's quantity.
- Creates: ``productSet`` has no idempotency key; the job's retry finds the product the
  lost answer created by its SKU and binds to it, so the sandbox never holds a duplicate.
"""

import collections
import json

import pytest

from .shopify_common import order_backend, stock_backend_with_push, wrong_levels
from .snippets import drain

pytestmark = pytest.mark.shopify


def test_lost_answers_of_stock_writes_are_not_applied_twice(odoo, shop_factory):
    """600 levels in 3 calls; the first two calls' answers are lost after Shopify applied them."""
    shop = shop_factory(products=150)
    backend_id, _job, location, expected = stock_backend_with_push(odoo, shop, 600, "Reliability lost stock")
    shop.faults.set(drop_after_write=2)
    assert odoo.run(drain(backend_id))[0]["left"] == 0
    assert odoo.job_states(backend_id) == {"done": 1}
    calls = [r for r in list(shop.requests) if "inventorySetQuantities" in r["body"]]
    keys = collections.Counter(json.loads(r["body"])["variables"]["key"] for r in calls)
    dropped = [json.loads(r["body"])["variables"]["key"] for r in calls if r.get("dropped")]
    assert len(dropped) == 2, "two answers were lost"
    assert len(keys) == 3 and all(keys[key] >= 2 for key in dropped), f"a lost call is sent again, same key: {keys}"
    reference = f"odoo://sync.backend/{backend_id}/stock"
    groups = [g for g in shop.store.adjustment_groups.values() if g["referenceDocumentUri"] == reference]
    assert len(groups) == 3, f"{len(groups)} adjustments for 3 calls: a call was applied twice"
    changed = collections.Counter(c["_item_id"] for g in groups for c in g["changes"] if c["name"] == "available")
    assert set(changed.values()) == {1}, "each level changed once"
    wrong = wrong_levels(shop, location, expected)
    assert not wrong, f"{len(wrong)} levels wrong in Shopify, e.g. {list(wrong.items())[:3]}"
    errors = odoo.scalar("SELECT count(*) FROM sync_exchange WHERE backend_id = %s AND error IS NOT NULL", [backend_id])
    assert errors == 2, "the lost answers are in the exchange log"


EXPORT = """
templates = env["product.template"].create([
    {{"name": f"Reliability lost create {{n}}", "default_code": f"REL-LOST-{backend_id}-{{n}}", "is_storable": True,
      "list_price": 10.0 + n}}
    for n in range({count})
])
backend = env["sync.backend"].browse({backend_id})
backend._shopify_queue_templates(templates)
emit({{"templates": templates.ids, "skus": templates.mapped("default_code")}})
"""


def test_lost_answers_of_product_creates_make_no_duplicate(odoo, shop_factory):
    """6 new products exported; Shopify creates the first 3, their answers are lost. The retries bind
    to them by SKU: 6 products in the sandbox, one per SKU, each template bound once, every job done."""
    shop = shop_factory(products=5)
    backend_id = odoo.run(order_backend(shop, products=False, name="Reliability lost create"))[0]["backend"]
    before = len(shop.store.products)
    setup = odoo.run(EXPORT.format(backend_id=backend_id, count=6))[0]
    shop.faults.set(drop_after_write=3)
    assert odoo.run(drain(backend_id))[0]["left"] == 0
    assert sum(1 for r in list(shop.requests) if r.get("dropped")) == 3
    states = odoo.job_states(backend_id)
    assert set(states) == {"done"}, states
    assert odoo.scalar("SELECT max(attempts) FROM sync_job WHERE backend_id = %s AND operation = 'product_export'",
                       [backend_id]) == 2, "the lost creates were retried by the queue"
    skus = collections.Counter(
        v.get("sku") for v in shop.store.variants.values() if (v.get("sku") or "").startswith(f"REL-LOST-{backend_id}-")
    )
    assert skus == dict.fromkeys(setup["skus"], 1), f"one Shopify variant per SKU: {skus}"
    assert len(shop.store.products) == before + 6, "no duplicate product in Shopify"
    bindings = dict(odoo.sql(
        "SELECT res_id, count(*) FROM sync_binding WHERE backend_id = %s AND res_model = 'product.template' "
        "GROUP BY res_id", [backend_id]))
    assert bindings == dict.fromkeys(setup["templates"], 1)
