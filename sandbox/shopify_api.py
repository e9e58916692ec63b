"""GraphQL execution for the Shopify sandbox.

Documents are validated against the real schema, then executed by
graphql-core with one field resolver: it reads dict keys, calls the few
computed fields registered in COMPUTED, and turns plain lists into
connections (edges/nodes/pageInfo with cursors) wherever the schema says
the field is a connection. So only root fields and links need code.
"""

import base64
import datetime
import functools
import json
import re

from graphql import GraphQLError, GraphQLString, TypeInfo, TypeInfoVisitor, Visitor, execute, parse, validate, visit
from graphql.error import GraphQLSyntaxError
from graphql.language import OperationType
from graphql.utilities import value_from_ast

from .shopify_cost import SINGLE_QUERY_MAX, CostCalculator, is_connection
from .shopify_schema import API_VERSION, get_schema
from .shopify_search import matches, parse_query
from .shopify_store import QUANTITY_NAMES, SHOP_TIMEZONE, gid_kind, gid_number

MAX_PAGE = 250
MAX_INPUT_ARRAY = 250
COMPUTED = {}


def computed(type_name, *fields):
    def register(function):
        for field in fields:
            COMPUTED[(type_name, field)] = function
        return function

    return register


class Context:
    def __init__(self, sandbox, bulk=False):
        self.sandbox = sandbox
        self.store = sandbox.store
        self.bulk = bulk


# -- generic resolution --------------------------------------------------------
def field_resolver(source, info, **args):
    function = COMPUTED.get((info.parent_type.name, info.field_name))
    if function is None and info.parent_type.name == "Mutation":
        # Shopify would act on it; answering null here would let a connector believe it did.
        raise GraphQLError(
            f"The Shopify sandbox does not emulate the mutation {info.field_name}: nothing was changed.",
            extensions={"code": "NOT_EMULATED"},
        )
    if function is not None:
        value = function(info.context, source, args, info)
    elif isinstance(source, dict):
        value = source.get(info.field_name)
        if value is None and info.field_name == "legacyResourceId" and source.get("id"):
            value = str(gid_number(source["id"]))
    else:
        value = getattr(source, info.field_name, None)
    if isinstance(value, list) and is_connection(info.return_type):
        return paginate(info.context, value, args)
    if isinstance(value, list) and args.get("first") is not None:
        return value[: args["first"]]
    return value


def type_resolver(value, info, abstract_type):
    return value.get("__typename") if isinstance(value, dict) else None


def _cursor(item, index):
    key = item.get("id") if isinstance(item, dict) and item.get("id") else index
    return base64.b64encode(
        json.dumps({"last_id": gid_number(key) if isinstance(key, str) else key, "last_value": str(key)}).encode()
    ).decode()


def paginate(context, items, args):
    first, last = args.get("first"), args.get("last")
    if not context.bulk:
        if first is None and last is None:
            raise GraphQLError("you must provide one of first or last")
        for name, size in (("first", first), ("last", last)):
            if size is not None and (size < 0 or size > MAX_PAGE):
                raise GraphQLError("The %s argument must be between 0 and %d." % (name, MAX_PAGE))
    items = list(reversed(items)) if args.get("reverse") else list(items)
    cursors = [_cursor(item, index) for index, item in enumerate(items)]
    start, end = 0, len(items)
    if args.get("after"):
        start = _cursor_index(cursors, args["after"]) + 1
    if args.get("before"):
        end = _cursor_index(cursors, args["before"])
    window = list(range(start, max(start, end)))
    has_next, has_previous = end < len(items), start > 0
    if first is not None and not context.bulk:
        has_next = has_next or len(window) > first
        window = window[:first]
    if last is not None and not context.bulk:
        has_previous = has_previous or len(window) > last
        window = window[-last:] if last else []
    edges = [{"cursor": cursors[i], "node": items[i]} for i in window]
    return {
        "edges": edges,
        "nodes": [edge["node"] for edge in edges],
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def _cursor_index(cursors, cursor):
    try:
        return cursors.index(cursor)
    except ValueError:
        raise GraphQLError("Invalid cursor for current pagination sort.") from None


def _sorted(records, args, keys):
    key = keys.get(args.get("sortKey") or "ID", keys["ID"])
    return sorted(records, key=key)


def _search(records, args, fields, text_fields):
    terms = parse_query(args.get("query"))
    return [record for record in records if matches(record, terms, fields, text_fields)]


_BY_ID = {"ID": lambda r: gid_number(r["id"])}
_STAMPS = {
    "UPDATED_AT": lambda r: (r["updatedAt"], gid_number(r["id"])),
    "CREATED_AT": lambda r: (r["createdAt"], gid_number(r["id"])),
}


def _common_filters():
    return {
        "id": lambda r: gid_number(r["id"]),
        "updated_at": lambda r: r.get("updatedAt"),
        "created_at": lambda r: r.get("createdAt"),
    }


# -- root queries -----------------------------------------------------------------
@computed("QueryRoot", "node")
def _node(context, source, args, info):
    return context.store.node(args["id"])


@computed("QueryRoot", "nodes")
def _nodes(context, source, args, info):
    return [context.store.node(value) for value in args["ids"]]


@computed(
    "QueryRoot",
    "product",
    "productVariant",
    "inventoryItem",
    "inventoryLevel",
    "order",
    "fulfillmentOrder",
    "customer",
    "bulkOperation",
)
def _by_id(context, source, args, info):
    record = context.store.node(args["id"])
    wanted = info.return_type.name if hasattr(info.return_type, "name") else None
    return record if record and record.get("__typename") == wanted else None


@computed("QueryRoot", "location")
def _location(context, source, args, info):
    store = context.store
    return store.locations.get(args["id"]) if args.get("id") else store.locations.get(store._primary_location())


@computed("QueryRoot", "products")
def _products(context, source, args, info):
    store = context.store
    fields = dict(
        _common_filters(),
        title=lambda r: r.get("title"),
        handle=lambda r: r.get("handle"),
        status=lambda r: r.get("status"),
        vendor=lambda r: r.get("vendor"),
        product_type=lambda r: r.get("productType"),
        tag=lambda r: r.get("tags"),
        sku=lambda r: [store.variants[v].get("sku") for v in r["_variant_ids"]],
        barcode=lambda r: [store.variants[v].get("barcode") for v in r["_variant_ids"]],
    )
    records = _search(store.products.values(), args, fields, [lambda r: r.get("title")])
    return _sorted(records, args, dict(_BY_ID, TITLE=lambda r: r["title"].lower(), **_STAMPS))


@computed("QueryRoot", "productVariants")
def _product_variants(context, source, args, info):
    fields = dict(
        _common_filters(),
        sku=lambda r: r.get("sku"),
        barcode=lambda r: r.get("barcode"),
        product_id=lambda r: gid_number(r["_product_id"]),
    )
    records = _search(context.store.variants.values(), args, fields, [lambda r: r.get("sku"), lambda r: r.get("title")])
    return _sorted(records, args, dict(_BY_ID, SKU=lambda r: r.get("sku") or "", **_STAMPS))


@computed("QueryRoot", "inventoryItems")
def _inventory_items(context, source, args, info):
    fields = dict(_common_filters(), sku=lambda r: r.get("sku"))
    return _sorted(_search(context.store.inventory_items.values(), args, fields, []), args, _BY_ID)


@computed("QueryRoot", "locations")
def _locations(context, source, args, info):
    fields = dict(_common_filters(), name=lambda r: r.get("name"), active=lambda r: str(r["isActive"]).lower())
    records = _search(context.store.locations.values(), args, fields, [lambda r: r.get("name")])
    return _sorted(records, args, dict(_BY_ID, NAME=lambda r: r["name"]))


def _order_filters(store):
    def status(record):
        return "cancelled" if record["cancelledAt"] else ("closed" if record["closed"] else "open")

    return dict(
        _common_filters(),
        name=lambda r: r["name"],
        email=lambda r: r.get("email"),
        status=status,
        financial_status=lambda r: r["displayFinancialStatus"].lower(),
        fulfillment_status=lambda r: r["displayFulfillmentStatus"].lower(),
        customer_id=lambda r: gid_number(r["_customer_id"]) if r["_customer_id"] else None,
        processed_at=lambda r: r["processedAt"],
    )


@computed("QueryRoot", "orders")
def _orders(context, source, args, info):
    records = context.store.orders.values()
    if not context.sandbox.auth.has("read_all_orders"):
        # "By default, apps can access only the last 60 days of orders" (shopify.dev/docs/api/usage/
        # access-scopes, read_all_orders). Whether order(id:) also hides older ones is not said: not done here.
        since = datetime.datetime.fromtimestamp(context.sandbox.clock() - 60 * 86400, datetime.timezone.utc)
        records = [order for order in records if order["createdAt"] >= since.strftime("%Y-%m-%dT%H:%M:%SZ")]
    records = _search(
        records,
        args,
        _order_filters(context.store),
        [lambda r: r["name"], lambda r: r.get("email")],
    )
    return _sorted(
        records,
        args,
        dict(
            _BY_ID,
            PROCESSED_AT=lambda r: (r["processedAt"], gid_number(r["id"])),
            ORDER_NUMBER=lambda r: r["number"],
            **_STAMPS,
        ),
    )


@computed("QueryRoot", "fulfillmentOrders")
def _fulfillment_orders(context, source, args, info):
    records = [
        r
        for r in context.store.fulfillment_orders.values()
        if args.get("includeClosed") or r["status"] not in ("CLOSED", "CANCELLED")
    ]
    fields = dict(
        _common_filters(),
        status=lambda r: r["status"].lower(),
        assigned_location_id=lambda r: gid_number(r["_location_id"]),
    )
    return _sorted(_search(records, args, fields, []), args, _BY_ID)


@computed("QueryRoot", "customers")
def _customers(context, source, args, info):
    fields = dict(
        _common_filters(),
        email=lambda r: r.get("email"),
        phone=lambda r: r.get("phone"),
        first_name=lambda r: r.get("firstName"),
        last_name=lambda r: r.get("lastName"),
        tag=lambda r: r.get("tags"),
    )
    records = _search(
        context.store.customers.values(), args, fields, [lambda r: r.get("displayName"), lambda r: r.get("email")]
    )
    return _sorted(records, args, dict(_BY_ID, NAME=lambda r: r.get("displayName") or "", **_STAMPS))


@computed("QueryRoot", "webhookSubscriptions")
def _webhook_subscriptions(context, source, args, info):
    records = list(context.store.webhook_subscriptions.values())
    if args.get("topics"):
        records = [r for r in records if r["topic"] in args["topics"]]
    return _sorted(records, args, dict(_BY_ID, CREATED_AT=lambda r: r["createdAt"]))


@computed("QueryRoot", "currentBulkOperation")
def _current_bulk(context, source, args, info):
    wanted = args.get("type") or "QUERY"
    operations = [b for b in context.store.bulk_operations.values() if b["type"] == wanted]
    return operations[-1] if operations else None


@computed("QueryRoot", "files")
def _files(context, source, args, info):
    return _sorted(list(context.store.media.values()), args, dict(_BY_ID, **_STAMPS))


@computed("QueryRoot", "shop")
def _shop(context, source, args, info):
    sandbox = context.sandbox
    return {
        "__typename": "Shop",
        "id": "gid://shopify/Shop/1",
        "name": "Sandbox Shop",
        "myshopifyDomain": sandbox.shop_domain,
        "email": "owner@example.com",
        "contactEmail": "owner@example.com",
        "currencyCode": "EUR",
        "ianaTimezone": SHOP_TIMEZONE,
        "createdAt": "2024-01-01T00:00:00Z",
        "url": "https://" + sandbox.shop_domain,
        "plan": {
            "displayName": "Basic",
            "partnerDevelopment": False,
            "shopifyPlus": False,
            "publicDisplayName": "Basic",
        },
        "primaryDomain": {
            "id": "gid://shopify/Domain/1",
            "host": sandbox.shop_domain,
            "url": "https://" + sandbox.shop_domain,
            "sslEnabled": True,
        },
    }


# -- links between records -------------------------------------------------------
@computed("Product", "variants")
def _product_variants_link(context, source, args, info):
    return [context.store.variants[v] for v in source["_variant_ids"]]


@computed("Product", "media")
def _product_media(context, source, args, info):
    return [context.store.media[m] for m in source["_media_ids"]]


@computed("Product", "featuredMedia")
def _featured_media(context, source, args, info):
    return context.store.media[source["_media_ids"][0]] if source["_media_ids"] else None


@computed("Product", "featuredImage")
def _featured_image(context, source, args, info):
    media = _featured_media(context, source, args, info)
    return media and media.get("image")


@computed("Product", "totalInventory")
def _total_inventory(context, source, args, info):
    store = context.store
    return sum(store.available(store.variants[v]["_inventory_item_id"]) for v in source["_variant_ids"])


@computed("Product", "totalVariants")
def _total_variants(context, source, args, info):
    return len(source["_variant_ids"])


@computed("Product", "variantsCount", "mediaCount")
def _count(context, source, args, info):
    key = "_variant_ids" if info.field_name == "variantsCount" else "_media_ids"
    return {"count": len(source[key]), "precision": "EXACT"}


@computed("Product", "hasOnlyDefaultVariant")
def _only_default(context, source, args, info):
    return len(source["_variant_ids"]) == 1 and [o["name"] for o in source["options"]] == ["Title"]


@computed("Product", "hasOutOfStockVariants")
def _out_of_stock(context, source, args, info):
    store = context.store
    return any(store.available(store.variants[v]["_inventory_item_id"]) <= 0 for v in source["_variant_ids"])


@computed("Product", "description")
def _description(context, source, args, info):
    text = re.sub(r"<[^>]+>", "", source.get("descriptionHtml") or "")
    return text[: args["truncateAt"]] if args.get("truncateAt") else text


@computed("Product", "seo")
def _seo(context, source, args, info):
    return {"title": source.get("title"), "description": None}


@computed("Product", "onlineStoreUrl")
def _online_store_url(context, source, args, info):
    return (
        "https://%s/products/%s" % (context.sandbox.shop_domain, source["handle"])
        if source["status"] == "ACTIVE"
        else None
    )


@computed("Product", "priceRangeV2")
def _price_range(context, source, args, info):
    prices = [float(context.store.variants[v]["price"]) for v in source["_variant_ids"]] or [0.0]
    return {
        "minVariantPrice": {"amount": "%.2f" % min(prices), "currencyCode": "EUR"},
        "maxVariantPrice": {"amount": "%.2f" % max(prices), "currencyCode": "EUR"},
    }


@computed("ProductVariant", "product")
def _variant_product(context, source, args, info):
    return context.store.products.get(source["_product_id"])


@computed("ProductVariant", "inventoryItem")
def _variant_item(context, source, args, info):
    return context.store.inventory_items.get(source["_inventory_item_id"])


@computed("ProductVariant", "inventoryQuantity")
def _variant_quantity(context, source, args, info):
    return context.store.available(source["_inventory_item_id"])


@computed("ProductVariant", "media")
def _variant_media(context, source, args, info):
    return []


@computed("InventoryItem", "variant")
def _item_variant(context, source, args, info):
    return context.store.variants.get(source["_variant_id"])


@computed("InventoryItem", "inventoryLevels")
def _item_levels(context, source, args, info):
    return [level for (item, _), level in context.store.levels.items() if item == source["id"]]


@computed("InventoryItem", "inventoryLevel")
def _item_level(context, source, args, info):
    return context.store.levels.get((source["id"], args["locationId"]))


@computed("InventoryItem", "locationsCount")
def _item_locations(context, source, args, info):
    return {"count": len(_item_levels(context, source, args, info)), "precision": "EXACT"}


@computed("Location", "inventoryLevels")
def _location_levels(context, source, args, info):
    return [level for (_, location), level in context.store.levels.items() if location == source["id"]]


@computed("Location", "inventoryLevel")
def _location_level(context, source, args, info):
    return context.store.levels.get((args["inventoryItemId"], source["id"]))


@computed("InventoryLevel", "item")
@computed("InventoryChange", "item")
def _level_item(context, source, args, info):
    return context.store.inventory_items.get(source["_item_id"])


@computed("InventoryLevel", "location")
@computed("InventoryChange", "location")
def _level_location(context, source, args, info):
    return context.store.locations.get(source["_location_id"])


@computed("InventoryLevel", "quantities")
def _level_quantities(context, source, args, info):
    return [
        {
            "id": "%s&name=%s" % (source["id"], name),
            "name": name,
            "quantity": source["_quantities"].get(name, 0),
            "updatedAt": source["updatedAt"],
        }
        for name in args["names"]
        if name in QUANTITY_NAMES
    ]


@computed("InventoryAdjustmentGroup", "changes")
def _group_changes(context, source, args, info):
    changes = source["changes"]
    if args.get("quantityNames"):
        changes = [c for c in changes if c["name"] in args["quantityNames"]]
    return changes


@computed("Order", "customer")
def _order_customer(context, source, args, info):
    return context.store.customers.get(source["_customer_id"]) if source["_customer_id"] else None


@computed("Order", "fulfillmentOrders")
def _order_fulfillment_orders(context, source, args, info):
    # "An API client will only receive a subset of the fulfillment orders which belong to an order if
    # they don't have the necessary access scopes to view all of the fulfillment orders" (FulfillmentOrder,
    # "Retrieving fulfillment orders"): merchant-managed ones need read_merchant_managed_fulfillment_orders,
    # those assigned to a fulfillment service's location read_third_party_fulfillment_orders
    # (shopify.dev/docs/api/usage/access-scopes).
    store, auth = context.store, context.sandbox.auth
    visible = []
    for fo_id in source["_fulfillment_order_ids"]:
        fulfillment_order = store.fulfillment_orders[fo_id]
        third_party = store.locations.get(fulfillment_order["_location_id"], {}).get("isFulfillmentService")
        needed = "read_third_party_fulfillment_orders" if third_party else "read_merchant_managed_fulfillment_orders"
        if auth.has(needed):
            visible.append(fulfillment_order)
    return visible


@computed("QueryRoot", "currentAppInstallation")
def _current_app_installation(context, source, args, info):
    return {"__typename": "AppInstallation", "id": "gid://shopify/AppInstallation/1",
            "accessScopes": context.sandbox.auth.access_scopes(), "launchUrl": context.sandbox.url or "",
            "uninstallUrl": None}


@computed("Order", "subtotalLineItemsQuantity", "currentSubtotalLineItemsQuantity")
def _order_quantity(context, source, args, info):
    key = "quantity" if info.field_name == "subtotalLineItemsQuantity" else "currentQuantity"
    return sum(line[key] for line in source["lineItems"])


@computed("LineItem", "variant")
def _line_variant(context, source, args, info):
    return context.store.variants.get(source["_variant_id"])


@computed("LineItem", "product")
def _line_product(context, source, args, info):
    return context.store.products.get(source["_product_id"])


@computed("FulfillmentOrder", "order")
@computed("Fulfillment", "order")
@computed("Refund", "order")
def _order_link(context, source, args, info):
    return context.store.orders.get(source["_order_id"])


@computed("FulfillmentOrder", "assignedLocation")
def _assigned_location(context, source, args, info):
    location = context.store.locations[source["_location_id"]]
    address = location["address"]
    return {
        "location": location,
        "name": location["name"],
        "address1": address["address1"],
        "city": address["city"],
        "countryCode": address["countryCode"],
        "zip": address["zip"],
    }


@computed("FulfillmentOrder", "fulfillments")
def _fo_fulfillments(context, source, args, info):
    return [context.store.fulfillments[f] for f in source["_fulfillment_ids"]]


@computed("FulfillmentOrderLineItem", "lineItem")
@computed("FulfillmentLineItem", "lineItem")
@computed("RefundLineItem", "lineItem")
def _fo_line_item(context, source, args, info):
    for order in context.store.orders.values():
        for line in order["lineItems"]:
            if line["id"] == source["_line_item_id"]:
                return line
    return None


@computed("FulfillmentOrderLineItem", "variant")
def _fo_line_variant(context, source, args, info):
    return context.store.variants.get(source["_variant_id"])


@computed("FulfillmentOrderLineItem", "inventoryItemId")
def _fo_line_item_id(context, source, args, info):
    variant = context.store.variants.get(source["_variant_id"])
    return variant and variant["_inventory_item_id"]


@computed("Fulfillment", "location")
def _fulfillment_location(context, source, args, info):
    return context.store.locations.get(source["_location_id"])


@computed("Customer", "orders")
def _customer_orders(context, source, args, info):
    return [o for o in context.store.orders.values() if o["_customer_id"] == source["id"]]


@computed("Customer", "numberOfOrders")
def _customer_order_count(context, source, args, info):
    return str(len(_customer_orders(context, source, args, info)))


@computed("Customer", "amountSpent")
def _customer_spent(context, source, args, info):
    total = sum(float(o["netPaymentSet"]["shopMoney"]["amount"]) for o in _customer_orders(context, source, args, info))
    return {"amount": "%.2f" % total, "currencyCode": "EUR"}


@computed("Customer", "lastOrder")
def _customer_last_order(context, source, args, info):
    orders = _customer_orders(context, source, args, info)
    return orders[-1] if orders else None


@computed("Customer", "defaultEmailAddress")
def _customer_email(context, source, args, info):
    if not source.get("email"):
        return None
    return {
        "emailAddress": source["email"],
        "marketingState": "NOT_SUBSCRIBED",
        "validFormat": True,
        "marketingOptInLevel": None,
        "marketingUpdatedAt": None,
        "marketingUnsubscribeUrl": "https://example.com/u",
        "openTrackingLevel": "UNKNOWN",
        "openTrackingUrl": "https://example.com/o",
    }


@computed("Customer", "defaultPhoneNumber")
def _customer_phone(context, source, args, info):
    if not source.get("phone"):
        return None
    return {"phoneNumber": source["phone"], "marketingState": "NOT_SUBSCRIBED", "marketingOptInLevel": None,
            "marketingUpdatedAt": None, "marketingCollectedFrom": None}


@computed("Customer", "addressesV2")
def _customer_addresses(context, source, args, info):
    return source.get("addresses") or []


# -- the request pipeline ------------------------------------------------------------
_VALIDATION_CODES = [
    ("Cannot query field", "undefinedField"),
    ("Unknown argument", "argumentNotAccepted"),
    ("is required, but it was not provided", "missingRequiredArguments"),
    ("Unknown type", "undefinedType"),
    ("must have a selection of subfields", "selectionMismatch"),
    ("must not have a selection", "selectionMismatch"),
    ("Unknown directive", "undefinedDirective"),
    ("is never used", "variableNotUsed"),
    ("is not defined", "undefinedVariable"),
    ("cannot represent", "argumentLiteralsIncompatible"),
    ("Expected value of type", "argumentLiteralsIncompatible"),
    ("Unknown fragment", "undefinedFragment"),
]


def _validation_code(message):
    for needle, code in _VALIDATION_CODES:
        if needle in message:
            return code
    return "GRAPHQL_VALIDATION_FAILED"


def _format(error, code=None):
    formatted = dict(error.formatted)
    if code:
        formatted["extensions"] = dict(formatted.get("extensions") or {}, code=code)
    if not formatted.get("locations"):
        formatted.pop("locations", None)
    if formatted.get("path") is None:
        formatted.pop("path", None)
    return formatted


class _DeprecatedFields(Visitor):
    """Collects ``Type.field`` for each deprecated field a document selects."""

    def __init__(self, type_info):
        super().__init__()
        self.type_info = type_info
        self.found = []

    def enter_field(self, node, *_args):
        field, parent = self.type_info.get_field_def(), self.type_info.get_parent_type()
        if field is not None and field.deprecation_reason and parent is not None:
            name = "%s.%s" % (parent.name, node.name.value)
            if name not in self.found:
                self.found.append(name)


@functools.lru_cache(maxsize=256)
def deprecated_fields(query):
    """The deprecated fields ``query`` uses, as Shopify lists them in ``X-Shopify-API-Deprecated-Reason``
    since 2025-04 (shopify.dev/changelog, "X-Shopify-API-Deprecated-Reason HTTP header will return actual
    GraphQL deprecations"): "Shop.products, Shop.productVariants"."""
    try:
        document = parse(query)
    except GraphQLSyntaxError:
        return ()
    type_info = TypeInfo(get_schema())
    collector = _DeprecatedFields(type_info)
    visit(document, TypeInfoVisitor(type_info, collector))
    return tuple(collector.found)


@functools.lru_cache(maxsize=256)
def checked_document(query):
    """``(document, validation errors)`` of a query text; raises ``GraphQLSyntaxError``.

    A client sends the same few documents again and again with other variables, so the
    parse and the validation against the schema (~16 ms for an order) are done once per
    text, as GraphQL servers do; executing never changes a document.
    """
    document = parse(query)
    return document, tuple(validate(get_schema(), document))


def run(sandbox, query, variables=None, operation_name=None, record=None):  # noqa: PLR0911  one exit per stage
    """One GraphQL request -> response payload (always HTTP 200, like Shopify)."""
    if not isinstance(query, str) or not query.strip():
        return {"errors": [{"message": "No query string was present", "extensions": {"code": "BAD_REQUEST"}}]}
    schema = get_schema()
    try:
        document, errors = checked_document(query)
    except GraphQLSyntaxError as error:
        return {"errors": [_format(error, "PARSE_ERROR")]}
    if errors:
        return {"errors": [_format(e, _validation_code(e.message)) for e in errors]}
    calculator = CostCalculator(schema, document, variables, operation_name)
    operation = calculator.operation
    if record is not None:
        record["deprecated"] = deprecated_fields(query)
        record["operation_name"] = operation.name.value if operation.name else None
        record["root_fields"] = [f.name.value for f in calculator._fields(operation.selection_set)]
        record["write"] = operation.operation == OperationType.MUTATION
    denied = _denied_fields(sandbox, record) if record is not None else []
    if denied:
        return {"data": None, "errors": denied}
    requested = calculator.requested()
    if requested > SINGLE_QUERY_MAX:
        return {
            "errors": [
                {
                    "message": "Query cost is %d, which exceeds the single query max cost limit (%d)."
                    % (requested, SINGLE_QUERY_MAX),
                    "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": SINGLE_QUERY_MAX},
                }
            ],
            "extensions": {"cost": sandbox.cost_extension(requested, None)},
        }
    oversized = _oversized_input(variables)
    if oversized:
        return {
            "errors": [
                {
                    "message": "The input array size of %d is greater than the maximum allowed of %d."
                    % (oversized, MAX_INPUT_ARRAY),
                    "extensions": {"code": "MAX_INPUT_SIZE_EXCEEDED"},
                }
            ]
        }
    with sandbox.lock:
        if not sandbox.bucket.try_reserve(requested):
            return sandbox.throttled_payload(requested)
        result = execute(
            schema,
            document,
            root_value={},
            context_value=Context(sandbox),
            variable_values=variables,
            operation_name=operation_name,
            field_resolver=field_resolver,
            type_resolver=type_resolver,
        )
        if result.data is None and result.errors and not result.errors[0].path:
            return {"errors": [_format(e, "INVALID_VARIABLE") for e in result.errors]}
        actual = requested if record and record.get("write") else calculator.actual(result.data)
        sandbox.bucket.debit(actual)
        payload = {"data": result.data}
        if result.errors:
            payload["errors"] = [_format(e, (e.extensions or {}).get("code")) for e in result.errors]
        payload["extensions"] = {"cost": sandbox.cost_extension(requested, actual)}
    return payload


# The scope each root field the connector and the tests use needs (shopify.dev/docs/api/usage/access-scopes
# and each field's "Requires ... access scope" line in the Admin GraphQL reference).
ROOT_FIELD_SCOPES = {
    "locations": "read_locations", "location": "read_locations",
    "products": "read_products", "product": "read_products", "productVariants": "read_products",
    "productSet": "write_products", "productCreateMedia": "write_products",
    "productVariantsBulkUpdate": "write_products",
    "inventoryItems": "read_inventory", "inventorySetQuantities": "write_inventory",
    "inventoryActivate": "write_inventory",
    "orders": "read_orders", "order": "read_orders",
    "customers": "read_customers", "customer": "read_customers",
    "fulfillmentOrders": "read_merchant_managed_fulfillment_orders",
    "fulfillmentCreate": "write_merchant_managed_fulfillment_orders",
    "fulfillmentOrderHold": "write_merchant_managed_fulfillment_orders",
    "fulfillmentOrderReleaseHold": "write_merchant_managed_fulfillment_orders",
}


def _denied_fields(sandbox, record):
    """Shopify's ACCESS_DENIED errors for the root fields outside the app's granted scopes."""
    errors = []
    for field in record.get("root_fields") or []:
        scope = ROOT_FIELD_SCOPES.get(field)
        if scope and not sandbox.auth.has(scope):
            errors.append({
                "message": "Access denied for %s field. Required access: `%s` access scope." % (field, scope),
                "path": [field],
                "extensions": {"code": "ACCESS_DENIED", "documentation": "https://shopify.dev/api/usage/access-scopes",
                               "requiredAccess": "`%s` access scope." % scope},
            })
    return errors


def _oversized_input(value):
    if isinstance(value, list):
        if len(value) > MAX_INPUT_ARRAY:
            return len(value)
        return next((n for n in map(_oversized_input, value) if n), 0)
    if isinstance(value, dict):
        return next((n for n in map(_oversized_input, value.values()) if n), 0)
    return 0


def run_bulk_query(sandbox, query):
    """Execute a bulk query without page limits; (data, errors)."""
    schema = get_schema()
    try:
        document, errors = checked_document(query)
    except GraphQLSyntaxError as error:
        return None, [error.message]
    if errors:
        return None, [e.message for e in errors]
    result = execute(
        schema,
        document,
        root_value={},
        context_value=Context(sandbox, bulk=True),
        field_resolver=field_resolver,
        type_resolver=type_resolver,
    )
    if result.errors:
        return None, [e.message for e in result.errors]
    return result.data, []


def bulk_jsonl(data):
    """Flatten a bulk result to JSONL: nested connection nodes become their
    own lines carrying `__parentId`, as Shopify writes them."""
    lines = []

    def nodes_of(connection):
        if connection.get("nodes") is not None:
            return connection["nodes"]
        return [edge.get("node") for edge in connection.get("edges") or []]

    def is_connection_value(value):
        return isinstance(value, dict) and (
            isinstance(value.get("edges"), list) or isinstance(value.get("nodes"), list)
        )

    def emit(node, parent_id):
        row, children = {}, []
        for key, value in node.items():
            if is_connection_value(value):
                children.append(value)
            else:
                row[key] = value
        if parent_id:
            row["__parentId"] = parent_id
        lines.append(row)
        for connection in children:
            for child in nodes_of(connection):
                emit(child, node.get("id"))

    for value in (data or {}).values():
        if is_connection_value(value):
            for node in nodes_of(value):
                emit(node, None)
    return "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)


def idempotency_key(info):
    """Value of `@idempotent(key:)` on the current field, or None."""
    for directive in info.field_nodes[0].directives or []:
        if directive.name.value == "idempotent":
            for argument in directive.arguments:
                if argument.name.value == "key":
                    return value_from_ast(argument.value, GraphQLString, info.variable_values)
    return None


def api_version():
    return API_VERSION


def gid_of_kind(value, kind):
    return isinstance(value, str) and gid_kind(value) == kind
