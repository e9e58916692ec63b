"""In-memory state of the scripted Shopify store.

Records are plain dicts shaped like the GraphQL types (the default resolver
reads their keys); keys starting with `_` are private links between records.
Every change goes through a method here so webhooks fire in one place.
"""

import datetime
import itertools

from . import shopify_pricing as pricing

GID = "gid://shopify/%s/%d"
CURRENCY = "EUR"
SHOP_TIMEZONE = "Europe/Paris"  # the shop's ianaTimezone: REST webhook bodies give times in it
TAX_RATE = 0.2
QUANTITY_NAMES = (
    "available",
    "on_hand",
    "committed",
    "incoming",
    "reserved",
    "damaged",
    "safety_stock",
    "quality_control",
)

_ADJECTIVES = ["Classic", "Organic", "Vintage", "Urban", "Alpine", "Coastal", "Everyday", "Premium", "Nordic", "Sunny"]
_NOUNS = [
    "T-Shirt",
    "Hoodie",
    "Mug",
    "Backpack",
    "Sneaker",
    "Cap",
    "Scarf",
    "Notebook",
    "Water Bottle",
    "Candle",
    "Sweater",
    "Tote Bag",
]
_VENDORS = ["Acme", "Northwind", "Globex", "Initech", "Umbrella"]
_FIRST = ["Alice", "Bruno", "Chloe", "David", "Emma", "Farid", "Giulia", "Hugo", "Ines", "Jonas", "Karim", "Lea"]
_LAST = ["Martin", "Bernard", "Dubois", "Rossi", "Schmidt", "Garcia", "Peeters", "Novak", "Jansen", "Moreau"]
_CITIES = [("Paris", "FR", "75002"), ("Lyon", "FR", "69001"), ("Brussels", "BE", "1000"), ("Berlin", "DE", "10115")]


# The order shapes of generate_orders(mix=True), with their weights: most orders carry no discount, the
# commonest discount is a code off the entire order (an order-level discount), then fixed-amount codes,
# automatic line discounts, free shipping, and lines without a product (custom items).
ORDER_MIX = (
    ("plain", 55),
    ("order_percent", 15),
    ("order_amount", 10),
    ("line_automatic", 8),
    ("free_shipping", 7),
    ("custom_item", 5),
)


def _taxes(line):
    return sum(float(tax["priceSet"]["shopMoney"]["amount"]) for tax in line["taxLines"])


def gid(kind, number):
    return GID % (kind, number)


def gid_number(value):
    try:
        return int(str(value).rsplit("/", 1)[-1].split("?", 1)[0])
    except ValueError:
        return None


def gid_kind(value):
    parts = str(value).split("/")
    return parts[3] if len(parts) > 4 and value.startswith("gid://shopify/") else None


def money(amount):
    return {"amount": "%.2f" % amount, "currencyCode": CURRENCY}


def bag(amount):
    return {"shopMoney": money(amount), "presentmentMoney": money(amount)}


def handleize(text):
    return "-".join("".join(c.lower() if c.isalnum() else " " for c in text).split())


class ShopifyStore:
    def __init__(self, clock, emit, base_url=lambda: ""):
        self.clock = clock
        self.emit = emit  # emit(topic, record) -> fires webhooks for subscriptions
        self.base_url = base_url
        self.clear()

    # -- basics -----------------------------------------------------------
    def clear(self):
        self._counters = {}
        self.locations = {}
        self.products = {}
        self.variants = {}
        self.inventory_items = {}
        self.levels = {}  # (inventory_item_gid, location_gid) -> level dict
        self.customers = {}
        self.orders = {}
        self.fulfillment_orders = {}
        self.fulfillments = {}
        self.media = {}
        self.uploads = {}  # staged upload key -> bytes
        self.bulk_operations = {}
        self.bulk_results = {}  # bulk id -> jsonl text
        self.webhook_subscriptions = {}
        self.idempotency = {}  # key -> (fingerprint, payload)
        self.adjustment_groups = {}
        self.installed = True

    def new_gid(self, kind, start=1001):
        counter = self._counters.setdefault(kind, itertools.count(start))
        return gid(kind, next(counter))

    def now(self):
        stamp = datetime.datetime.fromtimestamp(self.clock(), datetime.timezone.utc)
        return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")

    def node(self, global_id):
        """Any record by GID (for `node`/`nodes` and the lookups below)."""
        for table in (
            self.products,
            self.variants,
            self.inventory_items,
            self.locations,
            self.customers,
            self.orders,
            self.fulfillment_orders,
            self.fulfillments,
            self.media,
            self.bulk_operations,
            self.webhook_subscriptions,
        ):
            if global_id in table:
                return table[global_id]
        for level in self.levels.values():
            if level["id"] == global_id:
                return level
        return None

    # -- seed data ----------------------------------------------------------
    def seed(self, rng, products=200, customers=40):
        for index, (name, city) in enumerate(
            [("Main Warehouse", _CITIES[0]), ("Lyon Store", _CITIES[1]), ("Brussels Depot", _CITIES[2])]
        ):
            self.add_location(name, city, primary=index == 0)
        for _ in range(customers):
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            number = len(self.customers) + 1
            self.upsert_customer(
                {
                    "firstName": first,
                    "lastName": last,
                    "email": "%s.%s.%d@example.com" % (first.lower(), last.lower(), number),
                    "phone": "+3361234%04d" % number,
                },
                fire=False,
            )
        for number in range(products):
            self.create_product(self._seed_product_input(rng, number), fire=False)

    def _seed_product_input(self, rng, number):
        title = "%s %s %d" % (rng.choice(_ADJECTIVES), rng.choice(_NOUNS), number + 1)
        locations = list(self.locations)[:2]
        shape = rng.random()
        if shape < 0.3:
            options = [{"name": "Title", "values": [{"name": "Default Title"}]}]
            combos = [[("Title", "Default Title")]]
        else:
            sizes = ["S", "M", "L"] if shape < 0.8 else ["S", "M", "L", "XL"]
            colors = rng.sample(["Red", "Blue", "Black", "White", "Green"], 2)
            options = [
                {"name": "Size", "values": [{"name": s} for s in sizes]},
                {"name": "Color", "values": [{"name": c} for c in colors]},
            ]
            combos = [[("Size", s), ("Color", c)] for s in sizes for c in colors]
        base_price = rng.choice([9.9, 14.5, 19.9, 24.0, 39.9, 59.0])
        variants = []
        for index, combo in enumerate(combos):
            variants.append(
                {
                    "optionValues": [{"optionName": o, "name": v} for o, v in combo],
                    "price": "%.2f" % base_price,
                    "sku": "SKU-%04d-%02d" % (number + 1, index + 1),
                    "barcode": "40%011d" % ((number + 1) * 100 + index),
                    "inventoryQuantities": [
                        {"locationId": loc, "name": "available", "quantity": rng.randint(0, 40)} for loc in locations
                    ],
                }
            )
        return {
            "title": title,
            "vendor": rng.choice(_VENDORS),
            "productType": title.split(" ")[1],
            "status": "ACTIVE",
            "tags": ["seed"],
            "productOptions": options,
            "variants": variants,
            "descriptionHtml": "<p>%s</p>" % title,
        }

    # -- locations ------------------------------------------------------------
    def add_location(self, name, city=("Paris", "FR", "75002"), primary=False, fulfillment_service=False):
        """A location of the shop; ``fulfillment_service``: the location of a fulfilment service (a
        third-party warehouse), whose fulfillment orders need the third-party scopes."""
        location_id = self.new_gid("Location", 71)
        self.locations[location_id] = {
            "__typename": "Location",
            "id": location_id,
            "name": name,
            "isActive": True,
            "isPrimary": primary,
            "fulfillsOnlineOrders": True,
            "shipsInventory": True,
            "hasActiveInventory": True,
            "isFulfillmentService": fulfillment_service,
            "activatable": True,
            "deactivatable": not primary,
            "deletable": False,
            "addressVerified": True,
            "hasUnfulfilledOrders": False,
            "createdAt": self.now(),
            "updatedAt": self.now(),
            "suggestedAddresses": [],
            "address": {
                "address1": "1 Rue de la Paix",
                "city": city[0],
                "countryCode": city[1],
                "country": city[1],
                "zip": city[2],
                "formatted": [city[0]],
                "coordinatesValidated": True,
            },
        }
        return self.locations[location_id]

    # -- products -------------------------------------------------------------
    def create_product(self, data, fire=True):
        product_id = self.new_gid("Product")
        now = self.now()
        product = {
            "__typename": "Product",
            "id": product_id,
            "createdAt": now,
            "updatedAt": now,
            "publishedAt": now,
            "options": [],
            "_variant_ids": [],
            "_media_ids": [],
            "tags": [],
            "status": "ACTIVE",
            "vendor": "",
            "productType": "",
            "descriptionHtml": "",
            "templateSuffix": None,
            "isGiftCard": False,
            "requiresSellingPlan": False,
            "tracksInventory": True,
        }
        self.products[product_id] = product
        self.apply_product(product, data)
        if fire:
            self.emit("products/create", product)
        return product

    def update_product(self, product, data, fire=True):
        self.apply_product(product, data)
        product["updatedAt"] = self.now()
        if fire:
            self.emit("products/update", product)
        return product

    def apply_product(self, product, data):
        """Set fields from a ProductSetInput-like dict (validated by the caller)."""
        for key in ("title", "vendor", "productType", "status", "tags", "descriptionHtml", "templateSuffix"):
            if key in data and data[key] is not None:
                product[key] = data[key]
        if data.get("handle") or "handle" not in product:
            product["handle"] = data.get("handle") or self._unique_handle(handleize(product.get("title", "product")))
        if data.get("productOptions") is not None:
            product["options"] = [
                self._option(product, position, option) for position, option in enumerate(data["productOptions"], 1)
            ]
        if data.get("variants") is not None:
            self._replace_variants(product, data["variants"])

    def _unique_handle(self, base):
        handles = {p.get("handle") for p in self.products.values()}
        handle, suffix = base, 1
        while handle in handles:
            suffix += 1
            handle = "%s-%d" % (base, suffix)
        return handle

    def _option(self, product, position, option):
        existing = {o["name"]: o for o in product.get("options", [])}.get(option["name"])
        option_id = existing["id"] if existing else self.new_gid("ProductOption")
        known = {v["name"]: v["id"] for v in existing["optionValues"]} if existing else {}
        values = [
            {
                "id": known.get(v["name"]) or self.new_gid("ProductOptionValue"),
                "name": v["name"],
                "hasVariants": True,
                "linkedMetafieldValue": None,
                "swatch": None,
            }
            for v in option.get("values") or []
        ]
        return {
            "id": option_id,
            "name": option["name"],
            "position": position,
            "values": [v["name"] for v in values],
            "optionValues": values,
            "linkedMetafield": None,
        }

    def _replace_variants(self, product, variants_input):
        keep = []
        by_id = {vid: self.variants[vid] for vid in product["_variant_ids"]}
        for position, data in enumerate(variants_input, 1):
            variant = by_id.get(data.get("id")) if data.get("id") else None
            if variant is None:
                variant = self._new_variant(product)
            self.apply_variant(variant, data, position=position)
            keep.append(variant["id"])
        for vid in set(product["_variant_ids"]) - set(keep):
            self._delete_variant(vid)
        product["_variant_ids"] = keep

    def _new_variant(self, product):
        variant_id = self.new_gid("ProductVariant")
        item_id = self.new_gid("InventoryItem")
        now = self.now()
        self.inventory_items[item_id] = {
            "__typename": "InventoryItem",
            "id": item_id,
            "tracked": True,
            "requiresShipping": True,
            "createdAt": now,
            "updatedAt": now,
            "sku": None,
            "duplicateSkuCount": 0,
            "harmonizedSystemCode": None,
            "countryCodeOfOrigin": None,
            "_variant_id": variant_id,
            "measurement": {"weight": {"unit": "KILOGRAMS", "value": 0.5}},
            "trackedEditable": {"locked": False, "reason": None},
            "unitCost": None,
        }
        variant = {
            "__typename": "ProductVariant",
            "id": variant_id,
            "_product_id": product["id"],
            "_inventory_item_id": item_id,
            "createdAt": now,
            "updatedAt": now,
            "taxable": True,
            "inventoryPolicy": "DENY",
            "availableForSale": True,
            "compareAtPrice": None,
            "barcode": None,
            "sku": None,
            "price": "0.00",
            "requiresComponents": False,
            "showUnitPrice": False,
            "taxCode": None,
            "sellableOnlineQuantity": 0,
        }
        self.variants[variant_id] = variant
        return variant

    def _delete_variant(self, variant_id):
        variant = self.variants.pop(variant_id)
        item_id = variant["_inventory_item_id"]
        self.inventory_items.pop(item_id, None)
        for key in [k for k in self.levels if k[0] == item_id]:
            del self.levels[key]

    def apply_variant(self, variant, data, position=None):
        for key in ("price", "compareAtPrice", "barcode", "inventoryPolicy", "taxable", "taxCode"):
            if key in data:
                variant[key] = data[key]
        item = self.inventory_items[variant["_inventory_item_id"]]
        sku = data.get("sku", (data.get("inventoryItem") or {}).get("sku"))
        if sku is not None or "sku" in data:
            variant["sku"] = item["sku"] = sku
        if "tracked" in (data.get("inventoryItem") or {}):
            item["tracked"] = data["inventoryItem"]["tracked"]
        if position is not None:
            variant["position"] = position
        if data.get("optionValues"):
            product = self.products[variant["_product_id"]]
            variant["selectedOptions"] = [self._selected_option(product, v) for v in data["optionValues"]]
            variant["title"] = " / ".join(o["value"] for o in variant["selectedOptions"])
            variant["displayName"] = "%s - %s" % (product.get("title"), variant["title"])
        for quantity in data.get("inventoryQuantities") or []:
            level = self.ensure_level(item["id"], quantity["locationId"])
            self._set_quantity(level, quantity.get("name", "available"), quantity["quantity"])
        variant["updatedAt"] = item["updatedAt"] = self.now()

    def _selected_option(self, product, value):
        option = next(
            (o for o in product["options"] if o["name"] == value.get("optionName") or o["id"] == value.get("optionId")),
            None,
        )
        option_value = next(
            (v for v in option["optionValues"] if v["name"] == value.get("name") or v["id"] == value.get("id")), None
        )
        return {"name": option["name"], "value": option_value["name"], "optionValue": option_value}

    # -- inventory --------------------------------------------------------------
    def ensure_level(self, item_id, location_id):
        key = (item_id, location_id)
        if key not in self.levels:
            now = self.now()
            self.levels[key] = {
                "__typename": "InventoryLevel",
                "id": "gid://shopify/InventoryLevel/%d?inventory_item_id=%d"
                % (gid_number(location_id) * 1000 + len(self.levels) + 1, gid_number(item_id)),
                "isActive": True,
                "canDeactivate": True,
                "deactivationAlert": None,
                "createdAt": now,
                "updatedAt": now,
                "_item_id": item_id,
                "_location_id": location_id,
                "_quantities": dict.fromkeys(QUANTITY_NAMES, 0),
            }
        return self.levels[key]

    def _set_quantity(self, level, name, quantity):
        """Set `available` or `on_hand`; the other moves by the same delta."""
        quantities = level["_quantities"]
        delta = quantity - quantities[name]
        quantities[name] = quantity
        other = "on_hand" if name == "available" else "available"
        quantities[other] += delta
        level["updatedAt"] = self.now()
        return delta

    def set_quantities(self, name, reason, reference, quantities):
        """Apply validated quantity changes; return the adjustment group."""
        group_id = self.new_gid("InventoryAdjustmentGroup")
        changes = []
        for entry in quantities:
            level = self.levels[(entry["inventoryItemId"], entry["locationId"])]
            delta = self._set_quantity(level, name, entry["quantity"])
            for quantity_name in (name, "on_hand" if name == "available" else "available"):
                changes.append(
                    {
                        "name": quantity_name,
                        "delta": delta,
                        "quantityAfterChange": level["_quantities"][quantity_name],
                        "ledgerDocumentUri": None,
                        "_item_id": level["_item_id"],
                        "_location_id": level["_location_id"],
                    }
                )
            self.emit("inventory_levels/update", level)
        group = {
            "id": group_id,
            "createdAt": self.now(),
            "reason": reason,
            "referenceDocumentUri": reference,
            "changes": changes,
            "app": None,
            "staffMember": None,
        }
        self.adjustment_groups[group_id] = group
        return group

    def available(self, item_id, location_id=None):
        return sum(
            level["_quantities"]["available"]
            for (item, loc), level in self.levels.items()
            if item == item_id and (location_id is None or loc == location_id)
        )

    # -- customers ---------------------------------------------------------------
    def upsert_customer(self, data, customer=None, fire=True):
        now = self.now()
        created = customer is None
        if created:
            customer_id = self.new_gid("Customer")
            customer = {
                "__typename": "Customer",
                "id": customer_id,
                "createdAt": now,
                "state": "ENABLED",
                "tags": [],
                "note": None,
                "locale": "en",
                "taxExempt": False,
                "taxExemptions": [],
                "verifiedEmail": True,
                "validEmailAddress": True,
                "dataSaleOptOut": False,
                "canDelete": True,
                "addresses": [],
                "defaultAddress": None,
                "phone": None,
                "email": None,
                "firstName": None,
                "lastName": None,
                "hasTimelineComment": False,
                "lifetimeDuration": "now",
                "productSubscriberStatus": "NEVER_SUBSCRIBED",
                "multipassIdentifier": None,
            }
            self.customers[customer_id] = customer
        for key in ("firstName", "lastName", "email", "phone", "note", "tags", "locale", "taxExempt"):
            if key in data:
                customer[key] = data[key]
        if data.get("addresses") is not None:
            customer["addresses"] = [dict(a, id=self.new_gid("MailingAddress")) for a in data["addresses"]]
            customer["defaultAddress"] = customer["addresses"][0] if customer["addresses"] else None
        customer["displayName"] = (
            " ".join(p for p in (customer["firstName"], customer["lastName"]) if p) or customer["email"] or ""
        )
        customer["updatedAt"] = now
        if fire:
            self.emit("customers/create" if created else "customers/update", customer)
        return customer

    def find_customer(self, email=None, phone=None):
        for customer in self.customers.values():
            if email and (customer.get("email") or "").lower() == email.lower():
                return customer
            if phone and customer.get("phone") == phone:
                return customer
        return None

    # -- orders -------------------------------------------------------------------
    def create_order(self, customer, lines, discount_rate=0.0, discount_code=None, shipping=4.9, *,
                     discounts=(), taxes_included=False, tax_exempt=False, shipping_rate=TAX_RATE, rates=None,
                     financial_status="PAID"):
        """An order priced the way Shopify prices it (see shopify_pricing).

        lines: ``(variant, quantity)`` pairs, or dicts for lines without a variant (custom items, gift
        cards: ``title``, ``price``, ``quantity``, optional ``sku``, ``gift_card``). ``discount_rate`` with
        ``discount_code`` is a code for a percentage off the entire order (an order-level discount);
        ``discounts`` adds any ``shopify_pricing.Discount``. ``rates``: {variant gid: tax rate} for lines
        taxed at another rate than ``TAX_RATE`` (0 for untaxed); ``shipping_rate`` 0 leaves shipping
        untaxed. Prices include tax when ``taxes_included``. ``financial_status``: PAID, PENDING,
        AUTHORIZED, PARTIALLY_PAID.
        """
        discounts = list(discounts)
        if discount_rate:
            code = discount_code or "SALE"
            discounts.insert(0, pricing.Discount("code", code, "order", percentage=discount_rate * 100))
        line_items = [self._line_item(line, rates or {}) for line in lines]
        shipping_lines = [self._shipping_line(shipping, shipping_rate)] if shipping is not None else []
        figures = pricing.price(line_items, shipping_lines, discounts, taxes_included=taxes_included,
                                tax_exempt=tax_exempt, money=money)
        for line in line_items:
            self._line_amounts(line)
        for shipping_line in shipping_lines:
            net = bag(shipping_line["_left"])
            shipping_line["discountedPriceSet"] = shipping_line["currentDiscountedPriceSet"] = net
        order = self._new_order(customer, line_items, shipping_lines, figures)
        order.update(taxesIncluded=taxes_included, taxExempt=tax_exempt)
        order["discountCodes"] = [d.name for d in discounts if d.kind == "code"]
        order["discountCode"] = order["discountCodes"][0] if order["discountCodes"] else None
        self._set_payment(order, financial_status)
        self.orders[order["id"]] = order
        self._commit_stock(line_items, +1)
        self._open_fulfillment_order(order)
        self.emit("orders/create", order)
        return order

    def _new_order(self, customer, line_items, shipping_lines, figures):
        number = len(self.orders) + 1001
        now = self.now()
        address = self._address(customer)
        total = figures["total"]
        return {
            "__typename": "Order",
            "id": self.new_gid("Order"),
            "name": "#%d" % number,
            "number": number - 1000,
            "email": customer["email"] if customer else "guest%d@example.com" % number,
            "phone": customer.get("phone") if customer else None,
            "createdAt": now,
            "updatedAt": now,
            "processedAt": now,
            "cancelledAt": None,
            "cancelReason": None,
            "closed": False,
            "closedAt": None,
            "confirmed": True,
            "test": False,
            "currencyCode": CURRENCY,
            "presentmentCurrencyCode": CURRENCY,
            "displayFulfillmentStatus": "UNFULFILLED",
            "tags": [],
            "note": None,
            "sourceName": "web",
            "customAttributes": [],
            "discountApplications": figures["discountApplications"],
            "subtotalPriceSet": bag(figures["subtotal"]),
            "currentSubtotalPriceSet": bag(figures["subtotal"]),
            "totalDiscountsSet": bag(figures["discounts"]),
            "currentTotalDiscountsSet": bag(figures["discounts"]),
            "totalShippingPriceSet": bag(figures["shipping"]),
            "currentShippingPriceSet": bag(figures["shipping"]),
            "totalTaxSet": bag(figures["tax"]),
            "currentTotalTaxSet": bag(figures["tax"]),
            "totalPriceSet": bag(total),
            "currentTotalPriceSet": bag(total),
            "originalTotalPriceSet": bag(total),
            "totalRefundedSet": bag(0),
            "taxLines": figures["taxLines"],
            # Order.shippingLine "aggregates shipping charges, discounts, and taxes".
            "shippingLine": shipping_lines[0] if shipping_lines else None,
            "shippingLines": shipping_lines,
            "shippingAddress": address,
            "billingAddress": address,
            "lineItems": line_items,
            "refunds": [],
            "fulfillments": [],
            "_customer_id": customer and customer["id"],
            "_fulfillment_order_ids": [],
        }

    @staticmethod
    def _set_payment(order, financial_status):
        total = float(order["totalPriceSet"]["shopMoney"]["amount"])
        received = {"PAID": total, "PARTIALLY_PAID": round(total / 2, 2)}.get(financial_status, 0.0)
        order["displayFinancialStatus"] = financial_status
        order["totalReceivedSet"] = order["netPaymentSet"] = bag(received)
        order["totalOutstandingSet"] = bag(round(total - received, 2))
        order["fullyPaid"] = financial_status == "PAID"

    def _shipping_line(self, amount, rate):
        return {
            "__typename": "ShippingLine",
            "id": self.new_gid("ShippingLine"),
            "title": "Standard",
            "code": "STANDARD",
            "source": "shopify",
            "custom": False,
            "isRemoved": False,
            "carrierIdentifier": None,
            "deliveryCategory": None,
            "phone": None,
            "shippingRateHandle": None,
            "originalPriceSet": bag(amount),
            "price": "%.2f" % amount,  # also the deprecated ShippingLine.price
            "rate": rate,
            "tax_title": "VAT",
        }

    def _address(self, customer):
        city = _CITIES[len(self.orders) % len(_CITIES)]
        first = customer.get("firstName") if customer else "Guest"
        last = customer.get("lastName") if customer else "Buyer"
        return {
            "firstName": first,
            "lastName": last,
            "name": "%s %s" % (first, last),
            "address1": "12 Main Street",
            "city": city[0],
            "zip": city[2],
            "countryCodeV2": city[1],
            "country": city[1],
            "phone": customer.get("phone") if customer else None,
            "company": None,
            "address2": None,
            "province": None,
            "provinceCode": None,
        }

    def _line_item(self, line, rates):
        """A line item before pricing: a variant's, or one without a variant (custom item, gift card)."""
        if isinstance(line, dict):
            variant, product, quantity = None, None, line["quantity"]
            title, variant_title, sku, unit = line["title"], None, line.get("sku"), float(line["price"])
        else:
            variant, quantity = line
            product = self.products[variant["_product_id"]]
            title, variant_title, sku, unit = product["title"], variant.get("title"), variant.get("sku"), float(
                variant["price"])
        gift_card = isinstance(line, dict) and bool(line.get("gift_card"))
        return {
            "__typename": "LineItem",
            "id": self.new_gid("LineItem"),
            "title": title,
            "name": "%s - %s" % (title, variant_title) if variant_title else title,
            "variantTitle": variant_title,
            "sku": sku,
            "vendor": product.get("vendor") if product else None,
            "quantity": quantity,
            "currentQuantity": quantity,
            "fulfillableQuantity": quantity,
            "refundableQuantity": quantity,
            "unfulfilledQuantity": quantity,
            "nonFulfillableQuantity": 0,
            "requiresShipping": not gift_card,
            "taxable": not gift_card,
            "isGiftCard": gift_card,
            "merchantEditable": True,
            "restockable": variant is not None,
            "canRestock": variant is not None,
            "fulfillmentStatus": "unfulfilled",
            "customAttributes": [],
            "duties": [],
            "originalUnitPriceSet": bag(unit),
            # Gift cards are not taxed: a liability, not a sale (help.shopify.com "Selling gift cards").
            "rate": 0 if gift_card else (rates.get(variant["id"], TAX_RATE) if variant else TAX_RATE),
            "tax_title": "VAT",
            "price": unit,
            "_variant_id": variant["id"] if variant else None,
            "_product_id": product["id"] if product else None,
        }

    @staticmethod
    def _line_amounts(line):
        """The line's money fields once discounts are allocated (shopify_pricing.price)."""
        quantity, original, net = line["quantity"], line["_original"], line["_left"]
        line_discount = line["_line_discount"]
        line.update({
            "originalTotalSet": bag(original),
            # Line-level discounts only, as the schema says; order-level ones are in discountAllocations.
            "totalDiscountSet": bag(line_discount),
            "discountedTotalSet": bag(original - line_discount),
            "discountedUnitPriceSet": bag((original - line_discount) / quantity),
            "discountedUnitPriceAfterAllDiscountsSet": bag(net / quantity),
            "unfulfilledDiscountedTotalSet": bag(net),
            "unfulfilledOriginalTotalSet": bag(original),
            "_net": net,
        })
        for key in ("rate", "tax_title", "price", "_original", "_left", "_line_discount"):
            line.pop(key)

    def _primary_location(self):
        return next(iter(self.locations))

    def _commit_stock(self, line_items, sign):
        location_id = self._primary_location()
        for line in line_items:
            variant = self.variants.get(line["_variant_id"])
            if not variant:
                continue
            level = self.ensure_level(variant["_inventory_item_id"], location_id)
            level["_quantities"]["available"] -= sign * line["quantity"]
            level["_quantities"]["committed"] += sign * line["quantity"]
            level["updatedAt"] = self.now()
            self.emit("inventory_levels/update", level)

    def _open_fulfillment_order(self, order):
        fo_id = self.new_gid("FulfillmentOrder")
        now = self.now()
        self.fulfillment_orders[fo_id] = {
            "__typename": "FulfillmentOrder",
            "id": fo_id,
            "status": "OPEN",
            "requestStatus": "UNSUBMITTED",
            "orderId": order["id"],
            "orderName": order["name"],
            "orderProcessedAt": order["processedAt"],
            "createdAt": now,
            "updatedAt": now,
            "fulfillAt": now,
            "fulfillBy": None,
            "fulfillmentHolds": [],
            "supportedActions": [{"action": "CREATE_FULFILLMENT", "externalUrl": None}],
            "_order_id": order["id"],
            "_location_id": self._primary_location(),
            "_fulfillment_ids": [],
            "lineItems": [
                {
                    "__typename": "FulfillmentOrderLineItem",
                    "id": self.new_gid("FulfillmentOrderLineItem"),
                    "totalQuantity": li["quantity"],
                    "remainingQuantity": li["quantity"],
                    "sku": li["sku"],
                    "productTitle": li["title"],
                    "variantTitle": li["variantTitle"],
                    "vendor": li["vendor"],
                    "requiresShipping": True,
                    "warnings": [],
                    "financialSummaries": [],
                    "originalUnitPriceSet": li["originalUnitPriceSet"],
                    "_line_item_id": li["id"],
                    "_variant_id": li["_variant_id"],
                }
                for li in order["lineItems"]
            ],
        }
        order["_fulfillment_order_ids"].append(fo_id)

    def move_fulfillment_order(self, fo_id, location_id, quantities=None):
        """A merchant moves line items to another location, as ``fulfillmentOrderMove`` does
        (shopify.dev/docs/api/admin-graphql/latest/mutations/fulfillmentOrderMove): the moved
        quantities make a new fulfillment order assigned to ``location_id``, the rest stays on the
        original one. Without ``quantities`` ({fulfillment order line id: quantity}), every remaining
        quantity moves and, as nothing of it was fulfilled yet, the original order itself moves.
        Returns the fulfillment order now holding the moved items."""
        original = self.fulfillment_orders[fo_id]
        if location_id not in self.locations:
            raise ValueError("unknown location %s" % location_id)
        untouched = all(line["remainingQuantity"] == line["totalQuantity"] for line in original["lineItems"])
        if quantities is None and untouched:
            original.update(_location_id=location_id, updatedAt=self.now())
            return original
        quantities = quantities or {line["id"]: line["remainingQuantity"] for line in original["lineItems"]}
        order = self.orders[original["_order_id"]]
        moved = dict(original, id=self.new_gid("FulfillmentOrder"), status="OPEN", updatedAt=self.now(),
                     fulfillmentHolds=[], _location_id=location_id, _fulfillment_ids=[], lineItems=[])
        for line in original["lineItems"]:
            quantity = min(quantities.get(line["id"], 0), line["remainingQuantity"])
            if quantity <= 0:
                continue
            line["remainingQuantity"] -= quantity
            line["totalQuantity"] -= quantity
            moved["lineItems"].append(dict(line, id=self.new_gid("FulfillmentOrderLineItem"),
                                           totalQuantity=quantity, remainingQuantity=quantity))
        original["lineItems"] = [line for line in original["lineItems"] if line["totalQuantity"] > 0]
        if not any(line["remainingQuantity"] for line in original["lineItems"]):
            original["status"] = "CLOSED"
        self.fulfillment_orders[moved["id"]] = moved
        order["_fulfillment_order_ids"].append(moved["id"])
        return moved

    def hold_fulfillment_order(self, fo_id, reason="OTHER"):
        """A merchant holds a fulfillment order (``fulfillmentOrderHold``): status ON_HOLD, nothing of
        it can be fulfilled until it is released."""
        fulfillment_order = self.fulfillment_orders[fo_id]
        fulfillment_order.update(status="ON_HOLD", updatedAt=self.now(),
                                 fulfillmentHolds=[{"reason": reason, "reasonNotes": None}])
        return fulfillment_order

    def release_fulfillment_order(self, fo_id):
        fulfillment_order = self.fulfillment_orders[fo_id]
        fulfillment_order.update(status="OPEN", updatedAt=self.now(), fulfillmentHolds=[])
        return fulfillment_order

    def create_fulfillment(self, fo_lines, tracking, notify):
        """fo_lines: [(fulfillment_order, {fo_line_id: quantity} or None)] validated by the caller."""
        fulfillment_id = self.new_gid("Fulfillment")
        order = self.orders[fo_lines[0][0]["_order_id"]]
        now = self.now()
        fulfilled_lines = []
        for fulfillment_order, wanted in fo_lines:
            for line in fulfillment_order["lineItems"]:
                quantity = line["remainingQuantity"] if wanted is None else wanted.get(line["id"], 0)
                if quantity <= 0:
                    continue
                line["remainingQuantity"] -= quantity
                fulfilled_lines.append(
                    {
                        "id": self.new_gid("FulfillmentLineItem"),
                        "quantity": quantity,
                        "_line_item_id": line["_line_item_id"],
                    }
                )
                self._fulfil_line(order, line["_line_item_id"], quantity)
            remaining = sum(line["remainingQuantity"] for line in fulfillment_order["lineItems"])
            fulfillment_order["status"] = "CLOSED" if remaining == 0 else "IN_PROGRESS"
            fulfillment_order["updatedAt"] = now
            fulfillment_order["_fulfillment_ids"].append(fulfillment_id)
        numbers = list(tracking.get("numbers") or ([tracking["number"]] if tracking.get("number") else []))
        urls = list(tracking.get("urls") or ([tracking["url"]] if tracking.get("url") else []))
        fulfillment = {
            "__typename": "Fulfillment",
            "id": fulfillment_id,
            "name": "%s-F%d" % (order["name"], len(order["fulfillments"]) + 1),
            "status": "SUCCESS",
            "displayStatus": "FULFILLED",
            "createdAt": now,
            "updatedAt": now,
            "deliveredAt": None,
            "inTransitAt": None,
            "estimatedDeliveryAt": None,
            "requiresShipping": True,
            "totalQuantity": sum(line["quantity"] for line in fulfilled_lines),
            "trackingInfo": [
                {"number": n, "url": urls[i] if i < len(urls) else None, "company": tracking.get("company")}
                for i, n in enumerate(numbers)
            ],
            "fulfillmentLineItems": fulfilled_lines,
            "_order_id": order["id"],
            "_notify": bool(notify),
            "_location_id": fo_lines[0][0]["_location_id"],
        }
        self.fulfillments[fulfillment_id] = fulfillment
        order["fulfillments"].append(fulfillment)
        open_quantity = sum(li["unfulfilledQuantity"] for li in order["lineItems"])
        order["displayFulfillmentStatus"] = "FULFILLED" if open_quantity == 0 else "PARTIALLY_FULFILLED"
        order["updatedAt"] = now
        self.emit("fulfillments/create", fulfillment)
        self.emit("orders/updated", order)
        return fulfillment

    def _fulfil_line(self, order, line_item_id, quantity):
        line = next(li for li in order["lineItems"] if li["id"] == line_item_id)
        line["unfulfilledQuantity"] -= quantity
        line["fulfillableQuantity"] -= quantity
        line["fulfillmentStatus"] = "fulfilled" if line["unfulfilledQuantity"] == 0 else "partial"
        variant = self.variants.get(line["_variant_id"])
        if variant:
            level = self.ensure_level(variant["_inventory_item_id"], self._primary_location())
            level["_quantities"]["committed"] -= quantity
            level["_quantities"]["on_hand"] -= quantity

    def cancel_order(self, order, reason="CUSTOMER", restock=True):
        if order["cancelledAt"]:
            return order
        now = self.now()
        order.update(cancelledAt=now, cancelReason=reason, closed=True, closedAt=now, updatedAt=now)
        for fo_id in order["_fulfillment_order_ids"]:
            fulfillment_order = self.fulfillment_orders[fo_id]
            if fulfillment_order["status"] in ("OPEN", "IN_PROGRESS"):
                fulfillment_order.update(status="CANCELLED", updatedAt=now, supportedActions=[])
        if restock:
            self._commit_stock([dict(li, quantity=li["unfulfilledQuantity"]) for li in order["lineItems"]], -1)
        self.refund(order, None, shipping=True, fire=False)
        self.emit("orders/cancelled", order)
        self.emit("orders/updated", order)
        return order

    def refund(self, order, lines=None, shipping=False, note=None, fire=True):
        """lines: {line_item_gid: quantity} (None = everything still refundable)."""
        now = self.now()
        refund_lines, amount = [], 0.0
        for line in order["lineItems"]:
            quantity = (
                line["refundableQuantity"]
                if lines is None
                else min(lines.get(line["id"], 0), line["refundableQuantity"])
            )
            if quantity <= 0:
                continue
            # What the buyer paid for these units: after every discount, with their share of the taxes.
            subtotal = round(float(line["_net"]) * quantity / line["quantity"], 2)
            tax = round(_taxes(line) * quantity / line["quantity"], 2)
            line["refundableQuantity"] -= quantity
            line["currentQuantity"] -= quantity
            amount += subtotal + (0 if order["taxesIncluded"] else tax)
            refund_lines.append(
                {
                    "quantity": quantity,
                    "restockType": "RETURN",
                    "subtotalSet": bag(subtotal),
                    "totalTaxSet": bag(tax),
                    "_line_item_id": line["id"],
                }
            )
        if shipping:
            already = float(order.get("totalRefundedShippingSet", bag(0))["shopMoney"]["amount"])
            ship = float(order["totalShippingPriceSet"]["shopMoney"]["amount"]) - already
            ship_tax = sum(_taxes(line) for line in order["shippingLines"]) if not already else 0.0
            amount += ship + (0 if order["taxesIncluded"] else ship_tax)
            order["totalRefundedShippingSet"] = bag(already + ship)
        amount = round(amount, 2)
        if amount <= 0:
            return None
        refund = {
            "__typename": "Refund",
            "id": self.new_gid("Refund"),
            "createdAt": now,
            "note": note,
            "totalRefundedSet": bag(amount),
            "refundLineItems": refund_lines,
            "_order_id": order["id"],
        }
        order["refunds"].append(refund)
        refunded = float(order["totalRefundedSet"]["shopMoney"]["amount"]) + amount
        total = float(order["totalPriceSet"]["shopMoney"]["amount"])
        order["totalRefundedSet"] = bag(refunded)
        order["netPaymentSet"] = bag(total - refunded)
        order["currentTotalPriceSet"] = bag(max(0.0, total - refunded))
        order["displayFinancialStatus"] = "REFUNDED" if refunded >= total - 0.01 else "PARTIALLY_REFUNDED"
        order["updatedAt"] = now
        if fire:
            self.emit("refunds/create", refund)
            self.emit("orders/updated", order)
        return refund

    def generate_orders(self, rng, count, cancel_rate=0.1, refund_rate=0.1, mix=False):
        """Realistic orders: 1-4 lines, some discounted, shipping, VAT,
        a share refunded or cancelled afterwards. ``mix``: the discounts and lines of ``ORDER_MIX``
        instead of a 10% code on three orders in ten."""
        variants = [v for v in self.variants.values() if float(v["price"]) > 0]
        customers = list(self.customers.values())
        created = []
        for _ in range(count):
            lines = [
                (variant, rng.randint(1, 3)) for variant in rng.sample(variants, min(len(variants), rng.randint(1, 4)))
            ]
            discounted = rng.random() < 0.3
            subtotal = sum(float(v["price"]) * q for v, q in lines)
            customer = rng.choice(customers) if customers and rng.random() < 0.85 else None
            shipping = 0.0 if subtotal >= 100 else 4.9
            if mix:
                order = self.create_order(customer, lines, shipping=shipping, **self._mixed_shape(rng, lines))
            else:
                order = self.create_order(
                    customer,
                    lines,
                    discount_rate=0.1 if discounted else 0.0,
                    discount_code="WELCOME10" if discounted else None,
                    shipping=shipping,
                )
            roll = rng.random()
            if roll < cancel_rate:
                self.cancel_order(order, reason=rng.choice(["CUSTOMER", "INVENTORY", "FRAUD"]))
            elif roll < cancel_rate + refund_rate:
                first = order["lineItems"][0]
                self.refund(order, {first["id"]: 1}, note="Damaged item")
            created.append(order)
        return created

    @staticmethod
    def _mixed_shape(rng, lines):
        """create_order options for one order of ``ORDER_MIX``; may add a custom item to ``lines``."""
        shape = rng.choices([name for name, _weight in ORDER_MIX], [weight for _name, weight in ORDER_MIX])[0]
        if shape == "custom_item":
            lines.append({"title": "Gift wrap", "price": "3.50", "quantity": 1})
        return {
            "plain": {},
            "order_percent": {"discounts": [pricing.Discount("code", "WELCOME10", "order", percentage=10)]},
            "order_amount": {"discounts": [pricing.Discount("code", "5OFF", "order", amount=5)]},
            "line_automatic": {"discounts": [pricing.Discount("automatic", "Bundle", "lines", percentage=15,
                                                              lines=[0])]},
            "free_shipping": {"discounts": [pricing.Discount("code", "FREESHIP", "shipping", percentage=100)]},
            "custom_item": {},
        }[shape]

    # -- media, files, webhooks ------------------------------------------------------
    def create_media(self, source, alt=None, content_type="IMAGE", product=None):
        media_id = self.new_gid("MediaImage")
        now = self.now()
        image = {"url": source, "altText": alt, "width": 800, "height": 800, "id": self.new_gid("ImageSource")}
        media = {
            "__typename": "MediaImage" if content_type == "IMAGE" else "GenericFile",
            "id": media_id,
            "alt": alt,
            "status": "READY",
            "fileStatus": "READY",
            "mediaContentType": content_type,
            "createdAt": now,
            "updatedAt": now,
            "fileErrors": [],
            "mediaErrors": [],
            "mediaWarnings": [],
            "image": image,
            "url": source,
            "mimeType": "image/jpeg",
            "preview": {"image": image, "status": "READY"},
            "originalSource": {"url": source, "fileSize": 0},
        }
        self.media[media_id] = media
        if product is not None:
            product["_media_ids"].append(media_id)
            product["updatedAt"] = now
        return media
