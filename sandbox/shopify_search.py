"""A small subset of Shopify's search syntax for `query:` arguments.

Supported: `field:value`, `field:>value` (>, >=, <, <=), `field:prefix*`,
quoted values, `-field:value` negation, `AND` (implicit) and bare words
(matched against the resource's text fields). `OR` and parentheses are not
supported; unknown fields are ignored, as Shopify does (it only warns).
"""

import re

_TOKEN = re.compile(r'(-?)([\w.]+):(>=|<=|>|<)?("[^"]*"|\'[^\']*\'|\S+)|("[^"]*"|\S+)')


def parse_query(text):
    terms = []
    for match in _TOKEN.finditer(text or ""):
        negate, field, op, value, bare = match.groups()
        if bare is not None:
            if bare.upper() in ("AND", "OR"):
                continue
            terms.append((False, None, "=", bare.strip("\"'")))
        else:
            terms.append((bool(negate), field.lower(), op or "=", value.strip("\"'")))
    return terms


def _compare(actual, op, wanted):
    if actual is None:
        return False
    if isinstance(actual, (int, float)) and not isinstance(actual, bool):
        try:
            wanted_value = float(wanted.rsplit("/", 1)[-1])
        except ValueError:
            return False
        actual_value = float(actual)
    else:
        actual_value, wanted_value = str(actual).lower(), wanted.lower()
    if op == "=":
        if isinstance(wanted_value, str) and wanted_value.endswith("*"):
            return str(actual_value).startswith(wanted_value[:-1])
        return actual_value == wanted_value
    return {
        ">": actual_value > wanted_value,
        ">=": actual_value >= wanted_value,
        "<": actual_value < wanted_value,
        "<=": actual_value <= wanted_value,
    }[op]


def matches(record, terms, fields, text_fields):
    """True if `record` satisfies every term. fields: name -> getter(record)."""
    for negate, field, op, value in terms:
        if field is None:
            hit = any(value.lower() in str(getter(record) or "").lower() for getter in text_fields)
        elif field in fields:
            actual = fields[field](record)
            values = actual if isinstance(actual, (list, tuple, set)) else [actual]
            hit = any(_compare(v, op, value) for v in values)
        else:
            continue
        if hit == negate:
            return False
    return True
