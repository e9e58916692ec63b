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
        for field in ("id", "email", "firstName", "lastName", "phone"):
            problems.text(data["customer"].get(field), "customer " + field)
    for address_field in ("billingAddress", "shippingAddress"):
        if problems.object(data.get(address_field), address_field):
            for field in ("name", "address1", "address2", "city", "zip", "countryCodeV2", "phone"):
                problems.text(data[address_field].get(field), "%s %s" % (address_field, field))
    if problems.object(data.get("shippingLine"), "shippingLine"):
        shipping = data["shippingLine"]
        problems.text(shipping.get("title"), "shippingLine title")
        price = shipping.get("discountedPriceSet") or shipping.get("originalPriceSet")
        problems.amount(_shop_amount(price), "shippingLine price")
    problems.tax_lines(data.get("taxLines"), "taxLines")
    _line_item_problems(problems, data.get("lineItems"))
    return problems


def _line_item_problems(problems, line_items):
    items = (line_items or {}).get("nodes") if isinstance(line_items, dict) else None
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
        problems.amount(_shop_amount(item.get("totalDiscountSet")), where + " discount", required=False)
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
