"""Mutation resolvers of the Shopify sandbox.

Each resolver validates its whole input first and only then changes the
store, so a payload with userErrors never leaves half-applied state (the
behaviour a connector's retry logic relies on).
"""

import json
import os

from graphql import GraphQLError

from .shopify_api import bulk_jsonl, computed, idempotency_key, run_bulk_query
from .shopify_schema import API_VERSION
from .shopify_store import gid_kind

INVENTORY_REASONS = {
    "correction",
    "cycle_count_available",
    "damaged",
    "movement_created",
    "movement_updated",
    "movement_received",
    "movement_canceled",
    "other",
    "promotion",
    "quality_control",
    "received",
    "reservation_created",
    "reservation_deleted",
    "reservation_updated",
    "restock",
    "safety_stock",
    "shrinkage",
}
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp")


def user_error(field, message, code=None):
    error = {"field": [str(part) for part in field] if field is not None else None, "message": message}
    if code is not None:
        error["code"] = code
    return error


# -- products -----------------------------------------------------------------------
def _find_product(store, identifier, data):
    identifier = identifier or {}
    product_id = identifier.get("id") or data.get("id")
    if product_id:
        return store.products.get(product_id), product_id
    if identifier.get("handle"):
        found = next((p for p in store.products.values() if p["handle"] == identifier["handle"]), None)
        return found, None
    return None, None


def _option_errors(options):
    errors, names = [], set()
    if len(options) > 3:
        errors.append(
            user_error(["input", "productOptions"], "Can only specify a maximum of 3 options", "OPTIONS_OVER_LIMIT")
        )
    for index, option in enumerate(options):
        if not option.get("name"):
            errors.append(
                user_error(["input", "productOptions", index, "name"], "Option name can't be blank", "INVALID_INPUT")
            )
        if option.get("name") in names:
            errors.append(
                user_error(
                    ["input", "productOptions", index, "name"], "Duplicated option name.", "DUPLICATED_OPTION_NAME"
                )
            )
        names.add(option.get("name"))
        if not option.get("values"):
            errors.append(
                user_error(
                    ["input", "productOptions", index, "values"],
                    "Option values must be specified",
                    "OPTION_VALUES_MISSING",
                )
            )
    return errors


def _variant_errors(store, product, options, variants):
    errors, combos = [], set()
    known = {o["name"]: {v["name"] for v in o.get("optionValues") or o.get("values") or []} for o in options}
    for index, variant in enumerate(variants):
        base = ["input", "variants", index]
        if variant.get("id") and (product is None or variant["id"] not in product["_variant_ids"]):
            errors.append(user_error([*base, "id"], "Product variant does not exist", "PRODUCT_VARIANT_DOES_NOT_EXIST"))
        combo = []
        for position, value in enumerate(variant.get("optionValues") or []):
            name = value.get("optionName")
            if name not in known:
                errors.append(
                    user_error([*base, "optionValues", position], "Option does not exist", "OPTION_DOES_NOT_EXIST")
                )
            elif value.get("name") not in known[name]:
                errors.append(
                    user_error(
                        [*base, "optionValues", position], "Option value does not exist", "OPTION_VALUE_DOES_NOT_EXIST"
                    )
                )
            combo.append((name, value.get("name")))
        if len(combo) != len(known):
            errors.append(
                user_error([*base, "optionValues"], "Variant must have a value for every option", "INVALID_VARIANT")
            )
        if tuple(sorted(combo)) in combos:
            errors.append(
                user_error(
                    base, "The variant '%s' already exists." % " / ".join(v for _, v in combo), "INVALID_VARIANT"
                )
            )
        combos.add(tuple(sorted(combo)))
        if variant.get("price") is not None and float(variant["price"]) < 0:
            errors.append(user_error([*base, "price"], "Price must be greater than or equal to 0", "INVALID_VARIANT"))
        for q_index, quantity in enumerate(variant.get("inventoryQuantities") or []):
            if quantity.get("locationId") not in store.locations:
                errors.append(
                    user_error(
                        [*base, "inventoryQuantities", q_index, "locationId"], "Location does not exist", "NOT_FOUND"
                    )
                )
    if len(variants) > 2048:
        errors.append(user_error(["input", "variants"], "Too many variants", "VARIANTS_OVER_LIMIT"))
    return errors


@computed("Mutation", "productSet")
def product_set(context, source, args, info):
    store, data = context.store, args["input"]
    product, wanted_id = _find_product(store, args.get("identifier"), data)
    errors = []
    if wanted_id and product is None:
        errors.append(user_error(["input", "id"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST"))
    if product is None and not data.get("title"):
        errors.append(user_error(["input", "title"], "Title can't be blank", "INVALID_PRODUCT"))
    if product is None and data.get("variants") and not data.get("productOptions"):
        errors.append(
            user_error(["input", "productOptions"], "Product options input is missing", "PRODUCT_OPTIONS_INPUT_MISSING")
        )
    if product is None and data.get("productOptions") and not data.get("variants"):
        errors.append(user_error(["input", "variants"], "Variants input is missing", "VARIANTS_INPUT_MISSING"))
    options = data.get("productOptions")
    if options is not None:
        errors += _option_errors(options)
    elif product is not None:
        options = product["options"]
    if data.get("variants") is not None and not errors:
        errors += _variant_errors(store, product, options or [], data["variants"])
    if data.get("handle") and any(p["handle"] == data["handle"] and p is not product for p in store.products.values()):
        errors.append(
            user_error(["input", "handle"], "Handle '%s' already in use." % data["handle"], "HANDLE_NOT_UNIQUE")
        )
    if errors:
        return {"product": None, "productSetOperation": None, "userErrors": errors}
    if product is None:
        product = store.create_product(data)
    else:
        store.update_product(product, data)
    if args.get("synchronous") is False:
        operation = {
            "id": store.new_gid("ProductSetOperation"),
            "status": "COMPLETE",
            "product": product,
            "userErrors": [],
        }
        return {"product": None, "productSetOperation": operation, "userErrors": []}
    return {"product": product, "productSetOperation": None, "userErrors": []}


@computed("Mutation", "productVariantsBulkUpdate")
def product_variants_bulk_update(context, source, args, info):
    store = context.store
    product = store.products.get(args["productId"])
    if product is None:
        return {
            "product": None,
            "productVariants": None,
            "userErrors": [user_error(["productId"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST")],
        }
    errors, valid = [], []
    for index, data in enumerate(args["variants"]):
        problems = _bulk_variant_errors(product, index, data)
        errors += problems
        if not problems:
            valid.append(data)
    if errors and not args.get("allowPartialUpdates"):
        return {"product": product, "productVariants": None, "userErrors": errors}
    updated = []
    for data in valid:
        variant = store.variants[data["id"]]
        store.apply_variant(variant, data)
        updated.append(variant)
    if updated:
        store.update_product(product, {})
    return {"product": product, "productVariants": updated, "userErrors": errors}


def _bulk_variant_errors(product, index, data):
    base = ["variants", index]
    if not data.get("id"):
        return [user_error([*base, "id"], "Product variant is missing ID attribute", "PRODUCT_VARIANT_ID_MISSING")]
    if data["id"] not in product["_variant_ids"]:
        return [user_error([*base, "id"], "Product variant does not exist", "PRODUCT_VARIANT_DOES_NOT_EXIST")]
    errors = []
    if data.get("inventoryQuantities"):
        errors.append(
            user_error(
                [*base, "inventoryQuantities"],
                "Inventory quantities can only be provided during create. To update inventory for "
                "existing variants, use inventorySetQuantities.",
                "NO_INVENTORY_QUANTITIES_ON_VARIANTS_UPDATE",
            )
        )
    if data.get("price") is not None and float(data["price"]) < 0:
        errors.append(
            user_error([*base, "price"], "Price must be greater than or equal to 0", "GREATER_THAN_OR_EQUAL_TO")
        )
    options = {o["name"]: {v["name"] for v in o["optionValues"]} for o in product["options"]}
    for position, value in enumerate(data.get("optionValues") or []):
        if value.get("optionName") not in options:
            errors.append(
                user_error([*base, "optionValues", position], "Option does not exist", "OPTION_DOES_NOT_EXIST")
            )
        elif value.get("name") not in options[value["optionName"]]:
            errors.append(
                user_error(
                    [*base, "optionValues", position], "Option value does not exist", "OPTION_VALUE_DOES_NOT_EXIST"
                )
            )
    return errors


@computed("Mutation", "productCreateMedia")
def product_create_media(context, source, args, info):
    store = context.store
    product = store.products.get(args["productId"])
    if product is None:
        error = user_error(["productId"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST")
        return {"media": None, "product": None, "mediaUserErrors": [error], "userErrors": [dict(error, code=None)]}
    errors = [
        user_error(["media", i, "originalSource"], "Original source can't be blank", "BLANK")
        for i, media in enumerate(args["media"])
        if not media["originalSource"]
    ]
    errors += _source_errors(context, [m["originalSource"] for m in args["media"]], "media", "INVALID")
    if errors:
        return {
            "media": None,
            "product": product,
            "mediaUserErrors": errors,
            "userErrors": [dict(e, code=None) for e in errors],
        }
    created = [
        store.create_media(m["originalSource"], m.get("alt"), m["mediaContentType"], product) for m in args["media"]
    ]
    store.update_product(product, {})
    return {"media": created, "product": product, "mediaUserErrors": [], "userErrors": []}


def _source_errors(context, sources, field, code):
    """Staged-upload URLs must have been uploaded before they are referenced."""
    errors = []
    prefix = context.sandbox.upload_prefix()
    for index, source_url in enumerate(sources):
        if source_url and source_url.startswith(prefix):
            key = source_url[len(prefix) :]
            if key not in context.store.uploads:
                errors.append(
                    user_error(
                        [field, index, "originalSource"],
                        "File at %s was not uploaded to the staged target." % source_url,
                        code,
                    )
                )
    return errors


# -- inventory ----------------------------------------------------------------------------
@computed("Mutation", "inventorySetQuantities")
def inventory_set_quantities(context, source, args, info):
    key = idempotency_key(info)
    if not key:
        raise GraphQLError(
            "The @idempotent directive is required for this mutation.", extensions={"code": "IDEMPOTENCY_KEY_REQUIRED"}
        )
    store, data = context.store, args["input"]
    fingerprint = json.dumps(data, sort_keys=True, default=str)
    if key in store.idempotency:
        first_fingerprint, payload = store.idempotency[key]
        if first_fingerprint != fingerprint:
            return {
                "inventoryAdjustmentGroup": None,
                "userErrors": [
                    user_error(
                        ["input"],
                        "The same idempotency key was used with different parameters.",
                        "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                    )
                ],
            }
        return payload
    errors = _inventory_errors(store, data)
    if errors:
        payload = {"inventoryAdjustmentGroup": None, "userErrors": errors}
    else:
        group = store.set_quantities(data["name"], data["reason"], data.get("referenceDocumentUri"), data["quantities"])
        payload = {"inventoryAdjustmentGroup": group, "userErrors": []}
    store.idempotency[key] = (fingerprint, payload)
    return payload


def _inventory_errors(store, data):
    errors = []
    if data["name"] not in ("available", "on_hand"):
        errors.append(
            user_error(["input", "name"], "The quantity name must be either 'available' or 'on_hand'.", "INVALID_NAME")
        )
    if data["reason"] not in INVENTORY_REASONS:
        errors.append(user_error(["input", "reason"], "The specified reason is invalid.", "INVALID_REASON"))
    uri = data.get("referenceDocumentUri")
    if uri is not None and "://" not in uri:
        errors.append(
            user_error(
                ["input", "referenceDocumentUri"],
                "The reference document URI is invalid.",
                "INVALID_REFERENCE_DOCUMENT",
            )
        )
    seen = set()
    for index, entry in enumerate(data["quantities"]):
        errors += _quantity_errors(store, index, entry, data["name"], seen)
    return errors


def _quantity_errors(store, index, entry, name, seen):  # noqa: PLR0911  first failed check wins
    base = ["input", "quantities", index]
    pair = (entry["inventoryItemId"], entry["locationId"])
    if pair in seen:
        return [
            user_error(
                base,
                "The combination of inventoryItemId and locationId must be unique.",
                "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
            )
        ]
    seen.add(pair)
    if entry["inventoryItemId"] not in store.inventory_items:
        return [
            user_error(
                [*base, "inventoryItemId"], "The specified inventory item could not be found.", "INVALID_INVENTORY_ITEM"
            )
        ]
    if entry["locationId"] not in store.locations:
        return [user_error([*base, "locationId"], "The specified location could not be found.", "INVALID_LOCATION")]
    level = store.levels.get(pair)
    if level is None:
        return [
            user_error(
                [*base, "locationId"],
                "The specified inventory item is not stocked at the location.",
                "ITEM_NOT_STOCKED_AT_LOCATION",
            )
        ]
    if "changeFromQuantity" not in entry:
        return [
            user_error(
                [*base, "changeFromQuantity"],
                "changeFromQuantity is required; pass null to skip the compare check.",
                "COMPARE_QUANTITY_REQUIRED",
            )
        ]
    if entry["quantity"] > 1000000000:
        return [
            user_error(
                [*base, "quantity"], "The quantity can't be higher than 1,000,000,000.", "INVALID_QUANTITY_TOO_HIGH"
            )
        ]
    if name == "on_hand" and entry["quantity"] < 0:
        return [user_error([*base, "quantity"], "The quantity can't be negative.", "INVALID_QUANTITY_NEGATIVE")]
    current = level["_quantities"].get(name, 0)
    if entry["changeFromQuantity"] is not None and entry["changeFromQuantity"] != current:
        return [
            user_error(
                [*base, "changeFromQuantity"],
                "The specified compare quantity does not match the current quantity (%d)." % current,
                "CHANGE_FROM_QUANTITY_STALE",
            )
        ]
    return []


# -- orders and fulfilment -------------------------------------------------------------------
@computed("Mutation", "fulfillmentCreate")
def fulfillment_create(context, source, args, info):
    store, data = context.store, args["fulfillment"]
    groups, errors = [], []
    for _index, group in enumerate(data["lineItemsByFulfillmentOrder"]):
        fulfillment_order = store.fulfillment_orders.get(group["fulfillmentOrderId"])
        if fulfillment_order is None:
            errors.append(user_error(["fulfillment"], "Fulfillment order does not exist."))
            continue
        if fulfillment_order["status"] not in ("OPEN", "IN_PROGRESS"):
            errors.append(
                user_error(
                    ["fulfillment"],
                    "Fulfillment order %s has an unfulfillable status= %s."
                    % (fulfillment_order["id"], fulfillment_order["status"].lower()),
                )
            )
            continue
        wanted = None
        if group.get("fulfillmentOrderLineItems"):
            wanted, lines = {}, {line["id"]: line for line in fulfillment_order["lineItems"]}
            for item in group["fulfillmentOrderLineItems"]:
                line = lines.get(item["id"])
                if line is None:
                    errors.append(user_error(["fulfillment"], "Fulfillment order line item does not exist."))
                elif item["quantity"] <= 0 or item["quantity"] > line["remainingQuantity"]:
                    errors.append(
                        user_error(["fulfillment"], "Invalid fulfillment order line item quantity requested.")
                    )
                else:
                    wanted[item["id"]] = item["quantity"]
        groups.append((fulfillment_order, wanted))
    if not data["lineItemsByFulfillmentOrder"]:
        errors.append(user_error(["fulfillment"], "Line items by fulfillment order can't be blank."))
    if len({fo["_order_id"] for fo, _ in groups}) > 1:
        errors.append(user_error(["fulfillment"], "All fulfillment orders must belong to the same order."))
    # "The fulfillment orders are associated with the same Order and are assigned to the same Location"
    # (the schema's description of fulfillmentCreate). Shopify's exact wording of this refusal is not
    # documented: the message here is the sandbox's own.
    if len({fo["_location_id"] for fo, _ in groups}) > 1:
        errors.append(user_error(["fulfillment"], "All fulfillment orders must be assigned to the same location."))
    if errors:
        return {"fulfillment": None, "userErrors": errors}
    fulfillment = store.create_fulfillment(groups, data.get("trackingInfo") or {}, data.get("notifyCustomer"))
    return {"fulfillment": fulfillment, "userErrors": []}


@computed("Mutation", "orderCancel")
def order_cancel(context, source, args, info):
    store = context.store
    order = store.orders.get(args["orderId"])
    if order is None:
        error = user_error(["orderId"], "Order does not exist", "NOT_FOUND")
        return {"job": None, "orderCancelUserErrors": [error], "userErrors": [dict(error, code=None)]}
    if order["cancelledAt"]:
        error = user_error(["orderId"], "Order has already been cancelled", "INVALID")
        return {"job": None, "orderCancelUserErrors": [error], "userErrors": [dict(error, code=None)]}
    store.cancel_order(order, args["reason"], args["restock"])
    return {
        "job": {"id": store.new_gid("Job"), "done": True, "query": {}},
        "orderCancelUserErrors": [],
        "userErrors": [],
    }


# -- customers --------------------------------------------------------------------------------
@computed("Mutation", "customerSet")
def customer_set(context, source, args, info):
    store, data = context.store, args["input"]
    identifier = args.get("identifier") or {}
    customer, errors = None, []
    if identifier:
        if identifier.get("id"):
            customer = store.customers.get(identifier["id"])
            if customer is None:
                errors.append(user_error(["identifier", "id"], "Customer does not exist", "NOT_FOUND"))
        else:
            for key in ("email", "phone"):
                if identifier.get(key) and data.get(key) and identifier[key].lower() != data[key].lower():
                    errors.append(
                        user_error(["input", key], "The input %s does not match the identifier" % key, "INPUT_MISMATCH")
                    )
            customer = store.find_customer(identifier.get("email"), identifier.get("phone"))
    elif data.get("id"):
        customer = store.customers.get(data["id"])
        if customer is None:
            errors.append(user_error(["input", "id"], "Customer does not exist", "NOT_FOUND"))
    errors += _customer_errors(store, data, customer)
    if errors:
        return {"customer": None, "userErrors": errors}
    return {"customer": store.upsert_customer(data, customer), "userErrors": []}


def _customer_errors(store, data, customer):
    errors = []
    if customer is None and not any(data.get(k) for k in ("email", "phone", "firstName", "lastName")):
        errors.append(user_error(["input"], "A name, phone number, or email address must be present", "BLANK"))
    email = data.get("email")
    if email and ("@" not in email or "." not in email.split("@")[-1]):
        errors.append(user_error(["input", "email"], "Email is invalid", "INVALID"))
    elif email:
        other = store.find_customer(email=email)
        if other is not None and other is not customer:
            errors.append(user_error(["input", "email"], "Email has already been taken", "TAKEN"))
    phone = data.get("phone")
    if phone:
        other = store.find_customer(phone=phone)
        if other is not None and other is not customer:
            errors.append(user_error(["input", "phone"], "Phone has already been taken", "TAKEN"))
    return errors


# -- files and uploads ------------------------------------------------------------------------
@computed("Mutation", "stagedUploadsCreate")
def staged_uploads_create(context, source, args, info):
    store, targets, errors = context.store, [], []
    for index, entry in enumerate(args["input"]):
        if not entry["filename"]:
            errors.append(user_error(["input", index, "filename"], "Filename can't be blank"))
            continue
        key = "tmp/%s/%s" % (store.new_gid("StagedUpload").rsplit("/", 1)[-1], os.path.basename(entry["filename"]))
        targets.append(
            {
                "url": context.sandbox.upload_prefix()
                if entry.get("httpMethod") != "PUT"
                else context.sandbox.upload_prefix() + key,
                "resourceUrl": context.sandbox.upload_prefix() + key,
                "parameters": [
                    {"name": "key", "value": key},
                    {"name": "Content-Type", "value": entry["mimeType"]},
                    {"name": "success_action_status", "value": "201"},
                    {"name": "policy", "value": "sandbox-policy"},
                ],
            }
        )
    if errors:
        return {"stagedTargets": None, "userErrors": errors}
    return {"stagedTargets": targets, "userErrors": []}


@computed("Mutation", "fileCreate")
def file_create(context, source, args, info):
    store = context.store
    errors = [
        user_error(["files", i, "originalSource"], "Original source can't be blank", "BLANK_SEARCH")
        for i, f in enumerate(args["files"])
        if not f["originalSource"]
    ]
    errors += _source_errors(context, [f["originalSource"] for f in args["files"]], "files", "FILE_DOES_NOT_EXIST")
    if errors:
        return {"files": None, "userErrors": errors}
    created = []
    for entry in args["files"]:
        content_type = entry.get("contentType") or (
            "IMAGE" if entry["originalSource"].lower().endswith(IMAGE_EXTENSIONS) else "FILE"
        )
        media = store.create_media(entry["originalSource"], entry.get("alt"), content_type)
        media["originalFileSize"] = len(
            store.uploads.get(entry["originalSource"][len(context.sandbox.upload_prefix()) :], b"")
        )
        created.append(media)
    return {"files": created, "userErrors": []}


# -- bulk operations ---------------------------------------------------------------------------
@computed("Mutation", "bulkOperationRunQuery")
def bulk_operation_run_query(context, source, args, info):
    store, sandbox = context.store, context.sandbox
    data, errors = run_bulk_query(sandbox, args["query"])
    if not errors and not any(isinstance(v, dict) and ("edges" in v or "nodes" in v) for v in data.values()):
        errors = ["Bulk queries must contain at least one connection."]
    if errors:
        return {
            "bulkOperation": None,
            "userErrors": [user_error(["query"], "Invalid bulk query: " + e, "INVALID") for e in errors],
        }
    operation_id = store.new_gid("BulkOperation")
    text = bulk_jsonl(data)
    store.bulk_results[operation_id] = text
    lines = text.splitlines()
    operation = {
        "__typename": "BulkOperation",
        "id": operation_id,
        "type": "QUERY",
        "status": "COMPLETED",
        "query": args["query"],
        "createdAt": store.now(),
        "completedAt": store.now(),
        "objectCount": str(len(lines)),
        "rootObjectCount": str(sum('"__parentId"' not in line for line in lines)),
        "fileSize": str(len(text.encode())),
        "errorCode": None,
        "partialDataUrl": None,
        "url": sandbox.url + "/_sandbox/bulk/%s.jsonl" % operation_id.rsplit("/", 1)[-1] if text else None,
    }
    store.bulk_operations[operation_id] = operation
    store.emit("bulk_operations/finish", operation)
    # The mutation answers before the job has run, as on Shopify; polling shows COMPLETED.
    created = dict(
        operation, status="CREATED", completedAt=None, url=None, objectCount="0", rootObjectCount="0", fileSize=None
    )
    return {"bulkOperation": created, "userErrors": []}


# -- webhooks ---------------------------------------------------------------------------------
@computed("Mutation", "webhookSubscriptionCreate")
def webhook_subscription_create(context, source, args, info):
    store, data = context.store, args["webhookSubscription"]
    address = data.get("uri") or data.get("callbackUrl")
    field = ["webhookSubscription", "uri" if data.get("uri") else "callbackUrl"]
    if not address:
        return {"webhookSubscription": None, "userErrors": [user_error(field, "Address can't be blank")]}
    if not address.startswith(("http://", "https://")):
        return {"webhookSubscription": None, "userErrors": [user_error(field, "Address is invalid")]}
    if any(s["topic"] == args["topic"] and s["uri"] == address for s in store.webhook_subscriptions.values()):
        return {
            "webhookSubscription": None,
            "userErrors": [user_error(field, "Address for this topic has already been taken")],
        }
    subscription_id = store.new_gid("WebhookSubscription")
    subscription = {
        "__typename": "WebhookSubscription",
        "id": subscription_id,
        "topic": args["topic"],
        "uri": address,
        "callbackUrl": address,
        "format": data.get("format") or "JSON",
        "includeFields": data.get("includeFields") or [],
        "filter": data.get("filter"),
        "name": data.get("name"),
        "createdAt": store.now(),
        "updatedAt": store.now(),
        "apiVersion": {"handle": API_VERSION, "displayName": API_VERSION, "supported": True},
        "endpoint": {"__typename": "WebhookHttpEndpoint", "callbackUrl": address},
    }
    store.webhook_subscriptions[subscription_id] = subscription
    return {"webhookSubscription": subscription, "userErrors": []}


@computed("Mutation", "webhookSubscriptionDelete")
def webhook_subscription_delete(context, source, args, info):
    store = context.store
    if store.webhook_subscriptions.pop(args["id"], None) is None:
        return {
            "deletedWebhookSubscriptionId": None,
            "userErrors": [user_error(["id"], "Webhook subscription does not exist")],
        }
    return {"deletedWebhookSubscriptionId": args["id"], "userErrors": []}


def is_kind(value, kind):
    return gid_kind(value) == kind
