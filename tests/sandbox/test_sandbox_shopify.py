"""Contract tests of the Shopify sandbox over real HTTP: every operation it
serves, with valid and invalid documents and inputs."""

import json

import requests

from sandbox import shopify_documents as docs


def first_product(shop):
    return next(iter(shop.store.products.values()))


def first_level(shop):
    (item_id, location_id), level = next(iter(shop.store.levels.items()))
    return item_id, location_id, level


# -- transport and errors -------------------------------------------------------------
def test_wrong_token_is_401_with_shopify_body(gql):
    response = gql.raw(docs.SHOP, token="shpat_wrong")
    assert response.status_code == 401
    assert response.json() == {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}


def test_unsupported_version_falls_forward_and_unknown_paths_are_404(shop):
    """shopify.dev/docs/api/usage/versioning: a request to a version no longer supported is answered
    by the oldest supported one, and X-Shopify-API-Version says which answered."""
    headers = {"X-Shopify-Access-Token": shop.access_token}
    old = requests.post(shop.url + "/admin/api/2024-01/graphql.json", json={"query": docs.SHOP}, headers=headers)
    assert old.status_code == 200
    assert old.headers["X-Shopify-API-Version"] == "2026-04"
    for path in ("/admin/api/2099-01/graphql.json", "/admin/api/graphql.json", "/admin/products.json"):
        assert requests.post(shop.url + path, json={"query": docs.SHOP}, headers=headers).status_code == 404


def test_deprecated_fields_are_named_in_a_header(gql):
    """shopify.dev/changelog: since 2025-04, X-Shopify-API-Deprecated-Reason lists the deprecated
    fields a request used ("Shop.products, Shop.productVariants")."""
    response = gql.raw("query { customers(first: 1) { nodes { email defaultEmailAddress { emailAddress } } } }")
    assert response.headers["X-Shopify-API-Deprecated-Reason"] == "Customer.email"
    assert "X-Shopify-API-Deprecated-Reason" not in gql.raw(docs.SHOP).headers


def test_malformed_json_body_is_400(shop):
    response = requests.post(
        shop.graphql_url,
        data="{not json",
        headers={"X-Shopify-Access-Token": shop.access_token, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json() == {"errors": {"query": "Required parameter missing or invalid"}}


def test_application_graphql_body_is_accepted(shop):
    response = requests.post(
        shop.graphql_url,
        data=docs.SHOP,
        headers={"X-Shopify-Access-Token": shop.access_token, "Content-Type": "application/graphql"},
    )
    assert response.json()["data"]["shop"]["myshopifyDomain"] == shop.shop_domain


def test_unknown_field_is_a_validation_error(gql):
    payload = gql("{ shop { name notAField } }")
    error = payload["errors"][0]
    assert "data" not in payload
    assert error["extensions"]["code"] == "undefinedField"
    assert error["locations"] == [{"line": 1, "column": 15}]
    assert "notAField" in error["message"]


def test_a_mutation_the_sandbox_does_not_emulate_is_refused_loudly(gql):
    """inventoryActivate exists in Admin 2026-04 (so the document validates) but is not emulated: a null
    answer would let a connector believe Shopify acted."""
    payload = gql("""mutation { inventoryActivate(inventoryItemId: "gid://shopify/InventoryItem/1",
                                                 locationId: "gid://shopify/Location/1") {
                      userErrors { field message } } }""")
    assert payload["errors"][0]["extensions"]["code"] == "NOT_EMULATED"
    assert "inventoryActivate" in payload["errors"][0]["message"]
    assert payload["data"]["inventoryActivate"] is None


def test_syntax_error_has_locations(gql):
    error = gql("{ shop { name ")["errors"][0]
    assert error["extensions"]["code"] == "PARSE_ERROR"
    assert error["locations"][0]["line"] == 1


def test_missing_required_argument(gql):
    error = gql("{ product { id } }")["errors"][0]
    assert error["extensions"]["code"] == "missingRequiredArguments"


def test_wrong_variable_type_is_rejected(gql):
    payload = gql(docs.PRODUCTS_PAGE, {"first": "ten"})
    assert payload["errors"][0]["extensions"]["code"] == "INVALID_VARIABLE"


def test_connection_without_first_or_last_errors(gql):
    payload = gql("{ products { nodes { id } } }")
    assert payload["errors"][0]["message"] == "you must provide one of first or last"
    assert payload["data"] is None


def test_page_size_above_250_errors(gql):
    payload = gql("{ products(first: 251) { nodes { id } } }")
    assert "between 0 and 250" in payload["errors"][0]["message"]


def test_input_arrays_over_250_are_refused(gql, shop):
    product = first_product(shop)
    variants = [{"id": product["_variant_ids"][0], "price": "1.00"}] * 251
    payload = gql(docs.VARIANTS_BULK_UPDATE, {"productId": product["id"], "variants": variants})
    assert payload["errors"][0]["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"


# -- products -----------------------------------------------------------------------------
def test_products_cursor_pagination_walks_every_product(gql, shop):
    seen, after = [], None
    while True:
        page = gql.data(docs.PRODUCTS_PAGE, {"first": 7, "after": after})["products"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(shop.store.products, key=lambda g: int(g.rsplit("/", 1)[1]))


def test_products_invalid_cursor(gql):
    payload = gql(docs.PRODUCTS_PAGE, {"first": 5, "after": "bogus"})
    assert payload["errors"][0]["message"] == "Invalid cursor for current pagination sort."


def test_products_query_filters(gql, shop):
    product = first_product(shop)
    sku = shop.store.variants[product["_variant_ids"][0]]["sku"]
    by_sku = gql.data(docs.PRODUCTS_PAGE, {"first": 10, "query": "sku:%s" % sku})["products"]["edges"]
    assert [e["node"]["id"] for e in by_sku] == [product["id"]]
    shop.update_product(product["id"], status="DRAFT")
    drafts = gql.data(docs.PRODUCTS_PAGE, {"first": 20, "query": "status:draft"})["products"]["edges"]
    assert [e["node"]["id"] for e in drafts] == [product["id"]]
    number = int(product["id"].rsplit("/", 1)[1])
    newer = gql.data(docs.PRODUCTS_PAGE, {"first": 20, "query": "id:>%d" % (number + 27)})["products"]["edges"]
    assert len(newer) == 2


def test_product_by_id_and_unknown_id(gql, shop):
    product = first_product(shop)
    data = gql.data(docs.PRODUCT_BY_ID, {"id": product["id"]})["product"]
    assert data["title"] == product["title"]
    assert data["variantsCount"]["count"] == len(product["_variant_ids"])
    assert gql.data(docs.PRODUCT_BY_ID, {"id": "gid://shopify/Product/999999"})["product"] is None


def test_product_set_creates_product_with_options_variants_and_stock(gql, shop):
    location = next(iter(shop.store.locations))
    payload = gql.data(
        docs.PRODUCT_SET,
        {
            "input": {
                "title": "Sandbox Tee",
                "productOptions": [{"name": "Size", "values": [{"name": "S"}, {"name": "M"}]}],
                "variants": [
                    {
                        "optionValues": [{"optionName": "Size", "name": "S"}],
                        "price": "10.00",
                        "sku": "TEE-S",
                        "inventoryQuantities": [{"locationId": location, "name": "available", "quantity": 5}],
                    },
                    {"optionValues": [{"optionName": "Size", "name": "M"}], "price": "11.00", "sku": "TEE-M"},
                ],
            }
        },
    )
    result = payload["productSet"]
    assert result["userErrors"] == []
    product = result["product"]
    assert product["handle"] == "sandbox-tee"
    assert [v["sku"] for v in product["variants"]["nodes"]] == ["TEE-S", "TEE-M"]
    assert product["options"] == [{"name": "Size", "values": ["S", "M"]}]
    item = product["variants"]["nodes"][0]["inventoryItem"]["id"]
    assert shop.store.levels[(item, location)]["_quantities"]["available"] == 5


def test_product_set_updates_by_identifier_and_removes_missing_variants(gql, shop):
    product = first_product(shop)
    keep = shop.store.variants[product["_variant_ids"][0]]
    option_values = [{"optionName": o["name"], "name": o["value"]} for o in keep["selectedOptions"]]
    payload = gql.data(
        docs.PRODUCT_SET,
        {
            "identifier": {"id": product["id"]},
            "input": {
                "title": "Renamed",
                "variants": [{"id": keep["id"], "optionValues": option_values, "price": "1.50"}],
            },
        },
    )
    assert payload["productSet"]["userErrors"] == []
    assert product["title"] == "Renamed"
    assert product["_variant_ids"] == [keep["id"]]
    assert keep["price"] == "1.50"


def test_product_set_user_errors(gql, shop):
    missing = gql.data(docs.PRODUCT_SET, {"identifier": {"id": "gid://shopify/Product/1"}, "input": {"title": "x"}})
    assert missing["productSet"]["userErrors"][0]["code"] == "PRODUCT_DOES_NOT_EXIST"
    no_options = gql.data(
        docs.PRODUCT_SET,
        {"input": {"title": "x", "variants": [{"optionValues": [{"optionName": "Size", "name": "S"}]}]}},
    )
    assert no_options["productSet"]["userErrors"][0]["code"] == "PRODUCT_OPTIONS_INPUT_MISSING"
    bad_value = gql.data(
        docs.PRODUCT_SET,
        {
            "input": {
                "title": "x",
                "productOptions": [{"name": "Size", "values": [{"name": "S"}]}],
                "variants": [{"optionValues": [{"optionName": "Size", "name": "XXL"}]}],
            }
        },
    )
    error = bad_value["productSet"]["userErrors"][0]
    assert error["code"] == "OPTION_VALUE_DOES_NOT_EXIST"
    assert error["field"] == ["input", "variants", "0", "optionValues", "0"]
    handle = first_product(shop)["handle"]
    taken = gql.data(docs.PRODUCT_SET, {"input": {"title": "x", "handle": handle}})
    assert taken["productSet"]["userErrors"][0]["code"] == "HANDLE_NOT_UNIQUE"
    assert len(shop.store.products) == 30


def test_product_set_asynchronous_returns_operation(gql):
    payload = gql.data(docs.PRODUCT_SET, {"input": {"title": "Async"}, "synchronous": False})
    assert payload["productSet"]["product"] is None
    assert payload["productSet"]["productSetOperation"]["status"] == "COMPLETE"


def test_variants_bulk_update(gql, shop):
    product = first_product(shop)
    variant_id = product["_variant_ids"][0]
    payload = gql.data(
        docs.VARIANTS_BULK_UPDATE,
        {
            "productId": product["id"],
            "variants": [
                {
                    "id": variant_id,
                    "price": "99.00",
                    "compareAtPrice": "120.00",
                    "barcode": "123",
                    "inventoryItem": {"sku": "NEW-SKU"},
                }
            ],
        },
    )
    result = payload["productVariantsBulkUpdate"]
    assert result["userErrors"] == []
    assert result["productVariants"] == [
        {"id": variant_id, "price": "99.00", "compareAtPrice": "120.00", "barcode": "123", "sku": "NEW-SKU"}
    ]


def test_variants_bulk_update_errors_are_all_or_nothing(gql, shop):
    product = first_product(shop)
    variant_id = product["_variant_ids"][0]
    old_price = shop.store.variants[variant_id]["price"]
    payload = gql.data(
        docs.VARIANTS_BULK_UPDATE,
        {
            "productId": product["id"],
            "variants": [
                {"id": variant_id, "price": "5.00"},
                {"id": "gid://shopify/ProductVariant/1", "price": "1.00"},
                {"id": variant_id, "price": "-1"},
            ],
        },
    )
    codes = [e["code"] for e in payload["productVariantsBulkUpdate"]["userErrors"]]
    assert codes == ["PRODUCT_VARIANT_DOES_NOT_EXIST", "GREATER_THAN_OR_EQUAL_TO"]
    assert shop.store.variants[variant_id]["price"] == old_price
    partial = gql.data(
        docs.VARIANTS_BULK_UPDATE,
        {
            "productId": product["id"],
            "partial": True,
            "variants": [
                {"id": variant_id, "price": "5.00"},
                {"id": "gid://shopify/ProductVariant/1", "price": "1.00"},
            ],
        },
    )
    assert len(partial["productVariantsBulkUpdate"]["userErrors"]) == 1
    assert shop.store.variants[variant_id]["price"] == "5.00"
    unknown = gql.data(docs.VARIANTS_BULK_UPDATE, {"productId": "gid://shopify/Product/1", "variants": []})
    assert unknown["productVariantsBulkUpdate"]["userErrors"][0]["code"] == "PRODUCT_DOES_NOT_EXIST"


def test_nodes_resolve_interfaces_by_typename(gql, shop):
    product = first_product(shop)
    customer = next(iter(shop.store.customers.values()))
    nodes = gql.data(docs.NODES, {"ids": [product["id"], customer["id"], "gid://shopify/Product/1"]})["nodes"]
    assert nodes[0] == {"__typename": "Product", "id": product["id"], "title": product["title"]}
    assert nodes[1]["__typename"] == "Customer" and nodes[1]["email"] == customer["email"]
    assert nodes[2] is None


# -- inventory ---------------------------------------------------------------------------------
def test_locations_and_inventory_levels(gql, shop):
    locations = gql.data(docs.LOCATIONS, {"first": 10})["locations"]["nodes"]
    # LocationSortKeys defaults to NAME in the schema, so the order is alphabetical.
    assert [(loc["name"], loc["isPrimary"]) for loc in locations] == [
        ("Brussels Depot", False),
        ("Lyon Store", False),
        ("Main Warehouse", True),
    ]
    item_id, location_id, level = first_level(shop)
    item = gql.data(docs.INVENTORY_ITEM, {"id": item_id, "names": ["available", "on_hand"]})["inventoryItem"]
    levels = {n["location"]["id"]: n["quantities"] for n in item["inventoryLevels"]["nodes"]}
    assert levels[location_id] == [
        {"name": "available", "quantity": level["_quantities"]["available"]},
        {"name": "on_hand", "quantity": level["_quantities"]["on_hand"]},
    ]


def _set_input(item_id, location_id, quantity, change_from):
    return {
        "name": "available",
        "reason": "correction",
        "referenceDocumentUri": "odoo://stock.quant/1",
        "quantities": [
            {
                "inventoryItemId": item_id,
                "locationId": location_id,
                "quantity": quantity,
                "changeFromQuantity": change_from,
            }
        ],
    }


def test_inventory_set_quantities_compare_and_set(gql, shop):
    item_id, location_id, level = first_level(shop)
    current = level["_quantities"]["available"]
    payload = gql.data(
        docs.INVENTORY_SET_QUANTITIES, {"key": "k1", "input": _set_input(item_id, location_id, current + 7, current)}
    )
    group = payload["inventorySetQuantities"]["inventoryAdjustmentGroup"]
    assert payload["inventorySetQuantities"]["userErrors"] == []
    assert group["changes"][0] == {
        "name": "available",
        "delta": 7,
        "quantityAfterChange": current + 7,
        "item": {"id": item_id},
        "location": {"id": location_id},
    }
    stale = gql.data(
        docs.INVENTORY_SET_QUANTITIES, {"key": "k2", "input": _set_input(item_id, location_id, 1, current)}
    )
    error = stale["inventorySetQuantities"]["userErrors"][0]
    assert error["code"] == "CHANGE_FROM_QUANTITY_STALE"
    assert error["field"] == ["input", "quantities", "0", "changeFromQuantity"]
    assert level["_quantities"]["available"] == current + 7
    unchecked = gql.data(
        docs.INVENTORY_SET_QUANTITIES, {"key": "k3", "input": _set_input(item_id, location_id, 2, None)}
    )
    assert unchecked["inventorySetQuantities"]["userErrors"] == []
    assert level["_quantities"]["available"] == 2


def test_inventory_set_quantities_idempotent_replay(gql, shop):
    item_id, location_id, level = first_level(shop)
    current = level["_quantities"]["available"]
    variables = {"key": "same-key", "input": _set_input(item_id, location_id, current + 1, current)}
    first = gql.data(docs.INVENTORY_SET_QUANTITIES, variables)
    second = gql.data(docs.INVENTORY_SET_QUANTITIES, variables)
    assert first == second
    assert second["inventorySetQuantities"]["userErrors"] == []
    assert level["_quantities"]["available"] == current + 1
    variables["input"]["quantities"][0]["quantity"] = 50
    mismatch = gql.data(docs.INVENTORY_SET_QUANTITIES, variables)
    assert mismatch["inventorySetQuantities"]["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"


def test_inventory_set_quantities_requires_idempotent_key(gql, shop):
    item_id, location_id, _ = first_level(shop)
    payload = gql(docs.INVENTORY_SET_QUANTITIES_WITHOUT_KEY, {"input": _set_input(item_id, location_id, 1, None)})
    assert payload["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REQUIRED"
    assert payload["data"]["inventorySetQuantities"] is None


def test_inventory_set_quantities_validation(gql, shop):
    item_id, location_id, _ = first_level(shop)
    cases = [
        (dict(_set_input(item_id, location_id, 1, None), name="committed"), "INVALID_NAME"),
        (dict(_set_input(item_id, location_id, 1, None), reason="because"), "INVALID_REASON"),
        (_set_input("gid://shopify/InventoryItem/1", location_id, 1, None), "INVALID_INVENTORY_ITEM"),
        (_set_input(item_id, "gid://shopify/Location/1", 1, None), "INVALID_LOCATION"),
        (_set_input(item_id, list(shop.store.locations)[2], 1, None), "ITEM_NOT_STOCKED_AT_LOCATION"),
    ]
    for index, (data, code) in enumerate(cases):
        payload = gql.data(docs.INVENTORY_SET_QUANTITIES, {"key": "v%d" % index, "input": data})
        assert payload["inventorySetQuantities"]["userErrors"][0]["code"] == code
    no_compare = _set_input(item_id, location_id, 1, None)
    del no_compare["quantities"][0]["changeFromQuantity"]
    payload = gql.data(docs.INVENTORY_SET_QUANTITIES, {"key": "nc", "input": no_compare})
    assert payload["inventorySetQuantities"]["userErrors"][0]["code"] == "COMPARE_QUANTITY_REQUIRED"
    duplicated = _set_input(item_id, location_id, 1, None)
    duplicated["quantities"] *= 2
    payload = gql.data(docs.INVENTORY_SET_QUANTITIES, {"key": "dup", "input": duplicated})
    assert payload["inventorySetQuantities"]["userErrors"][0]["code"] == "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR"


# -- orders and fulfilment -----------------------------------------------------------------------
def test_generated_orders_are_realistic_and_consistent(gql, shop):
    orders = shop.generate_orders(40, seed=3)
    assert len(orders) == 40
    assert any(len(o["lineItems"]) > 1 for o in orders)
    assert any(o["discountCodes"] for o in orders)
    assert any(o["cancelledAt"] for o in orders)
    assert any(o["refunds"] and not o["cancelledAt"] for o in orders)
    for order in orders:
        amounts = {
            k: float(order[k]["shopMoney"]["amount"])
            for k in ("subtotalPriceSet", "totalShippingPriceSet", "totalTaxSet", "totalPriceSet")
        }
        assert (
            abs(
                amounts["subtotalPriceSet"]
                + amounts["totalShippingPriceSet"]
                + amounts["totalTaxSet"]
                - amounts["totalPriceSet"]
            )
            < 0.01
        )
    again = [o["name"] for o in shop.generate_orders(3, seed=3)]
    shop.reset()
    replay = [o["name"] for o in shop.generate_orders(43, seed=3)][40:]
    assert len(replay) == 3 and again != []


def test_orders_query_filters_and_pagination(gql, shop):
    orders = shop.generate_orders(12, seed=5)
    cancelled = [o["id"] for o in orders if o["cancelledAt"]]
    page = gql.data(docs.ORDERS_PAGE, {"first": 5})["orders"]
    assert len(page["nodes"]) == 5 and page["pageInfo"]["hasNextPage"]
    found = gql.data(docs.ORDERS_PAGE, {"first": 12, "query": "status:cancelled"})["orders"]["nodes"]
    assert [o["id"] for o in found] == cancelled
    name = orders[3]["name"]
    assert gql.data(docs.ORDERS_PAGE, {"first": 5, "query": "name:%s" % name})["orders"]["nodes"][0]["name"] == name


def test_fulfillment_create_with_tracking(gql, shop):
    order = shop.generate_orders(1, seed=11, cancel_rate=0, refund_rate=0)[0]
    data = gql.data(docs.FULFILLMENT_ORDERS, {"id": order["id"]})["order"]
    fulfillment_order = data["fulfillmentOrders"]["nodes"][0]
    assert fulfillment_order["status"] == "OPEN"
    assert (
        gql.data(docs.FULFILLMENT_ORDERS_ROOT, {"first": 5})["fulfillmentOrders"]["nodes"][0]["id"]
        == fulfillment_order["id"]
    )
    lines = [
        {"id": line["id"], "quantity": line["remainingQuantity"]} for line in fulfillment_order["lineItems"]["nodes"]
    ]
    payload = gql.data(
        docs.FULFILLMENT_CREATE,
        {
            "fulfillment": {
                "lineItemsByFulfillmentOrder": [
                    {"fulfillmentOrderId": fulfillment_order["id"], "fulfillmentOrderLineItems": lines}
                ],
                "trackingInfo": {"number": "1Z999", "url": "https://track.example/1Z999", "company": "UPS"},
                "notifyCustomer": False,
            }
        },
    )
    fulfillment = payload["fulfillmentCreate"]["fulfillment"]
    assert payload["fulfillmentCreate"]["userErrors"] == []
    assert fulfillment["status"] == "SUCCESS"
    assert fulfillment["trackingInfo"] == [{"number": "1Z999", "url": "https://track.example/1Z999", "company": "UPS"}]
    after = gql.data(docs.FULFILLMENT_ORDERS, {"id": order["id"]})["order"]
    assert after["displayFulfillmentStatus"] == "FULFILLED"
    assert after["fulfillmentOrders"]["nodes"][0]["status"] == "CLOSED"
    again = gql.data(
        docs.FULFILLMENT_CREATE,
        {"fulfillment": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fulfillment_order["id"]}]}},
    )
    assert "unfulfillable status= closed" in again["fulfillmentCreate"]["userErrors"][0]["message"]


def test_fulfillment_create_errors(gql, shop):
    order = shop.generate_orders(1, seed=11, cancel_rate=0, refund_rate=0)[0]
    fo_id = order["_fulfillment_order_ids"][0]
    line = shop.store.fulfillment_orders[fo_id]["lineItems"][0]
    too_many = gql.data(
        docs.FULFILLMENT_CREATE,
        {
            "fulfillment": {
                "lineItemsByFulfillmentOrder": [
                    {"fulfillmentOrderId": fo_id, "fulfillmentOrderLineItems": [{"id": line["id"], "quantity": 99}]}
                ]
            }
        },
    )
    assert too_many["fulfillmentCreate"]["fulfillment"] is None
    assert too_many["fulfillmentCreate"]["userErrors"][0]["field"] == ["fulfillment"]
    missing = gql.data(
        docs.FULFILLMENT_CREATE,
        {"fulfillment": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": "gid://shopify/FulfillmentOrder/1"}]}},
    )
    assert missing["fulfillmentCreate"]["userErrors"][0]["message"] == "Fulfillment order does not exist."


def test_order_cancel_mutation(gql, shop):
    order = shop.generate_orders(1, seed=11, cancel_rate=0, refund_rate=0)[0]
    payload = gql.data(docs.ORDER_CANCEL, {"orderId": order["id"], "reason": "CUSTOMER"})
    assert payload["orderCancel"]["orderCancelUserErrors"] == []
    assert order["cancelledAt"] and order["displayFinancialStatus"] == "REFUNDED"
    again = gql.data(docs.ORDER_CANCEL, {"orderId": order["id"], "reason": "CUSTOMER"})
    assert again["orderCancel"]["orderCancelUserErrors"][0]["code"] == "INVALID"


def test_refund_order_helper_updates_totals(shop):
    order = shop.generate_orders(1, seed=11, cancel_rate=0, refund_rate=0)[0]
    line = order["lineItems"][0]
    refund = shop.refund_order(order["id"], {line["id"]: 1})
    assert refund["refundLineItems"][0]["quantity"] == 1
    assert order["displayFinancialStatus"] in ("PARTIALLY_REFUNDED", "REFUNDED")
    assert float(order["totalRefundedSet"]["shopMoney"]["amount"]) > 0


# -- customers ---------------------------------------------------------------------------------------
def test_customers_and_customer_set_upsert(gql, shop):
    page = gql.data(docs.CUSTOMERS_PAGE, {"first": 3})["customers"]
    assert len(page["nodes"]) == 3 and page["pageInfo"]["hasNextPage"]
    created = gql.data(
        docs.CUSTOMER_SET,
        {
            "input": {"email": "new@example.com", "firstName": "New", "tags": ["odoo"]},
            "identifier": {"email": "new@example.com"},
        },
    )["customerSet"]
    assert created["userErrors"] == []
    updated = gql.data(
        docs.CUSTOMER_SET,
        {"input": {"email": "new@example.com", "lastName": "Person"}, "identifier": {"email": "new@example.com"}},
    )["customerSet"]
    assert updated["customer"]["id"] == created["customer"]["id"]
    assert updated["customer"]["lastName"] == "Person"
    found = gql.data(docs.CUSTOMERS_PAGE, {"first": 5, "query": "email:new@example.com"})["customers"]["nodes"]
    assert [c["id"] for c in found] == [created["customer"]["id"]]


def test_customer_set_errors(gql, shop):
    taken = next(iter(shop.store.customers.values()))["email"]
    cases = [
        ({"input": {"email": taken}}, "TAKEN"),
        ({"input": {"email": "not-an-email"}}, "INVALID"),
        ({"input": {"id": "gid://shopify/Customer/1", "note": "x"}}, "NOT_FOUND"),
        ({"input": {"email": "a@b.co"}, "identifier": {"email": "c@d.co"}}, "INPUT_MISMATCH"),
        ({"input": {"note": "nobody"}}, "BLANK"),
    ]
    for variables, code in cases:
        result = gql.data(docs.CUSTOMER_SET, variables)["customerSet"]
        assert result["customer"] is None
        assert result["userErrors"][0]["code"] == code, variables


# -- files, media, bulk -------------------------------------------------------------------------------
def test_staged_upload_then_file_create_and_product_media(gql, shop):
    targets = gql.data(
        docs.STAGED_UPLOADS_CREATE,
        {"input": [{"resource": "IMAGE", "filename": "shirt.jpg", "mimeType": "image/jpeg", "httpMethod": "POST"}]},
    )
    target = targets["stagedUploadsCreate"]["stagedTargets"][0]
    fields = {p["name"]: p["value"] for p in target["parameters"]}
    not_yet = gql.data(docs.FILE_CREATE, {"files": [{"originalSource": target["resourceUrl"], "alt": "Shirt"}]})
    assert not_yet["fileCreate"]["userErrors"][0]["code"] == "FILE_DOES_NOT_EXIST"
    upload = requests.post(target["url"], data=fields, files={"file": ("shirt.jpg", b"\xff\xd8jpeg", "image/jpeg")})
    assert upload.status_code == 201
    created = gql.data(docs.FILE_CREATE, {"files": [{"originalSource": target["resourceUrl"], "alt": "Shirt"}]})
    assert created["fileCreate"]["files"][0]["image"]["url"] == target["resourceUrl"]
    product = first_product(shop)
    media = gql.data(
        docs.PRODUCT_CREATE_MEDIA,
        {
            "productId": product["id"],
            "media": [{"originalSource": target["resourceUrl"], "alt": "Shirt", "mediaContentType": "IMAGE"}],
        },
    )
    assert media["productCreateMedia"]["mediaUserErrors"] == []
    listed = gql.data(docs.PRODUCT_BY_ID, {"id": product["id"]})["product"]["media"]["nodes"]
    assert listed[0]["image"]["url"] == target["resourceUrl"] and listed[0]["status"] == "READY"
    bad = gql.data(
        docs.PRODUCT_CREATE_MEDIA,
        {
            "productId": "gid://shopify/Product/1",
            "media": [{"originalSource": "https://x/y.jpg", "mediaContentType": "IMAGE"}],
        },
    )
    assert bad["productCreateMedia"]["mediaUserErrors"][0]["code"] == "PRODUCT_DOES_NOT_EXIST"


def test_bulk_operation_jsonl_with_parent_ids(gql, shop):
    run = gql.data(docs.BULK_OPERATION_RUN_QUERY, {"query": docs.BULK_PRODUCTS_EXPORT})["bulkOperationRunQuery"]
    assert run["userErrors"] == [] and run["bulkOperation"]["status"] == "CREATED"
    status = gql.data(docs.BULK_OPERATION_STATUS, {"id": run["bulkOperation"]["id"]})["node"]
    assert status["status"] == "COMPLETED"
    assert gql.data(docs.CURRENT_BULK_OPERATION)["currentBulkOperation"]["id"] == status["id"]
    lines = [json.loads(line) for line in requests.get(status["url"]).text.splitlines()]
    products = [line for line in lines if "__parentId" not in line]
    variants = [line for line in lines if "__parentId" in line]
    assert len(products) == len(shop.store.products) == int(status["rootObjectCount"])
    assert len(variants) == len(shop.store.variants)
    assert int(status["objectCount"]) == len(lines)
    assert variants[0]["__parentId"] == products[0]["id"]
    assert set(variants[0]) == {"id", "sku", "price", "__parentId"}


def test_bulk_operation_invalid_query(gql):
    payload = gql.data(docs.BULK_OPERATION_RUN_QUERY, {"query": "{ products { edges { node { nope } } } }"})
    error = payload["bulkOperationRunQuery"]["userErrors"][0]
    assert error["code"] == "INVALID" and error["field"] == ["query"]
    no_connection = gql.data(docs.BULK_OPERATION_RUN_QUERY, {"query": "{ shop { name } }"})
    assert no_connection["bulkOperationRunQuery"]["userErrors"][0]["code"] == "INVALID"


# -- webhook subscriptions ------------------------------------------------------------------------------
def test_webhook_subscription_create_list_delete(gql, receiver):
    created = gql.data(
        docs.WEBHOOK_SUBSCRIPTION_CREATE, {"topic": "ORDERS_CREATE", "sub": {"uri": receiver.url, "format": "JSON"}}
    )
    subscription = created["webhookSubscriptionCreate"]["webhookSubscription"]
    assert subscription["apiVersion"]["handle"] == "2026-04"
    duplicate = gql.data(docs.WEBHOOK_SUBSCRIPTION_CREATE, {"topic": "ORDERS_CREATE", "sub": {"uri": receiver.url}})
    assert (
        duplicate["webhookSubscriptionCreate"]["userErrors"][0]["message"]
        == "Address for this topic has already been taken"
    )
    invalid = gql.data(docs.WEBHOOK_SUBSCRIPTION_CREATE, {"topic": "ORDERS_CREATE", "sub": {"uri": "ftp://x"}})
    assert invalid["webhookSubscriptionCreate"]["userErrors"][0]["message"] == "Address is invalid"
    listed = gql.data(docs.WEBHOOK_SUBSCRIPTIONS, {"first": 10})["webhookSubscriptions"]["nodes"]
    assert [s["id"] for s in listed] == [subscription["id"]]
    deleted = gql.data(docs.WEBHOOK_SUBSCRIPTION_DELETE, {"id": subscription["id"]})
    assert deleted["webhookSubscriptionDelete"]["deletedWebhookSubscriptionId"] == subscription["id"]
    bad_topic = gql(docs.WEBHOOK_SUBSCRIPTION_CREATE, {"topic": "NOT_A_TOPIC", "sub": {"uri": receiver.url}})
    assert bad_topic["errors"][0]["extensions"]["code"] == "INVALID_VARIABLE"


def test_requests_are_recorded_with_operation(gql, shop):
    gql(docs.SHOP)
    record = shop.requests[-1]
    assert record["operation_name"] == "Shop" and record["root_fields"] == ["shop"]
    assert record["status"] == 200 and record["method"] == "POST"
    assert json.loads(record["body"])["query"] == docs.SHOP


# -- every served root field -------------------------------------------------------------------------
def test_remaining_root_lookups(gql, shop):
    order = shop.generate_orders(1, seed=2, cancel_rate=0, refund_rate=0)[0]
    bulk = gql.data(docs.BULK_OPERATION_RUN_QUERY, {"query": docs.BULK_PRODUCTS_EXPORT})
    variant = next(iter(shop.store.variants.values()))
    _, location_id, level = first_level(shop)
    customer = next(iter(shop.store.customers.values()))
    data = gql.data(
        docs.LOOKUPS,
        {
            "variant": variant["id"],
            "level": level["id"],
            "location": location_id,
            "customer": customer["id"],
            "order": order["id"],
            "fo": order["_fulfillment_order_ids"][0],
            "bulk": bulk["bulkOperationRunQuery"]["bulkOperation"]["id"],
        },
    )
    assert data["productVariant"]["sku"] == variant["sku"]
    assert data["inventoryLevel"]["location"]["id"] == location_id
    assert data["customer"]["email"] == customer["email"]
    assert data["order"]["name"] == order["name"] and data["fulfillmentOrder"]["status"] == "OPEN"
    assert data["bulkOperation"]["status"] == "COMPLETED"
    # a product id is not a variant: typed lookups return null, not another type
    wrong = gql.data(
        docs.LOOKUPS,
        dict.fromkeys(("variant", "level", "location", "customer", "order", "fo", "bulk"), first_product(shop)["id"]),
    )
    assert all(value is None for value in wrong.values())
    sku = variant["sku"]
    variants = gql.data(docs.VARIANTS_PAGE, {"first": 5, "query": "sku:%s" % sku})["productVariants"]["nodes"]
    assert [v["id"] for v in variants] == [variant["id"]]
    items = gql.data(docs.INVENTORY_ITEMS_PAGE, {"first": 5, "query": "sku:%s" % sku})["inventoryItems"]["nodes"]
    assert [i["id"] for i in items] == [variant["_inventory_item_id"]]
    assert gql.data(docs.FILES_PAGE, {"first": 5})["files"]["nodes"] == []


def _served_root_fields():
    from sandbox.shopify_api import COMPUTED

    return sorted((parent, field) for parent, field in COMPUTED if parent in ("QueryRoot", "Mutation"))


def test_every_served_root_field_has_a_document():
    from graphql import parse
    from graphql.language import FieldNode

    used = set()
    for document in docs.DOCUMENTS.values():
        for definition in parse(document).definitions:
            used |= {s.name.value for s in definition.selection_set.selections if isinstance(s, FieldNode)}
    assert [field for _, field in _served_root_fields() if field not in used] == []


def test_every_served_root_field_rejects_unknown_arguments(gql):
    for parent, field in _served_root_fields():
        operation = "mutation" if parent == "Mutation" else "query"
        payload = gql("%s { %s(notAnArgument: 1) { __typename } }" % (operation, field))
        codes = {e["extensions"]["code"] for e in payload["errors"]}
        assert "argumentNotAccepted" in codes, (field, payload)
        assert "data" not in payload
