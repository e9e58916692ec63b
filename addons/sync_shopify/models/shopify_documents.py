"""Every GraphQL document the connector sends to the Shopify Admin API 2026-04.

Kept in one module so that one test validates each of them against the real
schema (tests/test_documents.py): a renamed field fails the build, not a
customer's night.
"""

SHOP = """
query ShopInfo {
  shop { name myshopifyDomain currencyCode plan { publicDisplayName shopifyPlus } }
}
"""

APP_SCOPES = """
query AppScopes {
  currentAppInstallation { accessScopes { handle } }
}
"""

LOCATIONS = """
query Locations($first: Int!) {
  locations(first: $first) { nodes { id name isActive } }
}
"""

VARIANTS_BY_CODE = """
query VariantsByCode($query: String!) {
  productVariants(first: 10, query: $query) {
    nodes { id sku barcode product { id } }
  }
}
"""

PRODUCT_VARIANTS = """
query ProductVariants($id: ID!) {
  product(id: $id) {
    id
    variants(first: 250) { nodes { id sku barcode inventoryItem { id } } }
  }
}
"""

PRODUCT_SET = """
mutation ProductSet($input: ProductSetInput!, $identifier: ProductSetIdentifiers) {
  productSet(input: $input, identifier: $identifier, synchronous: true) {
    product {
      id
      variants(first: 250) { nodes { id sku barcode inventoryItem { id } } }
    }
    userErrors { field message code }
  }
}
"""

PRODUCT_IMPORT = """
query ProductImport($id: ID!) {
  product(id: $id) { id title descriptionHtml tags updatedAt seo { title description } }
}
"""

PRODUCTS_UPDATED = """
query ProductsUpdated($first: Int!, $after: String, $query: String!) {
  products(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes { id updatedAt }
    pageInfo { hasNextPage endCursor }
  }
}
"""

INVENTORY_SET_QUANTITIES = """
mutation InventorySet($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id }
    userErrors { field message code }
  }
}
"""

INVENTORY_LEVELS = """
query InventoryLevels($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on InventoryItem {
      id
      inventoryLevels(first: 10) { nodes { location { id } quantities(names: ["available"]) { name quantity } } }
    }
  }
}
"""

STAGED_UPLOADS_CREATE = """
mutation StagedUploads($input: [StagedUploadInput!]!) {
  stagedUploadsCreate(input: $input) {
    stagedTargets { url resourceUrl parameters { name value } }
    userErrors { field message }
  }
}
"""

PRODUCT_CREATE_MEDIA = """
mutation ProductCreateMedia($productId: ID!, $media: [CreateMediaInput!]!) {
  productCreateMedia(productId: $productId, media: $media) {
    media { id status }
    mediaUserErrors { field message code }
  }
}
"""

BULK_RUN_QUERY = """
mutation BulkRun($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}
"""

# The inner document of the full sync: bulk operations read every page, no first/last.
BULK_CATALOGUE = """
{
  products {
    edges { node { id updatedAt
      variants { edges { node { id sku barcode inventoryItem { id } } } } } }
  }
}
"""

BULK_STATUS = """
query BulkStatus($id: ID!) {
  node(id: $id) { ... on BulkOperation { id status errorCode objectCount url } }
}
"""

# ----------------------------------------------------------------------
# Orders, fulfilments and webhooks
# ----------------------------------------------------------------------
_money = "shopMoney { amount currencyCode }"
_address = "firstName lastName name company address1 address2 city zip provinceCode countryCodeV2 phone"

_tax_lines = "taxLines { title rate priceSet { %s } }" % _money
_allocations = "discountAllocations { allocatedAmountSet { %s } }" % _money
_line_item = """id sku name quantity currentQuantity isGiftCard variant { id }
      originalUnitPriceSet { %(money)s } %(allocations)s %(taxes)s""" % {
    "money": _money, "allocations": _allocations, "taxes": _tax_lines}

# Discounts come from discountAllocations: LineItem.totalDiscountSet leaves out order-level discounts
# (a code for "10% off the entire order"). Each shipping line carries its own taxes and discounts.
ORDER = """
query Order($id: ID!) {
  order(id: $id) {
    id name updatedAt createdAt cancelledAt cancelReason currencyCode email phone note tags
    taxesIncluded taxExempt displayFinancialStatus displayFulfillmentStatus discountCodes
    risk { recommendation assessments { riskLevel } }
    totalPriceSet { %(money)s } totalTaxSet { %(money)s } totalDiscountsSet { %(money)s }
    totalShippingPriceSet { %(money)s } totalRefundedSet { %(money)s }
    customer { id firstName lastName defaultEmailAddress { emailAddress } defaultPhoneNumber { phoneNumber } }
    billingAddress { %(address)s }
    shippingAddress { %(address)s }
    discountApplications(first: 10) { nodes { __typename targetType
      ... on DiscountCodeApplication { code } ... on AutomaticDiscountApplication { title }
      ... on ManualDiscountApplication { title } ... on ScriptDiscountApplication { title } } }
    shippingLines(first: 5) { nodes { title code originalPriceSet { %(money)s } %(allocations)s %(taxes)s } }
    lineItems(first: 50) { nodes { %(line)s } pageInfo { hasNextPage endCursor } }
    refunds { id createdAt note totalRefundedSet { %(money)s }
      refundLineItems(first: 20) { nodes { quantity lineItem { id } subtotalSet { %(money)s } } } }
  }
}
""" % {"money": _money, "address": _address, "allocations": _allocations, "taxes": _tax_lines, "line": _line_item}

# The rest of an order of more than 50 lines.
ORDER_LINE_ITEMS = """
query OrderLineItems($id: ID!, $after: String) {
  order(id: $id) { lineItems(first: 50, after: $after) { nodes { %(line)s } pageInfo { hasNextPage endCursor } } }
}
""" % {"line": _line_item}

ORDERS_UPDATED = """
query OrdersUpdated($first: Int!, $after: String, $query: String!) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes { id updatedAt }
    pageInfo { hasNextPage endCursor }
  }
}
"""

ORDER_FULFILMENT_ORDERS = """
query OrderFulfillmentOrders($id: ID!) {
  order(id: $id) {
    id
    fulfillments(first: 10) { id trackingInfo { number }
      fulfillmentLineItems(first: 20) { nodes { quantity lineItem { id } } } }
    fulfillmentOrders(first: 6) { pageInfo { hasNextPage } nodes { id status assignedLocation { location { id } }
      lineItems(first: 50) { pageInfo { hasNextPage } nodes { id remainingQuantity lineItem { id } } } } }
  }
}
"""

FULFILMENT_CREATE = """
mutation FulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status trackingInfo { number url company } }
    userErrors { field message }
  }
}
"""

WEBHOOK_SUBSCRIPTIONS = """
query WebhookSubscriptions($first: Int!) {
  webhookSubscriptions(first: $first) { nodes { id topic uri format } }
}
"""

WEBHOOK_SUBSCRIPTION_CREATE = """
mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {
    webhookSubscription { id topic uri format }
    userErrors { field message }
  }
}
"""

DOCUMENTS = {name: value for name, value in globals().items() if name.isupper() and isinstance(value, str)}
