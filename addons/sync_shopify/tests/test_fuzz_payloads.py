"""Property-based fuzzing of what Shopify sends: orders and products.

Each example takes a well-formed object of the sandbox store, breaks one to three of
its fields (missing, wrong type, huge, unicode, negative, unknown currency...), runs
the import job through the real queue over real HTTP, and checks what staff rely on:
the cron never raises, an order is either imported whole (every line, Shopify's total)
or not at all, and a refused payload is a failed job whose reason names the problem
(never an "Unexpected error"). Each example runs in a savepoint rolled back at its end.

``SYNC_FUZZ_EXAMPLES`` sets the number of examples per payload kind (default 1,000).
"""

import contextlib
import copy
import logging
import os
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from odoo.tests import tagged

from .order_common import ShopifyOrderCase

_logger = logging.getLogger(__name__)
EXAMPLES = int(os.environ.get("SYNC_FUZZ_EXAMPLES", "1000"))
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
# What an import may end in: done, failed for a person, or waiting for a retry of a remote hiccup.
STAFF_FAILURES = ("validation", "mapping", "conflict")
RETRIED_FAILURES = ("remote", "network", "rate_limit")

_huge = st.text(min_size=1, max_size=8).map(lambda text: text * 8000)
_numbers_as_text = st.sampled_from(["-1", "0", "-0.01", "NaN", "Infinity", "1e309", "abc", "1,50", "", " 12 "])
JUNK = st.one_of(
    st.none(), st.just(""), st.text(max_size=30), _huge, _numbers_as_text,
    st.integers(min_value=-(2**40), max_value=2**40), st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.lists(st.text(max_size=6), max_size=3),
    st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=2),
)
_amount = st.one_of(_numbers_as_text, st.decimals(min_value=-10**6, max_value=10**9, places=2).map(str))
_quantity = st.one_of(st.integers(min_value=-5, max_value=0), st.integers(min_value=10**6, max_value=2**31 - 1))
_currency = st.sampled_from(["EUR", "USD", "JPY", "XAF", "BTC", "eur", "", "XXX"])

# Paths into the sandbox's order, with values a real-looking bug could carry on top of JUNK.
ORDER_PATHS = {
    ("name",): st.one_of(_huge, st.text(max_size=20)),
    ("email",): st.sampled_from(["not-an-email", "UPPER@Example.COM ", "a@b", "é@ü.example"]),
    ("phone",): st.text(max_size=40),
    ("note",): _huge,
    ("tags",): st.lists(st.one_of(st.text(max_size=20), _huge), max_size=4),
    ("currencyCode",): _currency,
    ("displayFinancialStatus",): st.sampled_from(["PAID", "PENDING", "REFUNDED", "VOIDED", "paid"]),
    ("createdAt",): st.sampled_from(["2026-13-45T99:00:00Z", "yesterday", "1970-01-01T00:00:00Z"]),
    ("updatedAt",): st.sampled_from(["2026-13-45T99:00:00Z", "yesterday", "2999-01-01T00:00:00Z"]),
    ("taxesIncluded",): st.booleans(),
    ("discountCodes",): st.lists(st.one_of(st.text(max_size=10), _huge), max_size=3),
    ("totalPriceSet",): st.none(),
    ("totalPriceSet", "shopMoney", "amount"): _amount,
    ("totalTaxSet",): st.none(),
    ("totalTaxSet", "shopMoney", "amount"): _amount,
    ("_customer",): st.none(),
    ("_customer", "email"): st.one_of(st.none(), st.text(max_size=30)),
    ("_customer", "firstName"): st.one_of(_huge, st.text(max_size=20)),
    ("_customer", "lastName"): st.one_of(_huge, st.text(max_size=20)),
    ("_customer", "phone"): st.text(max_size=40),
    ("billingAddress",): st.none(),
    ("billingAddress", "address1"): st.one_of(_huge, st.text(max_size=30)),
    ("billingAddress", "countryCodeV2"): st.sampled_from(["ZZ", "FR", "", "fra"]),
    ("billingAddress", "name"): st.one_of(_huge, st.text(max_size=20)),
    ("billingAddress", "zip"): st.text(max_size=20),
    ("shippingAddress",): st.none(),
    ("shippingAddress", "address1"): st.one_of(_huge, st.text(max_size=30)),
    ("shippingAddress", "city"): st.one_of(_huge, st.text(max_size=30)),
    ("shippingLines",): st.just([]),
    ("shippingLines", 0, "title"): st.one_of(_huge, st.text(max_size=20)),
    ("shippingLines", 0, "originalPriceSet", "shopMoney", "amount"): _amount,
    ("shippingLines", 0, "taxLines"): st.just([]),
    ("shippingLines", 0, "taxLines", 0, "rate"): st.one_of(st.floats(min_value=-1, max_value=10), st.just(0.0)),
    ("shippingLines", 0, "discountAllocations"): st.just([{"allocatedAmountSet": {"shopMoney": {"amount": "1.00"}}}]),
    ("taxLines",): st.just([]),
    ("taxLines", 0, "rate"): st.one_of(st.floats(min_value=-1, max_value=10), st.just(0.0)),
    ("taxLines", 0, "title"): st.text(max_size=20),
    ("lineItems",): st.just([]),
    ("lineItems", 0, "quantity"): _quantity,
    ("lineItems", 0, "sku"): st.one_of(st.none(), _huge, st.text(max_size=20)),
    ("lineItems", 0, "name"): st.one_of(_huge, st.text(max_size=20)),
    ("lineItems", 0, "_variant_id"): st.sampled_from([None, "gid://shopify/ProductVariant/999999"]),
    ("lineItems", 0, "originalUnitPriceSet", "shopMoney", "amount"): _amount,
    ("lineItems", 0, "discountAllocations"): st.lists(
        st.fixed_dictionaries({"allocatedAmountSet": st.fixed_dictionaries(
            {"shopMoney": st.fixed_dictionaries({"amount": _amount})})}), max_size=2),
    ("lineItems", 0, "isGiftCard"): st.booleans(),
    ("lineItems", 0, "taxLines", 0, "rate"): st.floats(min_value=-1, max_value=10),
    ("lineItems", -1, "quantity"): _quantity,
}
PRODUCT_PATHS = {
    ("title",): st.one_of(_huge, st.text(max_size=40), st.just("")),
    ("descriptionHtml",): st.one_of(
        _huge, st.text(max_size=60), st.just("<script>alert(1)</script><p onclick='x()'>Linen</p>"),
    ),
    ("tags",): st.lists(st.one_of(st.text(max_size=20), _huge, st.just("")), max_size=5),
    ("seo",): st.none(),
    ("seo", "title"): st.one_of(_huge, st.text(max_size=40)),
    ("seo", "description"): st.one_of(_huge, st.text(max_size=60)),
    ("updatedAt",): st.sampled_from(["2026-13-45T99:00:00Z", "yesterday", "1970-01-01T00:00:00Z"]),
}


def mutations(paths):
    """One to three (path, value) pairs: the path's own strategy or plain junk."""
    path = st.sampled_from(sorted(paths, key=repr))
    return st.lists(
        path.flatmap(lambda p: st.tuples(st.just(p), st.one_of(paths[p], JUNK))),
        min_size=1, max_size=3, unique_by=lambda pair: pair[0],
    )


def set_path(obj, path, value):
    """Set ``value`` at ``path`` in nested dicts/lists; a path through a missing part is ignored."""
    *parents, last = path
    for key in parents:
        try:
            obj = obj[key]
        except (KeyError, IndexError, TypeError):
            return
        if not isinstance(obj, (dict, list)):
            return
    with contextlib.suppress(IndexError, TypeError):
        obj[last] = value


class _Rollback(Exception):
    pass


def in_savepoint(case, check):
    """Run ``check`` and undo everything it wrote in ``case``'s database and sandbox log, whatever its outcome."""
    try:
        with case.env.cr.savepoint():
            check()
            raise _Rollback
    except _Rollback:
        pass
    finally:
        case.env.invalidate_all()
        del case.shop.requests[:]


@tagged("post_install", "-at_install", "sync_fuzz")
class TestFuzzShopifyPayloads(ShopifyOrderCase):
    sandbox_options = {"customers": 3, "restore_rate": 10**6, "bucket_max": 10**7}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template_order = copy.deepcopy(
            cls.shop.generate_orders(1, seed=5, cancel_rate=0, refund_rate=0)[0]
        )
        cls.template_customer = copy.deepcopy(cls.shop.store.customers[cls.template_order["_customer_id"]])

    def setUp(self):
        super().setUp()
        self.order_count = 0
        self.outcomes = Counter()
        self.addCleanup(lambda: _logger.info("%s: %s", self._testMethodName, dict(self.outcomes)))

    # ------------------------------------------------------------------
    def _fuzz(self, strategy, check):
        @FUZZ_SETTINGS
        @given(changes=strategy)
        def run_one(changes):
            self._in_savepoint(lambda: check(changes))

        run_one()
        # The issue asks for at least this many cases per payload kind: prove they ran.
        self.assertGreaterEqual(sum(self.outcomes.values()), EXAMPLES)

    def _in_savepoint(self, check):
        in_savepoint(self, check)

    def _store_fuzzed_order(self, changes):
        """A new order in the sandbox store: the template order with ``changes`` applied."""
        store = self.shop.store
        self.order_count += 1
        order = copy.deepcopy(self.template_order)
        order["id"] = "gid://shopify/Order/%d" % (900000 + self.order_count)
        order["name"] = "#F%d" % self.order_count
        customer = copy.deepcopy(self.template_customer)
        customer["id"] = "gid://shopify/Customer/%d" % (900000 + self.order_count)
        order["_customer"] = customer
        for path, value in changes:
            set_path(order, path, value)
        customer = order.pop("_customer")
        if isinstance(customer, dict) and isinstance(customer.get("id"), str):
            store.customers[customer["id"]] = customer
            order["_customer_id"] = customer["id"]
        else:
            order["_customer_id"] = None
        store.orders[order["id"]] = order
        return order

    def _assert_failure_is_for_staff(self, job, what):
        self.assertIn(job.failure_type, STAFF_FAILURES + RETRIED_FAILURES,
                      "%s ended as an unexpected error: %s" % (what, job.failure_reason))
        self.assertTrue(job.failure_reason and len(job.failure_reason.strip()) > 20,
                        "%s failed without a readable reason" % what)

    # ------------------------------------------------------------------
    def test_fuzzed_order_is_imported_whole_or_refused_with_a_reason(self):
        self._fuzz(mutations(ORDER_PATHS), self._check_order)

    def _check_order(self, changes):
        order = self._store_fuzzed_order(changes)
        sales_before = self.SaleOrder.search_count([])
        job = self.backend._shopify_enqueue_order(order["id"])
        self.run_queue()  # a cron: must not raise, whatever the payload
        self.assertIn(job.state, ("done", "failed", "pending"), "job left %s" % job.state)
        self.outcomes[job.failure_type or job.state] += 1
        sale = self.SaleOrder._shopify_order_of(self.backend, order["id"])
        if job.state != "done":
            self._assert_failure_is_for_staff(job, "Order %s (%s)" % (order["id"], changes))
            self.assertFalse(sale, "a refused order left a sale order behind")
            self.assertEqual(self.SaleOrder.search_count([]), sales_before, "a refused order left a sale order")
            return
        self.assertEqual(len(sale), 1)
        items = order["lineItems"]
        product_lines = sale.order_line.filtered(lambda line: not line.is_delivery and not line.display_type)
        self.assertEqual(len(product_lines), len(items), "an imported order lost lines")
        self.assertEqual(sorted(product_lines.mapped("product_uom_qty")), sorted(float(i["quantity"]) for i in items))
        shop_total = float(order["totalPriceSet"]["shopMoney"]["amount"])
        self.assertAlmostEqual(sale.amount_total, shop_total, delta=self.backend.shopify_tax_tolerance + 0.001)

    # ------------------------------------------------------------------
    def test_fuzzed_product_writes_only_what_shopify_owns(self):
        self.template = self.make_template("Fuzz shirt", code="FZ-1", list_price=31.0, standard_price=12.0)
        self.product_gid = next(iter(self.shop.store.products))
        self.Binding._bind(self.backend, "product", self.template, self.product_gid)
        self._fuzz(mutations(PRODUCT_PATHS), self._check_product)

    def _check_product(self, changes):
        template, product_gid = self.template, self.product_gid
        products = self.shop.store.products
        original = products[product_gid]
        products[product_gid] = product = copy.deepcopy(original)
        for path, value in changes:
            set_path(product, path, value)
        try:
            job = self.backend._enqueue("product_import", external_id=product_gid, direction="import",
                                        category="catalogue")
            self.run_queue()
        finally:
            products[product_gid] = original
        self.assertIn(job.state, ("done", "failed", "pending"), "job left %s" % job.state)
        self.outcomes[job.failure_type or job.state] += 1
        if job.state != "done":
            self._assert_failure_is_for_staff(job, "Product %s (%s)" % (product_gid, changes))
        # Odoo owns price, cost and the reference: nothing Shopify sends may touch them.
        self.assertEqual((template.list_price, template.standard_price, template.default_code), (31.0, 12.0, "FZ-1"))
        self.assertTrue(template.name and template.name.strip(), "a bad payload blanked the product's name")
