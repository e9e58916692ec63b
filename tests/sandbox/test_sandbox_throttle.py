"""Calculated query cost and the leaky bucket, against hand-computed values.
The clock is injected, so nothing sleeps and every number is exact."""

import pytest
import requests
from graphql import parse

from sandbox import ShopifySandbox
from sandbox.shopify_cost import CostCalculator, LeakyBucket
from sandbox.shopify_schema import get_schema


def requested(document, variables=None):
    return CostCalculator(get_schema(), parse(document), variables).requested()


@pytest.mark.parametrize(
    "document, cost",
    [
        # object 1, scalars 0
        ("{ shop { name id } }", 1),
        # connection: 2 + first * node(1)
        ("{ products(first: 10) { edges { node { id title } } } }", 12),
        # nodes shortcut costs the same as edges.node
        ("{ products(first: 10) { nodes { id } } }", 12),
        # nested connection: 2 + 10 * (1 + (2 + 5 * 1))
        ("{ products(first: 10) { nodes { id variants(first: 5) { nodes { sku } } } } }", 82),
        # pageInfo is free: only the 2 of the connection
        ("{ products(first: 10) { pageInfo { hasNextPage } } }", 2),
        # product 1 + priceRangeV2 1 + minVariantPrice 1
        ('{ product(id: "gid://shopify/Product/1") { priceRangeV2 { minVariantPrice { amount } } } }', 3),
        # last counts like first
        ("{ orders(last: 3) { nodes { id customer { id } } } }", 2 + 3 * 2),
        # list of objects (not a connection) costs 1 + its selection
        ('{ product(id: "gid://shopify/Product/1") { options { name optionValues { name } } } }', 3),
        # each root mutation field costs 10
        (
            'mutation { a: webhookSubscriptionDelete(id: "x") { userErrors { message } } '
            'b: webhookSubscriptionDelete(id: "y") { userErrors { message } } }',
            20,
        ),
    ],
)
def test_requested_cost_matches_hand_computed(document, cost):
    assert requested(document) == cost


def test_requested_cost_reads_page_size_from_variables():
    document = "query($n: Int!) { products(first: $n) { nodes { id } } }"
    assert requested(document, {"n": 25}) == 27


def test_actual_cost_counts_returned_nodes():
    document = "{ products(first: 10) { nodes { id variants(first: 5) { nodes { sku } } } } }"
    data = {
        "products": {
            "nodes": [
                {"id": "1", "variants": {"nodes": [{"sku": "a"}, {"sku": "b"}]}},
                {"id": "2", "variants": {"nodes": []}},
            ]
        }
    }
    calculator = CostCalculator(get_schema(), parse(document))
    # 2 + (1 + 2 + 2) + (1 + 2 + 0)
    assert calculator.actual(data) == 10


def test_leaky_bucket_restores_at_rate_and_caps(clock):
    bucket = LeakyBucket(maximum=2000, restore_rate=100, clock=clock)
    bucket.debit(1500)
    assert bucket.available() == 500
    clock.advance(2.5)
    assert bucket.available() == 750
    assert not bucket.try_reserve(751)
    assert bucket.try_reserve(750)
    clock.advance(100)
    assert bucket.available() == 2000
    assert bucket.status() == {"maximumAvailable": 2000, "currentlyAvailable": 2000, "restoreRate": 100}


def test_throttle_over_http_with_injected_clock(clock):
    shop = ShopifySandbox(products=5, customers=1, seed=2, bucket_max=100, restore_rate=10, clock=clock).start()
    try:
        headers = {"X-Shopify-Access-Token": shop.access_token}
        document = "{ products(first: 10) { nodes { id } } }"

        def ask():
            return requests.post(shop.graphql_url, json={"query": document}, headers=headers).json()

        first = ask()
        # requested 2 + 10; actual 2 + 5 products returned
        assert first["extensions"]["cost"] == {
            "requestedQueryCost": 12,
            "actualQueryCost": 7,
            "throttleStatus": {"maximumAvailable": 100, "currentlyAvailable": 93, "restoreRate": 10},
        }
        for _ in range(12):
            ask()
        # 100 - 13 * 7 = 9 < 12 requested: throttled, nothing debited
        throttled = ask()
        assert throttled["errors"] == [
            {
                "message": "Throttled",
                "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
            }
        ]
        assert "data" not in throttled
        assert throttled["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 9
        assert throttled["extensions"]["cost"]["actualQueryCost"] is None
        clock.advance(0.3)  # + 3 points
        recovered = ask()
        assert recovered["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 12 - 7
        mutation = requests.post(
            shop.graphql_url,
            headers=headers,
            json={
                "query": 'mutation { webhookSubscriptionDelete(id: "gid://shopify/WebhookSubscription/1") '
                "{ userErrors { message } } }"
            },
        ).json()
        assert mutation["errors"][0]["extensions"]["code"] == "THROTTLED"  # 10 > 5
        clock.advance(10)
        mutation = requests.post(
            shop.graphql_url,
            headers=headers,
            json={
                "query": 'mutation { webhookSubscriptionDelete(id: "gid://shopify/WebhookSubscription/1") '
                "{ userErrors { message } } }"
            },
        ).json()
        assert mutation["extensions"]["cost"]["requestedQueryCost"] == 10
        # 5 + 10 s * 10 capped at 100, minus the mutation's 10
        assert mutation["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 90
    finally:
        shop.stop()


def test_single_query_over_1000_points_is_refused(gql):
    payload = gql("{ products(first: 250) { nodes { variants(first: 250) { nodes { id } } } } }")
    assert payload["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert payload["errors"][0]["extensions"]["cost"] == 2 + 250 * (1 + 2 + 250)
