"""Fulfilment orders and locations, as Shopify documents them.

- ``fulfillmentCreate`` "creates a fulfillment for one or more FulfillmentOrder objects. The fulfillment
  orders are associated with the same Order and are assigned to the same Location" (the description of
  the mutation in the Admin API 2026-04 schema; shopify.dev/docs/api/admin-graphql/latest/mutations/
  fulfillmentCreate). Shopify's exact wording of the refusal is not documented: only its presence is tested.
- ``fulfillmentOrderMove`` moves line items to another location; the moved quantities make a fulfillment
  order assigned to that location (shopify.dev/docs/api/admin-graphql/latest/mutations/fulfillmentOrderMove).
- A fulfillment order ``ON_HOLD`` cannot be fulfilled until released (``fulfillmentOrderHold``/``Release``).
"""

FULFIL = """
mutation FulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) { fulfillment { id } userErrors { field message } }
}
"""
ORDER_FOS = """
query Fos($id: ID!) {
  order(id: $id) { fulfillmentOrders(first: 10) { nodes { id status assignedLocation { location { id } }
    lineItems(first: 10) { nodes { id remainingQuantity totalQuantity } } } } }
}
"""


def an_order(shop, lines=2):
    return next(o for o in shop.generate_orders(10, seed=7, cancel_rate=0, refund_rate=0)
                if len(o["lineItems"]) >= lines)


def fulfilment_orders(gql, order):
    return gql.data(ORDER_FOS, {"id": order["id"]})["order"]["fulfillmentOrders"]["nodes"]


def test_moving_a_line_makes_a_fulfilment_order_at_the_other_location(shop, gql):
    order = an_order(shop)
    first = fulfilment_orders(gql, order)[0]
    line = first["lineItems"]["nodes"][0]
    primary, other = list(shop.store.locations)[:2]
    shop.store.move_fulfillment_order(first["id"], other, {line["id"]: 1})
    nodes = fulfilment_orders(gql, order)
    assert [node["assignedLocation"]["location"]["id"] for node in nodes] == [primary, other]
    moved = nodes[1]["lineItems"]["nodes"]
    assert [(item["totalQuantity"], item["remainingQuantity"]) for item in moved] == [(1, 1)]
    kept = {item["id"]: item["totalQuantity"] for item in nodes[0]["lineItems"]["nodes"]}
    assert kept.get(line["id"], 0) == line["totalQuantity"] - 1


def test_fulfilment_orders_of_two_locations_are_refused_in_one_fulfilment(shop, gql):
    order = an_order(shop)
    first = fulfilment_orders(gql, order)[0]
    shop.store.move_fulfillment_order(first["id"], list(shop.store.locations)[1],
                                      {first["lineItems"]["nodes"][0]["id"]: 1})
    nodes = fulfilment_orders(gql, order)
    answer = gql.data(FULFIL, {"fulfillment": {"lineItemsByFulfillmentOrder": [
        {"fulfillmentOrderId": node["id"]} for node in nodes
    ]}})["fulfillmentCreate"]
    assert answer["fulfillment"] is None and answer["userErrors"]
    assert not shop.store.orders[order["id"]]["fulfillments"], "nothing was fulfilled"
    for node in nodes:  # one location at a time is accepted
        variables = {"fulfillment": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": node["id"]}]}}
        assert gql.data(FULFIL, variables)["fulfillmentCreate"]["userErrors"] == []
    assert shop.store.orders[order["id"]]["displayFulfillmentStatus"] == "FULFILLED"


def test_a_held_fulfilment_order_cannot_be_fulfilled_until_released(shop, gql):
    order = an_order(shop, lines=1)
    node = fulfilment_orders(gql, order)[0]
    shop.store.hold_fulfillment_order(node["id"])
    assert fulfilment_orders(gql, order)[0]["status"] == "ON_HOLD"
    variables = {"fulfillment": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": node["id"]}]}}
    assert gql.data(FULFIL, variables)["fulfillmentCreate"]["userErrors"]
    shop.store.release_fulfillment_order(node["id"])
    assert gql.data(FULFIL, variables)["fulfillmentCreate"]["userErrors"] == []


def test_fulfilment_orders_of_a_fulfilment_service_are_hidden_without_the_third_party_scope(shop, gql):
    """FulfillmentOrder, "Retrieving fulfillment orders": a client without the scopes to view every fulfillment
    order of an order receives only a subset; third-party (fulfillment service) ones need
    read_third_party_fulfillment_orders (shopify.dev/docs/api/usage/access-scopes)."""
    order = an_order(shop)
    first = fulfilment_orders(gql, order)[0]
    line = first["lineItems"]["nodes"][0]
    warehouse = shop.store.add_location("3PL warehouse", fulfillment_service=True)
    moved = shop.store.move_fulfillment_order(first["id"], warehouse["id"], {line["id"]: 1})
    visible = [node["id"] for node in fulfilment_orders(gql, order)]
    assert moved["id"] not in visible and first["id"] in visible
    shop.auth.scopes = [*shop.auth.scopes, "read_third_party_fulfillment_orders"]
    assert moved["id"] in [node["id"] for node in fulfilment_orders(gql, order)]
