"""An order's money as Shopify computes it: discount applications allocated to lines and shipping lines,
taxes per line and per shipping line, tax-inclusive prices, totals.

Written from the Admin GraphQL API 2026-04 reference (shopify.dev/docs/api/admin-graphql/2026-04):

- ``LineItem.discountAllocations``: "the discounts that have been allocated to the line item by discount
  applications", line-level and order-level alike; ``LineItem.totalDiscountSet`` and ``discountedTotalSet``
  "don't include order-level discounts".
- ``DiscountApplication`` (objects/DiscountApplication): ``allocationMethod`` ACROSS / EACH / ONE,
  ``targetSelection`` ALL / ENTITLED / EXPLICIT, ``targetType`` LINE_ITEM / SHIPPING_LINE, ``value`` a
  ``MoneyV2`` or a ``PricingPercentageValue``; implemented by DiscountCodeApplication (``code``),
  AutomaticDiscountApplication, ManualDiscountApplication and ScriptDiscountApplication (``title``).
- ``ShippingLine``: its own ``taxLines`` and ``discountAllocations``; ``originalPriceSet`` and
  ``discountedPriceSet`` include tax when ``Order.taxesIncluded`` is true.
- ``Order.totalDiscountsSet``: "includes both order and line level discounts"; ``Order.subtotalPriceSet``:
  the line items after discounts, before shipping and taxes (taxes included when ``taxesIncluded``).

Not documented, so chosen here (and said so in the sandbox README): an amount spread ACROSS several lines is
split in proportion to what each line still costs, in whole cents by largest remainder, so that the
allocations always add up to the discount and none is negative; taxes are rounded per line, half up.
"""

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")

DISCOUNT_TYPES = {
    "code": "DiscountCodeApplication",
    "automatic": "AutomaticDiscountApplication",
    "manual": "ManualDiscountApplication",
    "script": "ScriptDiscountApplication",
}


def cents(value):
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def spread(total, weights):
    """``total`` split in proportion to ``weights`` in whole cents, by largest remainder: every share is
    rounded down, then the cents left go to the shares that lost the most. Never negative, never more
    than a share's weight, and the shares always add up to ``total``."""
    weight_sum = sum(weights)
    if not weights or not weight_sum:
        return [Decimal(0)] * len(weights)
    exact = [total * weight / weight_sum for weight in weights]
    shares = [share.quantize(CENT, rounding=ROUND_DOWN) for share in exact]
    left = int((total - sum(shares)) / CENT)
    by_loss = sorted(range(len(shares)), key=lambda index: exact[index] - shares[index], reverse=True)
    for index in by_loss[:left]:
        shares[index] += CENT
    return shares


class Discount:
    """One discount the buyer got: a code, an automatic discount, a manual (staff) or script discount.

    ``target``: "order" (every line, ACROSS, targetSelection ALL: a code such as "10% off the entire order"),
    "lines" (the lines named by ``lines``, line-level, targetSelection ENTITLED) or "shipping".
    Exactly one of ``percentage`` and ``amount`` is given; a line-level amount is per unit (EACH).
    """

    def __init__(self, kind="code", name="WELCOME10", target="order", *, percentage=None, amount=None, lines=None):
        assert (percentage is None) != (amount is None), "give a percentage or an amount"
        self.kind, self.name, self.target = kind, name, target
        self.percentage = Decimal(str(percentage)) if percentage is not None else None
        self.amount = Decimal(str(amount)) if amount is not None else None
        self.lines = lines

    @property
    def line_level(self):
        return self.target == "lines"

    def application(self, index, money):
        each = self.line_level and self.amount is not None
        application = {
            "__typename": DISCOUNT_TYPES[self.kind],
            "index": index,
            "allocationMethod": "EACH" if each else "ACROSS",
            "targetSelection": {"order": "ALL", "lines": "ENTITLED", "shipping": "ALL"}[self.target],
            "targetType": "SHIPPING_LINE" if self.target == "shipping" else "LINE_ITEM",
            "value": (
                {"__typename": "PricingPercentageValue", "percentage": float(self.percentage)}
                if self.percentage is not None
                else dict(money(self.amount), __typename="MoneyV2")
            ),
        }
        if self.kind == "code":
            application["code"] = self.name
        else:
            application["title"] = self.name
            application["description"] = self.name if self.kind == "script" else None
        return application

    def allocate(self, remaining, quantities):
        """The amount taken from each target, given what each still costs."""
        if self.percentage is not None:
            if self.line_level:
                return [cents(left * self.percentage / 100) for left in remaining]
            return spread(min(sum(remaining), cents(sum(remaining) * self.percentage / 100)), remaining)
        if self.line_level:
            return [min(left, self.amount * quantity) for left, quantity in zip(remaining, quantities, strict=True)]
        return spread(min(sum(remaining), self.amount), remaining)


def tax_of(amount, rate, included):
    rate = Decimal(str(rate))
    return cents(amount * rate / (1 + rate)) if included else cents(amount * rate)


def price(lines, shipping_lines, discounts, *, taxes_included=False, tax_exempt=False, money=None):
    """Allocate ``discounts`` and compute taxes and totals.

    lines: dicts with ``price`` (unit), ``quantity``, ``rate`` (0 for untaxed) and ``tax_title``;
    shipping_lines: dicts with ``price``, ``rate``, ``tax_title``. Adds to each the GraphQL fields
    Shopify answers (allocations, tax lines, discounted totals) and returns the order's money fields.
    """
    applications = []
    for line in lines:
        line["_original"] = cents(Decimal(str(line["price"])) * line["quantity"])
        line["_left"], line["_line_discount"], line["discountAllocations"] = line["_original"], Decimal(0), []
    for shipping in shipping_lines:
        shipping["_original"] = shipping["_left"] = cents(Decimal(str(shipping["price"])))
        shipping["discountAllocations"] = []
    for index, discount in enumerate(discounts):
        application = discount.application(index, money)
        applications.append(application)
        if discount.target == "shipping":
            targets = shipping_lines
        elif discount.line_level:
            targets = [line for position, line in enumerate(lines) if position in (discount.lines or ())]
        else:
            targets = lines
        shares = discount.allocate([target["_left"] for target in targets],
                                   [target.get("quantity", 1) for target in targets])
        for target, share in zip(targets, shares, strict=True):
            if not share:
                continue
            target["_left"] -= share
            if discount.line_level:
                target["_line_discount"] += share
            target["discountAllocations"].append({"allocatedAmountSet": bag(share, money),
                                                  "discountApplication": application})
    tax_total, tax_by_rate = Decimal(0), {}
    for record in lines + shipping_lines:
        record["taxLines"] = []
        if tax_exempt or not record.get("rate"):
            continue
        tax = tax_of(record["_left"], record["rate"], taxes_included)
        tax_total += tax
        key = (record["tax_title"], record["rate"])
        tax_by_rate[key] = tax_by_rate.get(key, Decimal(0)) + tax
        record["taxLines"].append(tax_line(record["tax_title"], record["rate"], tax, money))
    subtotal = sum((line["_left"] for line in lines), Decimal(0))
    shipping_total = sum((shipping["_left"] for shipping in shipping_lines), Decimal(0))
    discounts_total = sum((target["_original"] - target["_left"] for target in lines + shipping_lines), Decimal(0))
    total = subtotal + shipping_total + (0 if taxes_included else tax_total)
    return {
        "discountApplications": applications,
        "subtotal": subtotal,
        "shipping": shipping_total,
        "tax": tax_total,
        "discounts": discounts_total,
        "total": total,
        "taxLines": [tax_line(title, rate, tax, money) for (title, rate), tax in tax_by_rate.items()],
    }


def tax_line(title, rate, amount, money):
    return {
        "title": title,
        "rate": rate,
        "ratePercentage": float(Decimal(str(rate)) * 100),
        "priceSet": bag(amount, money),
        "price": "%.2f" % amount,
        "channelLiable": False,
        "source": "Shopify",
    }


def bag(amount, money):
    return {"shopMoney": money(amount), "presentmentMoney": money(amount)}
