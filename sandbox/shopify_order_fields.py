"""Order fields Shopify always answers (non-null in the Admin API 2026-04 schema), derived from the order.

Each is written from the field's description in the schema (shopify.dev/docs/api/admin-graphql/2026-04/
objects/Order) and kept to what the sandbox's orders can say: payments follow the order's financial
status (one transaction per payment, per refund), risk is what ``ShopifySandbox.set_order_risk`` set
(low by default), and what the sandbox has no notion of (edits, returns, disputes, tips, duties, cash
rounding) answers as an order without them does.
"""

from .shopify_api import computed
from .shopify_store import bag, gid_number, money

# What the sandbox's payment state becomes as transactions: (kind, status) for the amount received or owed.
PAYMENT_TRANSACTIONS = {
    "PAID": ("SALE", "SUCCESS"),
    "PARTIALLY_PAID": ("SALE", "SUCCESS"),
    "AUTHORIZED": ("AUTHORIZATION", "SUCCESS"),
    "PENDING": ("SALE", "PENDING"),
    "PARTIALLY_REFUNDED": ("SALE", "SUCCESS"),
    "REFUNDED": ("SALE", "SUCCESS"),
    "VOIDED": ("VOID", "SUCCESS"),
    "EXPIRED": ("AUTHORIZATION", "FAILURE"),
}
# The gateway the sandbox's buyers pay with; a pending order is a manual payment (bank transfer, COD).
CARD_GATEWAY, MANUAL_GATEWAY = "shopify_payments", "manual"


def _amount(money_bag):
    return float(money_bag["shopMoney"]["amount"])


def _total(order):
    return _amount(order["totalPriceSet"])


def _received(order):
    return _amount(order.get("totalReceivedSet") or bag(0))


def _transaction(order, index, kind, status, amount, *, gateway, created_at):
    return {
        "__typename": "OrderTransaction",
        "id": "gid://shopify/OrderTransaction/%d" % (gid_number(order["id"]) * 100 + index),
        "kind": kind, "status": status, "gateway": gateway, "formattedGateway": gateway.replace("_", " ").title(),
        "amountSet": bag(amount), "amountV2": money(amount), "amount": "%.2f" % amount,
        "createdAt": created_at, "processedAt": created_at, "fees": [], "test": order.get("test", False),
        "manualPaymentGateway": gateway == MANUAL_GATEWAY,
        "manuallyCapturable": kind == "AUTHORIZATION" and status == "SUCCESS",
        "multiCapturable": False, "errorCode": None, "parentTransaction": None, "authorizationCode": None,
    }


def order_transactions(order):
    """The order's payments then its refunds, as OrderTransaction objects."""
    status = order.get("displayFinancialStatus") or "PENDING"
    kind, outcome = PAYMENT_TRANSACTIONS.get(status, ("SALE", "PENDING"))
    gateway = MANUAL_GATEWAY if status == "PENDING" else CARD_GATEWAY
    paid = _received(order) if status in ("PAID", "PARTIALLY_PAID") else _total(order)
    if status in ("PARTIALLY_REFUNDED", "REFUNDED"):
        paid = _total(order)
    transactions = [_transaction(order, 1, kind, outcome, paid, gateway=gateway, created_at=order["processedAt"])]
    for index, refund in enumerate(order.get("refunds") or [], start=2):
        transactions.append(_transaction(order, index, "REFUND", "SUCCESS", _amount(refund["totalRefundedSet"]),
                                         gateway=gateway, created_at=refund["createdAt"]))
    return transactions


@computed("Order", "transactions")
def _order_transactions(context, source, args, info):
    transactions = order_transactions(source)
    return transactions[: args["first"]] if args.get("first") else transactions


@computed("Order", "paymentGatewayNames")
def _order_gateways(context, source, args, info):
    return sorted({transaction["gateway"] for transaction in order_transactions(source)})


@computed("Order", "capturable")
def _order_capturable(context, source, args, info):
    # "Returns true if an authorized payment exists that hasn't been fully captured yet."
    return source.get("displayFinancialStatus") in ("AUTHORIZED", "PARTIALLY_PAID") and not source.get("cancelledAt")


@computed("Order", "totalCapturableSet")
def _order_capturable_amount(context, source, args, info):
    if source.get("displayFinancialStatus") == "AUTHORIZED" and not source.get("cancelledAt"):
        return bag(_total(source))
    return bag(0)


@computed("Order", "unpaid")
def _order_unpaid(context, source, args, info):
    # "Whether no payments have been made for the order."
    return _received(source) <= 0 and source.get("displayFinancialStatus") not in ("PAID", "PARTIALLY_REFUNDED",
                                                                                  "REFUNDED")


@computed("Order", "canMarkAsPaid")
def _order_can_mark_as_paid(context, source, args, info):
    # "false if the order is already paid, is canceled, has pending Shopify Payments transactions..."
    return (source.get("displayFinancialStatus") in ("PENDING", "PARTIALLY_PAID") and not source.get("cancelledAt"))


@computed("Order", "refundable")
def _order_refundable(context, source, args, info):
    paid = source.get("displayFinancialStatus") in ("PAID", "PARTIALLY_PAID", "PARTIALLY_REFUNDED")
    return paid and _received(source) - _amount(source.get("totalRefundedSet") or bag(0)) > 0


@computed("Order", "fulfillable")
def _order_fulfillable(context, source, args, info):
    if source.get("cancelledAt"):
        return False
    store = context.store
    return any(line["remainingQuantity"] > 0
               for fo_id in source.get("_fulfillment_order_ids") or []
               for line in store.fulfillment_orders[fo_id]["lineItems"]
               if store.fulfillment_orders[fo_id]["status"] not in ("CLOSED", "CANCELLED"))


@computed("Order", "requiresShipping")
def _order_requires_shipping(context, source, args, info):
    return any(line.get("requiresShipping", True) for line in source["lineItems"])


@computed("Order", "restockable")
def _order_restockable(context, source, args, info):
    return any(line.get("restockable") and line.get("currentQuantity", 0) > 0 for line in source["lineItems"])


@computed("Order", "canNotifyCustomer")
def _order_can_notify(context, source, args, info):
    return bool(source.get("email"))


@computed("Order", "billingAddressMatchesShippingAddress")
def _order_same_addresses(context, source, args, info):
    return source.get("billingAddress") == source.get("shippingAddress")


@computed("Order", "merchantEditable")
def _order_editable(context, source, args, info):
    return not source.get("cancelledAt") and not source.get("closed")


@computed("Order", "currentTaxLines")
def _order_current_tax_lines(context, source, args, info):
    return source.get("taxLines") or []


@computed("Order", "statusPageUrl")
def _order_status_page(context, source, args, info):
    return "https://%s/%d/orders/%d/authenticate" % (context.sandbox.shop_domain, 954889, gid_number(source["id"]))


@computed("Order", "totalRefundedShippingSet")
def _order_refunded_shipping(context, source, args, info):
    return source.get("totalRefundedShippingSet") or bag(0)


@computed("Order", "totalTipReceivedSet", "refundDiscrepancySet")
def _order_zero_money(context, source, args, info):
    return bag(0)  # the sandbox's buyers leave no tips; its refunds are the suggested ones


@computed("Order", "totalCashRoundingAdjustment")
def _order_cash_rounding(context, source, args, info):
    return {"__typename": "CashRoundingAdjustment", "paymentSet": bag(0), "refundSet": bag(0)}


@computed("Order", "edited", "dutiesIncluded", "estimatedTaxes", "customerAcceptsMarketing", "productNetwork",
          "hasTimelineComment")
def _order_false(context, source, args, info):
    return bool(source.get(info.field_name, False))


@computed("Order", "currentTotalWeight")
def _order_weight(context, source, args, info):
    return 0


@computed("Order", "returnStatus")
def _order_return_status(context, source, args, info):
    return "NO_RETURN"


@computed("Order", "alerts", "disputes", "merchantEditableErrors", "returns", "events", "metafields",
          "localizedFields", "nonFulfillableLineItems", "additionalFees", "agreements")
def _order_none_yet(context, source, args, info):
    return []


@computed("Order", "risk")
def _order_risk(context, source, args, info):
    """OrderRiskSummary: what set_order_risk recorded, else Shopify's analysis found a low risk."""
    level, recommendation = source.get("_risk") or ("LOW", "ACCEPT")
    return {"__typename": "OrderRiskSummary", "recommendation": recommendation,
            "assessments": [{"__typename": "OrderRiskAssessment", "riskLevel": level, "facts": [], "provider": None}]}


@computed("Order", "currentCartDiscountAmountSet")
def _order_cart_discounts(context, source, args, info):
    """"Discounts applied to the entire order rather than individual items": the lines' allocations of
    applications that target all lines (an order-level code or automatic discount), after refunds."""
    total = 0.0
    for line in source["lineItems"]:
        share = line["currentQuantity"] / line["quantity"] if line["quantity"] else 0
        for allocation in line.get("discountAllocations") or []:
            application = allocation.get("discountApplication") or {}
            if application.get("targetSelection") == "ALL" and application.get("targetType") == "LINE_ITEM":
                total += _amount(allocation["allocatedAmountSet"]) * share
    return bag(round(total, 2))


@computed("Order", "paymentCollectionDetails")
def _order_payment_collection(context, source, args, info):
    return {"__typename": "OrderPaymentCollectionDetails", "additionalPaymentCollectionUrl": None,
            "vaultedPaymentMethods": []}
