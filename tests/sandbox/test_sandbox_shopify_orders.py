"""Contract tests of the orders the Shopify sandbox makes, written from the Admin GraphQL 2026-04
reference (shopify.dev/docs/api/admin-graphql/2026-04):

- objects/LineItem: ``discountAllocations`` are "the discounts that have been allocated to the line item
  by discount applications"; ``totalDiscountSet`` and ``discountedTotalSet`` "don't include order-level
  discounts".
- objects/Order: ``totalDiscountsSet`` "includes both order and line level discounts";
  ``discountApplications``; ``taxesIncluded``; ``taxExempt``.
- objects/ShippingLine: ``taxLines``, ``discountAllocations``.
- interfaces/DiscountApplication: ``allocationMethod``, ``targetSelection``, ``targetType``, ``value``.
"""

from decimal import Decimal

from sandbox.shopify_pricing import Discount

ORDER = """
query Order($id: ID!) {
  order(id: $id) {
    taxesIncluded taxExempt discountCodes
    subtotalPriceSet { shopMoney { amount } } totalPriceSet { shopMoney { amount } }
    totalTaxSet { shopMoney { amount } } totalDiscountsSet { shopMoney { amount } }
    totalShippingPriceSet { shopMoney { amount } }
    discountApplications(first: 10) { nodes { __typename allocationMethod targetSelection targetType index
      value { ... on PricingPercentageValue { percentage } ... on MoneyV2 { amount currencyCode } }
      ... on DiscountCodeApplication { code } ... on AutomaticDiscountApplication { title } } }
    shippingLines(first: 5) { nodes { originalPriceSet { shopMoney { amount } }
      discountedPriceSet { shopMoney { amount } }
      discountAllocations { allocatedAmountSet { shopMoney { amount } } }
      taxLines { rate priceSet { shopMoney { amount } } } } }
    lineItems(first: 20) { nodes { quantity isGiftCard sku variant { id }
      originalTotalSet { shopMoney { amount } } totalDiscountSet { shopMoney { amount } }
      discountedTotalSet { shopMoney { amount } }
      discountAllocations { allocatedAmountSet { shopMoney { amount } }
        discountApplication { index targetSelection } }
      taxLines { title rate priceSet { shopMoney { amount } } } }
      pageInfo { hasNextPage endCursor } }
  }
}
"""


def money(bag):
    return Decimal(bag["shopMoney"]["amount"])


def variants(shop, count):
    return sorted(shop.store.variants.values(), key=lambda v: v["id"])[:count]


def read(gql, order):
    return gql.data(ORDER, {"id": order["id"]})["order"]


def allocated(record):
    return sum((money(a["allocatedAmountSet"]) for a in record["discountAllocations"]), Decimal(0))


def check_totals(data):
    """Shopify's identities: the lines after every allocation plus shipping (plus tax when it is not
    included) make the total; the allocations make the discounts; the tax lines make the tax."""
    lines = data["lineItems"]["nodes"]
    shipping = data["shippingLines"]["nodes"]
    subtotal = sum((money(line["originalTotalSet"]) - allocated(line) for line in lines), Decimal(0))
    shipping_net = sum((money(s["originalPriceSet"]) - allocated(s) for s in shipping), Decimal(0))
    taxes = sum((money(t["priceSet"]) for record in lines + shipping for t in record["taxLines"]), Decimal(0))
    assert money(data["subtotalPriceSet"]) == subtotal
    assert money(data["totalShippingPriceSet"]) == shipping_net
    assert money(data["totalTaxSet"]) == taxes
    assert money(data["totalDiscountsSet"]) == sum((allocated(r) for r in lines + shipping), Decimal(0))
    expected = subtotal + shipping_net + (0 if data["taxesIncluded"] else taxes)
    assert money(data["totalPriceSet"]) == expected


def test_order_level_code_is_allocated_to_lines_not_in_their_line_discount(shop, gql):
    first, second = variants(shop, 2)
    order = shop.store.create_order(None, [(first, 2), (second, 1)],
                                    discounts=[Discount("code", "WELCOME10", "order", percentage=10)])
    data = read(gql, order)
    application = data["discountApplications"]["nodes"][0]
    assert application == {"__typename": "DiscountCodeApplication", "allocationMethod": "ACROSS",
                           "targetSelection": "ALL", "targetType": "LINE_ITEM", "index": 0,
                           "value": {"percentage": 10.0}, "code": "WELCOME10"}
    for line in data["lineItems"]["nodes"]:
        assert money(line["totalDiscountSet"]) == 0
        assert money(line["discountedTotalSet"]) == money(line["originalTotalSet"])
        assert line["discountAllocations"][0]["discountApplication"]["targetSelection"] == "ALL"
    gross = sum(money(line["originalTotalSet"]) for line in data["lineItems"]["nodes"])
    assert sum(allocated(line) for line in data["lineItems"]["nodes"]) == (gross / 10).quantize(Decimal("0.01"))
    assert data["discountCodes"] == ["WELCOME10"]
    check_totals(data)


def test_fixed_amount_spread_adds_up_to_the_amount(shop, gql):
    lines = [(variant, quantity) for variant, quantity in zip(variants(shop, 3), (1, 2, 3), strict=True)]
    order = shop.store.create_order(None, lines, discounts=[Discount("code", "5OFF", "order", amount=5)])
    data = read(gql, order)
    assert sum(allocated(line) for line in data["lineItems"]["nodes"]) == Decimal("5.00")
    assert data["discountApplications"]["nodes"][0]["value"] == {"amount": "5.00", "currencyCode": "EUR"}
    check_totals(data)


def test_line_level_discount_is_in_the_line_discount(shop, gql):
    first, second = variants(shop, 2)
    order = shop.store.create_order(None, [(first, 1), (second, 1)], discounts=[
        Discount("automatic", "Summer", "lines", percentage=20, lines=[0])])
    first_line, second_line = read(gql, order)["lineItems"]["nodes"]
    assert money(first_line["totalDiscountSet"]) == allocated(first_line) > 0
    assert money(first_line["discountedTotalSet"]) == money(first_line["originalTotalSet"]) - allocated(first_line)
    assert second_line["discountAllocations"] == []


def test_shipping_lines_carry_their_own_taxes_and_discounts(shop, gql):
    (variant,) = variants(shop, 1)
    untaxed = read(gql, shop.store.create_order(None, [(variant, 1)], shipping=7.5, shipping_rate=0))
    assert untaxed["shippingLines"]["nodes"][0]["taxLines"] == []
    check_totals(untaxed)
    free = read(gql, shop.store.create_order(None, [(variant, 1)], shipping=7.5, discounts=[
        Discount("code", "FREESHIP", "shipping", percentage=100)]))
    shipping = free["shippingLines"]["nodes"][0]
    assert money(shipping["discountedPriceSet"]) == 0
    assert allocated(shipping) == Decimal("7.50")
    assert free["discountApplications"]["nodes"][0]["targetType"] == "SHIPPING_LINE"
    check_totals(free)


def test_tax_included_prices_and_tax_exempt_orders(shop, gql):
    first, second = variants(shop, 2)
    included = read(gql, shop.store.create_order(None, [(first, 2), (second, 1)], taxes_included=True))
    assert included["taxesIncluded"] is True
    line = included["lineItems"]["nodes"][0]
    net = money(line["originalTotalSet"])
    assert money(line["taxLines"][0]["priceSet"]) == (net * Decimal("0.2") / Decimal("1.2")).quantize(Decimal("0.01"))
    check_totals(included)
    exempt = read(gql, shop.store.create_order(None, [(first, 1)], tax_exempt=True))
    assert exempt["taxExempt"] is True and money(exempt["totalTaxSet"]) == 0
    check_totals(exempt)


def test_custom_items_and_gift_cards_have_no_variant(shop, gql):
    (variant,) = variants(shop, 1)
    data = read(gql, shop.store.create_order(None, [
        (variant, 1), {"title": "Engraving", "price": "12.00", "quantity": 1},
        {"title": "Gift card", "price": "50.00", "quantity": 1, "gift_card": True}]))
    _, custom, gift = data["lineItems"]["nodes"]
    assert custom["variant"] is None and custom["sku"] is None and custom["taxLines"]
    assert gift["isGiftCard"] is True and gift["taxLines"] == []
    check_totals(data)


def test_long_orders_page_their_line_items(shop, gql):
    order = shop.store.create_order(None, [(variant, 1) for variant in variants(shop, 30)] * 2)
    first = gql.data("""query($id: ID!) { order(id: $id) { lineItems(first: 50) {
        nodes { id } pageInfo { hasNextPage endCursor } } } }""", {"id": order["id"]})["order"]["lineItems"]
    assert len(first["nodes"]) == 50 and first["pageInfo"]["hasNextPage"]
    rest = gql.data("""query($id: ID!, $after: String) { order(id: $id) { lineItems(first: 50, after: $after) {
        nodes { id } pageInfo { hasNextPage } } } }""",
                    {"id": order["id"], "after": first["pageInfo"]["endCursor"]})["order"]["lineItems"]
    assert len(rest["nodes"]) == 10 and not rest["pageInfo"]["hasNextPage"]


def test_payment_states(shop, gql):
    (variant,) = variants(shop, 1)
    for status, received in (("PENDING", False), ("AUTHORIZED", False), ("PAID", True)):
        order = shop.store.create_order(None, [(variant, 1)], financial_status=status)
        data = gql.data("""query($id: ID!) { order(id: $id) { displayFinancialStatus fullyPaid
            totalOutstandingSet { shopMoney { amount } } } }""", {"id": order["id"]})["order"]
        assert data["displayFinancialStatus"] == status
        assert data["fullyPaid"] is received
        assert (money(data["totalOutstandingSet"]) == 0) is received


PAYMENTS = """
query Payments($id: ID!) {
  order(id: $id) {
    displayFinancialStatus unpaid capturable canMarkAsPaid refundable paymentGatewayNames
    totalCapturableSet { shopMoney { amount } } totalTipReceivedSet { shopMoney { amount } }
    transactions(first: 10) { kind status gateway manualPaymentGateway amountSet { shopMoney { amount } } }
    risk { recommendation assessments { riskLevel } }
    currentCartDiscountAmountSet { shopMoney { amount } } requiresShipping fulfillable returnStatus edited
  }
}
"""


def test_payments_and_risk_are_answered_as_the_schema_requires(shop, gql):
    """Order fields the 2026-04 schema declares non-null (transactions, paymentGatewayNames, unpaid,
    capturable, canMarkAsPaid, totalCapturableSet, totalTipReceivedSet, risk...), following the payment:
    a paid order has one successful sale, an authorized one an authorization to capture, a pending one a
    manual payment to mark as paid. Risk is low unless Shopify's analysis said otherwise."""
    first, second = variants(shop, 2)
    shapes = {status: shop.store.create_order(None, [(first, 1), (second, 2)], financial_status=status,
                                              discount_rate=0.1, discount_code="TEN")
              for status in ("PAID", "AUTHORIZED", "PENDING")}
    paid, authorized, pending = (gql.data(PAYMENTS, {"id": shapes[s]["id"]})["order"]
                                 for s in ("PAID", "AUTHORIZED", "PENDING"))
    total = shapes["PAID"]["totalPriceSet"]["shopMoney"]["amount"]
    assert [(t["kind"], t["status"]) for t in paid["transactions"]] == [("SALE", "SUCCESS")]
    assert Decimal(paid["transactions"][0]["amountSet"]["shopMoney"]["amount"]) == Decimal(total)
    flags = (paid["unpaid"], paid["capturable"], paid["canMarkAsPaid"], paid["refundable"])
    assert flags == (False, False, False, True)
    assert [(t["kind"], t["status"]) for t in authorized["transactions"]] == [("AUTHORIZATION", "SUCCESS")]
    assert authorized["capturable"] and authorized["unpaid"] and Decimal(
        authorized["totalCapturableSet"]["shopMoney"]["amount"]) > 0
    assert pending["transactions"][0]["manualPaymentGateway"] and pending["canMarkAsPaid"]
    assert pending["paymentGatewayNames"] == ["manual"]
    assert Decimal(paid["totalTipReceivedSet"]["shopMoney"]["amount"]) == 0
    assert Decimal(paid["currentCartDiscountAmountSet"]["shopMoney"]["amount"]) > 0, "the code is on the order"
    assert paid["risk"] == {"recommendation": "ACCEPT", "assessments": [{"riskLevel": "LOW"}]}
    shop.set_order_risk(shapes["PAID"]["id"], "HIGH", "CANCEL")
    risk = gql.data(PAYMENTS, {"id": shapes["PAID"]["id"]})["order"]["risk"]
    assert risk == {"recommendation": "CANCEL", "assessments": [{"riskLevel": "HIGH"}]}


def test_orders_older_than_sixty_days_need_read_all_orders(shop, gql):
    """shopify.dev/docs/api/usage/access-scopes, read_all_orders: without it an app reads the last 60 days
    of orders only."""
    old, recent = shop.generate_orders(2, seed=8, cancel_rate=0, refund_rate=0)
    shop.store.orders[old["id"]]["createdAt"] = "2020-01-15T10:00:00Z"
    listed = {node["id"] for node in gql.data("{ orders(first: 50) { nodes { id } } }")["orders"]["nodes"]}
    assert recent["id"] in listed and old["id"] not in listed
    shop.auth.scopes = [*shop.auth.scopes, "read_all_orders"]
    listed = {node["id"] for node in gql.data("{ orders(first: 50) { nodes { id } } }")["orders"]["nodes"]}
    assert old["id"] in listed
