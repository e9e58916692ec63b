"""Webhook bodies in the REST shape Shopify sends (numeric ids, snake_case,
`admin_graphql_api_id`), rendered as JSON or XML."""

import datetime
import json
import zoneinfo

import xmltodict

from .shopify_store import SHOP_TIMEZONE, gid_number

ROOT_ELEMENT = {
    "orders": "order",
    "products": "product",
    "inventory_levels": "inventory-level",
    "app": "shop",
    "refunds": "refund",
    "fulfillments": "fulfillment",
    "customers": "customer",
    "bulk_operations": "bulk-operation",
}


def topic_enum(topic):
    """'orders/create' -> 'ORDERS_CREATE' (the GraphQL enum of subscriptions)."""
    return topic.upper().replace("/", "_")


def shop_time(value):
    """A GraphQL time ('2026-04-01T10:00:00Z') as REST bodies give it: in the shop's time zone
    ('2026-04-01T12:00:00+02:00')."""
    if not value:
        return value
    moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone(zoneinfo.ZoneInfo(SHOP_TIMEZONE)).isoformat()


def _amount(money_bag):
    return money_bag["shopMoney"]["amount"] if money_bag else "0.00"


def _rest_tax(tax):
    return {"title": tax["title"], "price": _amount(tax["priceSet"]), "rate": tax["rate"]}


def _rest_allocation(allocation):
    return {
        "amount": _amount(allocation["allocatedAmountSet"]),
        "discount_application_index": allocation["discountApplication"]["index"],
    }


REST_DISCOUNT_TYPES = {
    "DiscountCodeApplication": "discount_code",
    "AutomaticDiscountApplication": "automatic",
    "ManualDiscountApplication": "manual",
    "ScriptDiscountApplication": "script",
}


def _rest_discount(application):
    """REST's discount_applications entry (shopify.dev/docs/api/admin-rest/latest/resources/order)."""
    value = application["value"]
    rest = {
        "type": REST_DISCOUNT_TYPES[application["__typename"]],
        "value": "%.2f" % float(value.get("percentage", value.get("amount", 0))),
        "value_type": "percentage" if "percentage" in value else "fixed_amount",
        "allocation_method": application["allocationMethod"].lower(),
        "target_selection": application["targetSelection"].lower(),
        "target_type": application["targetType"].lower(),
    }
    if "code" in application:
        rest["code"] = application["code"]
    else:
        rest.update(title=application["title"], description=application.get("description"))
    return rest


def order_payload(store, order):
    customer = store.customers.get(order["_customer_id"]) if order["_customer_id"] else None
    return {
        "id": gid_number(order["id"]),
        "admin_graphql_api_id": order["id"],
        "name": order["name"],
        "order_number": order["number"] + 1000,
        "email": order["email"],
        "created_at": shop_time(order["createdAt"]),
        "updated_at": shop_time(order["updatedAt"]),
        "processed_at": shop_time(order["processedAt"]),
        "cancelled_at": shop_time(order["cancelledAt"]),
        "cancel_reason": order["cancelReason"].lower() if order["cancelReason"] else None,
        "closed_at": shop_time(order["closedAt"]),
        "currency": order["currencyCode"],
        "financial_status": order["displayFinancialStatus"].lower(),
        "fulfillment_status": {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial"}.get(
            order["displayFulfillmentStatus"]
        ),
        "subtotal_price": _amount(order["subtotalPriceSet"]),
        "total_price": _amount(order["totalPriceSet"]),
        "total_tax": _amount(order["totalTaxSet"]),
        "total_discounts": _amount(order["totalDiscountsSet"]),
        "taxes_included": order["taxesIncluded"],
        "discount_codes": [{"code": c} for c in order["discountCodes"]],
        "discount_applications": [_rest_discount(application) for application in order["discountApplications"]],
        "tax_lines": [_rest_tax(tax) for tax in order["taxLines"]],
        "shipping_lines": [
            {
                "id": gid_number(shipping["id"]),
                "title": shipping["title"],
                "code": shipping["code"],
                "price": _amount(shipping["originalPriceSet"]),
                "discounted_price": _amount(shipping["discountedPriceSet"]),
                "discount_allocations": [_rest_allocation(a) for a in shipping["discountAllocations"]],
                "tax_lines": [_rest_tax(tax) for tax in shipping["taxLines"]],
            }
            for shipping in order["shippingLines"]
        ],
        "line_items": [
            {
                "id": gid_number(li["id"]),
                "admin_graphql_api_id": li["id"],
                "variant_id": gid_number(li["_variant_id"]),
                "product_id": gid_number(li["_product_id"]),
                "sku": li["sku"],
                "title": li["title"],
                "variant_title": li["variantTitle"],
                "quantity": li["quantity"],
                "current_quantity": li["currentQuantity"],
                "price": _amount(li["originalUnitPriceSet"]),
                "total_discount": _amount(li["totalDiscountSet"]),
                "gift_card": li["isGiftCard"],
                "discount_allocations": [_rest_allocation(a) for a in li["discountAllocations"]],
                "tax_lines": [_rest_tax(tax) for tax in li["taxLines"]],
            }
            for li in order["lineItems"]
        ],
        "refunds": [
            {
                "id": gid_number(r["id"]),
                "admin_graphql_api_id": r["id"],
                "created_at": shop_time(r["createdAt"]),
                "note": r["note"],
            }
            for r in order["refunds"]
        ],
        "customer": {
            "id": gid_number(customer["id"]),
            "admin_graphql_api_id": customer["id"],
            "email": customer["email"],
        }
        if customer
        else None,
    }


def product_payload(store, product):
    variants = [store.variants[v] for v in product["_variant_ids"]]
    return {
        "id": gid_number(product["id"]),
        "admin_graphql_api_id": product["id"],
        "title": product["title"],
        "handle": product["handle"],
        "status": product["status"].lower(),
        "vendor": product["vendor"],
        "product_type": product["productType"],
        "tags": ", ".join(product["tags"]),
        "created_at": shop_time(product["createdAt"]),
        "updated_at": shop_time(product["updatedAt"]),
        "variants": [
            {
                "id": gid_number(v["id"]),
                "admin_graphql_api_id": v["id"],
                "sku": v["sku"],
                "price": v["price"],
                "barcode": v["barcode"],
                "title": v.get("title"),
                "inventory_item_id": gid_number(v["_inventory_item_id"]),
                "inventory_quantity": store.available(v["_inventory_item_id"]),
            }
            for v in variants
        ],
    }


def level_payload(store, level):
    return {
        "inventory_item_id": gid_number(level["_item_id"]),
        "location_id": gid_number(level["_location_id"]),
        "available": level["_quantities"]["available"],
        "updated_at": shop_time(level["updatedAt"]),
        "admin_graphql_api_id": level["id"],
    }


def generic_payload(store, record):
    payload = {"id": gid_number(record["id"]), "admin_graphql_api_id": record["id"]}
    for key, value in record.items():
        if not key.startswith("_") and isinstance(value, (str, int, float, bool)) and key != "id":
            payload[key] = value
    return payload


def build_payload(store, topic, record):
    if topic.startswith("orders/"):
        return order_payload(store, record)
    if topic.startswith("products/"):
        return product_payload(store, record)
    if topic.startswith("inventory_levels/"):
        return level_payload(store, record)
    if topic == "app/uninstalled":
        return record
    return generic_payload(store, record)


def render(topic, payload, fmt):
    """Raw body bytes and content type for a subscription format."""
    if fmt == "XML":
        root = ROOT_ELEMENT.get(topic.split("/")[0], "object")
        return xmltodict.unparse({root: _xml_safe(payload)}, pretty=False).encode(), "application/xml"
    return json.dumps(payload).encode(), "application/json"


def _xml_safe(value):
    if isinstance(value, dict):
        return {key.replace("_", "-"): _xml_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return {"item": [_xml_safe(item) for item in value]} if value else None
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
