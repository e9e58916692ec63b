"""Checks of what a remote system sends, before anything is written in Odoo.

Remote answers are typed by their API, but values inside the types still go wrong:
an amount that is not a number, a negative quantity, a date that does not parse, a
list where a text belongs. Such a payload must become a failed job that says what is
wrong where, instead of a Python error halfway through creating records. Connectors
collect every problem of a payload in a ``Problems`` list, so that one Retry after
one correction is enough.
"""

import math
import re
from datetime import datetime, timezone

from .exceptions import SyncValidationError

# Longest text quoted back in a message: a 60,000-character name must not flood the inbox.
QUOTE_LIMIT = 60
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def utc_datetime(value):
    """An ISO 8601 time ('2026-04-01T10:00:00Z', '2026-04-01T06:00:00.5-04:00') as a naive UTC
    datetime, the way Odoo stores them; ValueError when it cannot be read.

    Remote systems write the same instant in different offsets (Shopify's webhook bodies
    in the shop's time zone, its GraphQL API in UTC): compared naive, they would be hours apart.
    """
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a time")
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))  # Python 3.10 does not read "Z"
    if moment.tzinfo:
        try:
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
        except OverflowError as error:  # year 1 east of Greenwich
            raise ValueError(f"{value} is out of range") from error
    return moment


def quote(value):
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= QUOTE_LIMIT else text[:QUOTE_LIMIT] + "…"


class Problems(list):
    """Collects what is wrong with one payload, one readable sentence each."""

    def __init__(self, env):
        super().__init__()
        self.env = env

    def raise_if_any(self, subject, system):
        """One validation failure naming ``subject`` and listing every problem, if there is any."""
        if self:
            raise SyncValidationError(self.env._(
                "%(subject)s cannot be imported: %(problems)s. Correct it in %(system)s, then Retry this job.",
                subject=subject, problems="; ".join(self), system=system,
            ))

    def text(self, value, where, required=False):
        if value is None or value == "":
            if required:
                self.append(self.env._("%(where)s is missing", where=where))
            return
        if not isinstance(value, str):
            self.append(self.env._("%(where)s is %(value)s, not a text", where=where, value=quote(value)))
        elif "\x00" in value:
            # PostgreSQL cannot store it: refuse here rather than fail halfway through the writes.
            self.append(self.env._("%(where)s contains a NUL character", where=where))
        elif required and not value.strip():
            self.append(self.env._("%(where)s is blank", where=where))

    def amount(self, value, where, required=True):
        """A finite, non-negative number, or its text."""
        if value is None:
            if required:
                self.append(self.env._("%(where)s is missing", where=where))
            return
        try:
            number = float(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else None
        except ValueError:
            number = None
        if number is None or not math.isfinite(number):
            self.append(self.env._("%(where)s is %(value)s, not an amount", where=where, value=quote(value)))
        elif number < 0:
            self.append(self.env._("%(where)s is negative (%(value)s)", where=where, value=quote(value)))

    def quantity(self, value, where):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.append(self.env._("%(where)s is %(value)s, not a quantity of at least 1",
                                   where=where, value=quote(value)))

    def rate(self, value, where):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            self.append(self.env._("%(where)s is %(value)s, not a rate between 0 and 1",
                                   where=where, value=quote(value)))

    def timestamp(self, value, where):
        if not isinstance(value, str) or not ISO_TIME.match(value):
            self.append(self.env._("%(where)s is %(value)s, not a date and time", where=where, value=quote(value)))
            return
        try:
            utc_datetime(value)
        except ValueError:
            self.append(self.env._("%(where)s is %(value)s, not a date and time", where=where, value=quote(value)))

    def object(self, value, where, required=False):
        """True when ``value`` is a dict worth looking into."""
        if value is None:
            if required:
                self.append(self.env._("%(where)s is missing", where=where))
            return False
        if not isinstance(value, dict):
            self.append(self.env._("%(where)s is %(value)s, not an object", where=where, value=quote(value)))
            return False
        return True

    def tax_lines(self, tax_lines, where):
        if tax_lines is None:
            return
        if not isinstance(tax_lines, list):
            self.append(self.env._("%(where)s is %(value)s, not a list", where=where, value=quote(tax_lines)))
            return
        for index, tax_line in enumerate(tax_lines, 1):
            line_where = "%s %d" % (where, index)
            if self.object(tax_line, line_where, required=True):
                self.rate(tax_line.get("rate"), line_where + " rate")
                self.text(tax_line.get("title"), line_where + " title")

    def texts(self, values, where):
        if values is None:
            return
        if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
            self.append(self.env._("%(where)s is %(value)s, not a list of texts", where=where, value=quote(values)))
            return
        for value in values:
            self.text(value, where)  # PostgreSQL refuses NUL characters: refused here with the field's name
