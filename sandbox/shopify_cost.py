"""Shopify's calculated query cost and the per-shop leaky bucket.

Rules (Shopify "calculated query cost"):
- scalar and enum fields cost 0, `__typename` and introspection cost 0;
- an object (or list of objects) field costs 1 plus its selection;
- a connection costs 2 plus first/last times the cost of one node
  (`edges.node` / `nodes`); `pageInfo` is free;
- each root mutation field costs 10 whatever it selects.
The requested cost uses first/last; the actual cost uses the number of
nodes really returned, walking the response data.
"""

import threading

from graphql import get_named_type, is_leaf_type
from graphql.language import FieldNode, FragmentSpreadNode, InlineFragmentNode, OperationType
from graphql.utilities import value_from_ast

MUTATION_COST = 10
SINGLE_QUERY_MAX = 1000


def is_connection(graphql_type):
    named = get_named_type(graphql_type)
    return named.name.endswith("Connection") and "edges" in getattr(named, "fields", {})


class CostCalculator:
    def __init__(self, schema, document, variables=None, operation=None):
        self.schema = schema
        self.variables = variables or {}
        self.fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}
        operations = [d for d in document.definitions if d.kind == "operation_definition"]
        if operation:
            operations = [d for d in operations if d.name and d.name.value == operation] or operations
        self.operation = operations[0]

    def requested(self):
        return self._operation_cost(data=None)

    def actual(self, data):
        return self._operation_cost(data=data or {})

    def _operation_cost(self, data):
        if self.operation.operation == OperationType.MUTATION:
            return MUTATION_COST * len(list(self._fields(self.operation.selection_set)))
        root = self.schema.query_type
        return self._selection_cost(self.operation.selection_set, root, data, measure=data is not None)

    def _fields(self, selection_set):
        """Fields of a selection set, fragments flattened (costs add up)."""
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                yield from self._fields(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment:
                    yield from self._fields(fragment.selection_set)

    def _selection_cost(self, selection_set, parent_type, data, measure):
        total = 0
        for field in self._fields(selection_set):
            name = field.name.value
            if name.startswith("__"):
                continue
            definition = getattr(get_named_type(parent_type), "fields", {}).get(name)
            if definition is None:
                continue
            key = field.alias.value if field.alias else name
            value = data.get(key) if isinstance(data, dict) else None
            if measure and value is None:
                continue
            total += self._field_cost(field, definition, value, measure)
        return total

    def _field_cost(self, field, definition, value, measure):
        field_type = definition.type
        if is_leaf_type(get_named_type(field_type)):
            return 0
        named = get_named_type(field_type)
        if is_connection(field_type):
            return 2 + self._connection_cost(field, definition, named, value, measure)
        if measure and isinstance(value, list):
            return sum(1 + self._selection_cost(field.selection_set, named, item, True) for item in value)
        return 1 + self._selection_cost(field.selection_set, named, value, measure)

    def _connection_cost(self, field, definition, connection_type, value, measure):
        node_type = connection_type.fields["edges"].type
        node_type = get_named_type(node_type).fields["node"].type
        total = 0
        for sub in self._fields(field.selection_set):
            if sub.name.value == "edges":
                for inner in self._fields(sub.selection_set):
                    if inner.name.value == "node":
                        total += self._nodes_cost(
                            inner,
                            node_type,
                            value=value,
                            via="edges",
                            measure=measure,
                            page_size=self._page_size(field, definition),
                        )
            elif sub.name.value == "nodes":
                total += self._nodes_cost(
                    sub,
                    node_type,
                    value=value,
                    via="nodes",
                    measure=measure,
                    page_size=self._page_size(field, definition),
                )
        return total

    def _nodes_cost(self, node_field, node_type, *, value, via, measure, page_size):
        named = get_named_type(node_type)
        if not measure:
            return page_size * (1 + self._selection_cost(node_field.selection_set, named, None, False))
        key = node_field.alias.value if node_field.alias else node_field.name.value
        items = (value or {}).get(via) or []
        if via == "edges":
            items = [edge.get(key) for edge in items if isinstance(edge, dict)]
        return sum(1 + self._selection_cost(node_field.selection_set, named, item, True) for item in items)

    def _page_size(self, field, definition):
        for argument in field.arguments:
            if argument.name.value in ("first", "last"):
                arg_type = definition.args[argument.name.value].type
                size = value_from_ast(argument.value, arg_type, self.variables)
                if isinstance(size, int):
                    return size
        return 1


class LeakyBucket:
    """Points available to one shop; refills at restore_rate per second.

    The clock is injectable so the maths can be tested without sleeping.
    """

    def __init__(self, maximum=2000, restore_rate=100, clock=None):
        import time

        self.maximum = float(maximum)
        self.restore_rate = float(restore_rate)
        self.clock = clock or time.monotonic
        self._available = float(maximum)
        self._stamp = self.clock()
        self._lock = threading.Lock()

    def _refill(self):
        now = self.clock()
        elapsed = max(0.0, now - self._stamp)
        # Rounded so 0.3 s at 10 points/s gives exactly 3 points, not 2.9999.
        self._available = round(min(self.maximum, self._available + elapsed * self.restore_rate), 6)
        self._stamp = now

    def available(self):
        with self._lock:
            self._refill()
            return self._available

    def try_reserve(self, cost):
        """True if `cost` points are available now (nothing is debited yet)."""
        with self._lock:
            self._refill()
            return cost <= self._available

    def debit(self, cost):
        with self._lock:
            self._refill()
            self._available = max(0.0, self._available - cost)

    def drain(self):
        with self._lock:
            self._refill()
            self._available = 0.0

    def status(self):
        available = self.available()
        return {
            "maximumAvailable": _number(self.maximum),
            "currentlyAvailable": int(available),
            "restoreRate": _number(self.restore_rate),
        }


def _number(value):
    return int(value) if float(value).is_integer() else value
