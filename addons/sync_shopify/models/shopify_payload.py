"""Checks of what Shopify sends (orders, products), before anything is written in Odoo.

Each ``*_problems`` function returns every problem of one payload, in the words of
Shopify's fields, so that the failed job tells staff what to correct.
"""

from odoo.addons.sync_base.payload import Problems, quote


def _shop_amount(money_bag):
    """The shop-currency amount of a MoneyBag, or the bag itself when it is not one."""
    if not isinstance(money_bag, dict):
        return money_bag
    shop_money = money_bag.get("shopMoney")
    return shop_money.get("amount") if isinstance(shop_money, dict) else shop_money


def order_problems(env, data):
    problems = Problems(env)
    problems.text(data.get("name"), "name", required=True)
    problems.timestamp(data.get("createdAt"), "createdAt")
    problems.timestamp(data.get("updatedAt"), "updatedAt")
    problems.text(data.get("currencyCode"), "currencyCode", required=True)
    problems.text(data.get("displayFinancialStatus"), "displayFinancialStatus")
    for field in ("email", "phone", "note"):
        problems.text(data.get(field), field)
    problems.texts(data.get("tags"), "tags")
    problems.texts(data.get("discountCodes"), "discountCodes")
    for field in ("totalPriceSet", "totalTaxSet"):
        problems.amount(_shop_amount(data.get(field)), field)
    if problems.object(data.get("customer"), "customer"):
        customer = data["customer"]
        for field in ("id", "firstName", "lastName"):
            problems.text(customer.get(field), "customer " + field)
        if problems.object(customer.get("defaultEmailAddress"), "customer defaultEmailAddress"):
            problems.text(customer["defaultEmailAddress"].get("emailAddress"), "customer emailAddress")
        if problems.object(customer.get("defaultPhoneNumber"), "customer defaultPhoneNumber"):
            problems.text(customer["defaultPhoneNumber"].get("phoneNumber"), "customer phoneNumber")
    for address_field in ("billingAddress", "shippingAddress"):
        if problems.object(data.get(address_field), address_field):
            for field in ("name", "address1", "address2", "city", "zip", "countryCodeV2", "phone"):
                problems.text(data[address_field].get(field), "%s %s" % (address_field, field))
    _shipping_line_problems(problems, data.get("shippingLines"))
    _line_item_problems(problems, data.get("lineItems"))
    return problems


def _nodes(connection):
    return connection.get("nodes") if isinstance(connection, dict) else None


def _shipping_line_problems(problems, shipping_lines):
    if shipping_lines is None:
        return
    nodes = _nodes(shipping_lines)
    if not isinstance(nodes, list):
        problems.append(problems.env._("shippingLines is not a list of shipping lines"))
        return
    for index, shipping in enumerate(nodes, 1):
        where = problems.env._("shipping line %(index)s", index=index)
        if not problems.object(shipping, where, required=True):
            continue
        problems.text(shipping.get("title"), where + " title")
        problems.amount(_shop_amount(shipping.get("originalPriceSet")), where + " price")
        _allocation_problems(problems, shipping.get("discountAllocations"), where)
        problems.tax_lines(shipping.get("taxLines"), where + " taxLines")


def _allocation_problems(problems, allocations, where):
    if allocations is None:
        return
    if not isinstance(allocations, list):
        problems.append(problems.env._("%(where)s discountAllocations is not a list", where=where))
        return
    for allocation in allocations:
        if problems.object(allocation, where + " discountAllocations", required=True):
            problems.amount(_shop_amount(allocation.get("allocatedAmountSet")), where + " discount")


def _line_item_problems(problems, line_items):
    items = _nodes(line_items)
    if not isinstance(items, list) or not items:
        problems.append(problems.env._("the order has no line items"))
        return
    for index, item in enumerate(items, 1):
        where = problems.env._("line %(index)s", index=index)
        if not problems.object(item, where, required=True):
            continue
        problems.text(item.get("id"), where + " id", required=True)
        problems.text(item.get("name"), where + " name", required=True)
        problems.text(item.get("sku"), where + " sku")
        problems.quantity(item.get("quantity"), where + " quantity")
        problems.amount(_shop_amount(item.get("originalUnitPriceSet")), where + " unit price")
        _allocation_problems(problems, item.get("discountAllocations"), where)
        problems.tax_lines(item.get("taxLines"), where + " taxLines")


def check_order(env, data):
    """Raise a validation failure listing every problem of a Shopify order; return it otherwise."""
    order_problems(env, data).raise_if_any(env._("Order %s", quote(data.get("name") or data.get("id"))), "Shopify")
    return data


def product_problems(env, data):
    problems = Problems(env)
    problems.text(data.get("title"), "title", required=True)
    problems.text(data.get("descriptionHtml"), "descriptionHtml")
    problems.timestamp(data.get("updatedAt"), "updatedAt")
    problems.texts(data.get("tags"), "tags")
    if problems.object(data.get("seo"), "seo"):
        problems.text(data["seo"].get("title"), "seo title")
        problems.text(data["seo"].get("description"), "seo description")
    return problems


def check_product(env, data):
    subject = env._("Shopify product %(gid)s (%(title)s)", gid=data.get("id"), title=quote(data.get("title")))
    product_problems(env, data).raise_if_any(subject, "Shopify")
    return data
