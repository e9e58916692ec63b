import json

from odoo.tests import TransactionCase, new_test_user

from sandbox import ShopifySandbox


class ShopifyCase(TransactionCase):
    """A Shopify backend talking over real HTTP to a seeded sandbox store."""

    sandbox_options = {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        options = {"products": 5, "customers": 0, "seed": 1, **cls.sandbox_options}
        cls.shop = ShopifySandbox(options.pop("products"), **options).start(host="127.0.0.1", port=0)
        cls.addClassCleanup(cls.shop.stop)
        cls.locations = list(cls.shop.store.locations)
        cls.warehouse = cls.env.ref("stock.warehouse0")
        cls.stock_location = cls.warehouse.lot_stock_id
        cls.backend = cls.env["sync.backend"].create({
            "name": "Sandbox store",
            "code": "shopify",
            "api_url": cls.shop.url,
            "shopify_shop_domain": cls.shop.shop_domain,
            "api_token": cls.shop.access_token,
            "webhook_secret": cls.shop.app_secret,
            "retry_jitter": 0.0,
            "restrict_heavy_to_window": False,
            "shopify_location_ids": [(0, 0, {
                "name": "Main Warehouse", "shopify_gid": cls.locations[0],
                "location_ids": [(6, 0, cls.stock_location.ids)],
            })],
        })
        cls.sync_manager = new_test_user(
            cls.env, login="shopify_manager", groups="base.group_user,sync_base.group_sync_manager"
        )
        cls.Binding = cls.env["sync.binding"]
        cls.Job = cls.env["sync.job"]
        cls.size_attribute = cls.env["product.attribute"].create({
            "name": "Size", "value_ids": [(0, 0, {"name": name}) for name in ("S", "M", "L")],
        })

    def setUp(self):
        super().setUp()
        self.shop.reset()
        # Bucket knowledge is per backend and process: start each test from a full bucket.
        from odoo.addons.sync_shopify.models.shopify_client import ShopifyClient

        ShopifyClient.forget(self.backend)

    # ------------------------------------------------------------------
    def run_queue(self, backend=None):
        return self.Job._process_queue(backends=backend or self.backend, commit=False)

    def writes(self, operation_name=None):
        """Mutations the sandbox received (optionally of one GraphQL operation)."""
        return [r for r in self.shop.requests if r.get("write") and
                (operation_name is None or r.get("operation_name") == operation_name)]

    @staticmethod
    def body(request):
        return json.loads(request["body"])

    def make_template(self, name="Linen shirt", code="LS-1", variants=False, **values):
        vals = {"name": name, "is_storable": True, "list_price": 25.0, "shopify_publish": True, **values}
        if variants:
            vals["attribute_line_ids"] = [(0, 0, {
                "attribute_id": self.size_attribute.id, "value_ids": [(6, 0, self.size_attribute.value_ids.ids)],
            })]
        else:
            vals["default_code"] = code
        template = self.env["product.template"].create(vals)
        if variants:
            for variant in template.product_variant_ids:
                variant.default_code = "%s-%s" % (code, variant.product_template_attribute_value_ids.name)
        return template

    def binding(self, record, external_type):
        return self.Binding._find(self.backend, external_type, record=record)

    def shopify_product(self, record):
        return self.shop.store.products[self.binding(record, "product").external_id]

    def pending_pushes(self):
        """The stock pushes the queue's next run does: its intake turns the stock changes noted into one."""
        self.backend._queue_received_deliveries()
        return self.jobs("stock_push", "pending")

    def jobs(self, operation, state=None):
        domain = [("backend_id", "=", self.backend.id), ("operation", "=", operation)]
        if state:
            domain.append(("state", "=", state))
        return self.Job.search(domain)
