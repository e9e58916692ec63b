from .common import ShopifyCase


class ShopifyOrderCase(ShopifyCase):
    """A backend with a 20% sales tax mapped and every sandbox variant known in Odoo by SKU."""

    sandbox_options = {"customers": 6}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.SaleOrder = cls.env["sale.order"]
        cls.vat20 = cls._sale_tax("Shopify VAT 20%", 20.0)
        # The sandbox shop sells in EUR; Odoo needs the currency and a pricelist in it.
        cls.eur = cls.env.ref("base.EUR")
        cls.eur.active = True
        cls.eur_pricelist = cls.env["product.pricelist"].create({"name": "Shopify EUR", "currency_id": cls.eur.id})
        cls.backend.write({
            "shopify_tax_map_ids": [(0, 0, {"name": "VAT", "rate": 20.0, "tax_id": cls.vat20.id})],
            "shopify_auto_confirm": True,
        })
        cls.products = cls.env["product.product"].create([
            {"name": variant["sku"], "default_code": variant["sku"], "is_storable": True, "list_price": 1.0}
            for variant in cls.shop.store.variants.values()
        ])

    @classmethod
    def _sale_tax(cls, name, amount):
        return cls.env["account.tax"].create({
            "name": name, "amount": amount, "amount_type": "percent", "type_tax_use": "sale",
            "company_id": cls.env.company.id,
        })

    def new_orders(self, count=1, seed=11):
        return self.shop.generate_orders(count, seed=seed, cancel_rate=0, refund_rate=0)

    def import_orders(self, orders):
        for order in orders:
            self.backend._shopify_enqueue_order(order["id"])
        self.run_queue()

    def sale_of(self, order):
        return self.SaleOrder._shopify_order_of(self.backend, order["id"])

    def sales_named(self, order):
        return self.SaleOrder.search([("client_order_ref", "=", order["name"])])
