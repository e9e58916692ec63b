"""GraphQL documents the sandbox's own helpers and tests send.

Kept in one place so a test can prove each of them validates against the
real 2026-04 schema, and so connector tests can reuse them.
"""

SHOP = "query Shop { shop { id name myshopifyDomain currencyCode } }"

CURRENT_APP_INSTALLATION = """
query AppScopes { currentAppInstallation { id accessScopes { handle description } } }
"""

PRODUCTS_PAGE = """
query ProductsPage($first: Int!, $after: String, $query: String) {
  products(first: $first, after: $after, query: $query, sortKey: ID) {
    edges { cursor node { id title handle status vendor updatedAt totalInventory
      options { id name position optionValues { id name } }
      variants(first: 10) { nodes { id sku price barcode inventoryQuantity
        selectedOptions { name value } inventoryItem { id } } } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

PRODUCT_BY_ID = """
query Product($id: ID!) {
  product(id: $id) {
    id title handle status updatedAt totalInventory hasOnlyDefaultVariant
    variantsCount { count }
    media(first: 5) { nodes { id alt mediaContentType status ... on MediaImage { image { url } } } }
    variants(first: 50) { nodes { id title sku price compareAtPrice barcode position
      inventoryItem { id sku tracked } } }
  }
}
"""

PRODUCT_SET = """
mutation ProductSet($input: ProductSetInput!, $identifier: ProductSetIdentifiers, $synchronous: Boolean) {
  productSet(input: $input, identifier: $identifier, synchronous: $synchronous) {
    product { id title handle options { name values } variants(first: 100) { nodes { id sku price title
      inventoryItem { id } } } }
    productSetOperation { id status }
    userErrors { field message code }
  }
}
"""

VARIANTS_BULK_UPDATE = """
mutation VariantsBulkUpdate($productId: ID!, $variants: [ProductVariantsBulkInput!]!, $partial: Boolean) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants, allowPartialUpdates: $partial) {
    product { id }
    productVariants { id price compareAtPrice barcode sku }
    userErrors { field message code }
  }
}
"""

LOCATIONS = """
query Locations($first: Int!) {
  locations(first: $first) { nodes { id name isActive isPrimary address { city countryCode } } }
}
"""

INVENTORY_ITEM = """
query InventoryItem($id: ID!, $names: [String!]!) {
  inventoryItem(id: $id) {
    id sku tracked variant { id }
    inventoryLevels(first: 10) { nodes { id location { id } quantities(names: $names) { name quantity } } }
  }
}
"""

INVENTORY_SET_QUANTITIES = """
mutation SetQuantities($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id reason referenceDocumentUri
      changes { name delta quantityAfterChange item { id } location { id } } }
    userErrors { field message code }
  }
}
"""

# Valid against the schema, refused at run time (no @idempotent key).
INVENTORY_SET_QUANTITIES_WITHOUT_KEY = """
mutation SetQuantitiesNoKey($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) { userErrors { field message code } }
}
"""

ORDERS_PAGE = """
query OrdersPage($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query) {
    nodes { id name email createdAt updatedAt cancelledAt cancelReason displayFinancialStatus
      displayFulfillmentStatus discountCodes
      totalPriceSet { shopMoney { amount currencyCode } } totalTaxSet { shopMoney { amount } }
      totalDiscountsSet { shopMoney { amount } } totalShippingPriceSet { shopMoney { amount } }
      totalRefundedSet { shopMoney { amount } }
      customer { id email }
      lineItems(first: 10) { nodes { id sku quantity currentQuantity variant { id }
        originalUnitPriceSet { shopMoney { amount } } discountedTotalSet { shopMoney { amount } } } }
      refunds { id totalRefundedSet { shopMoney { amount } } }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

FULFILLMENT_ORDERS = """
query FulfillmentOrders($id: ID!) {
  order(id: $id) {
    id displayFulfillmentStatus
    fulfillmentOrders(first: 5) { nodes { id status assignedLocation { location { id } }
      lineItems(first: 20) { nodes { id totalQuantity remainingQuantity sku lineItem { id } } } } }
  }
}
"""

FULFILLMENT_ORDERS_ROOT = """
query OpenFulfillmentOrders($first: Int!) {
  fulfillmentOrders(first: $first) { nodes { id status orderName order { id } } }
}
"""

FULFILLMENT_CREATE = """
mutation FulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status name totalQuantity trackingInfo { number url company } }
    userErrors { field message }
  }
}
"""

ORDER_CANCEL = """
mutation OrderCancel($orderId: ID!, $reason: OrderCancelReason!) {
  orderCancel(orderId: $orderId, reason: $reason, restock: true, refund: true) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}
"""

CUSTOMERS_PAGE = """
query CustomersPage($first: Int!, $after: String, $query: String) {
  customers(first: $first, after: $after, query: $query) {
    nodes { id firstName lastName displayName email phone tags updatedAt numberOfOrders }
    pageInfo { hasNextPage endCursor }
  }
}
"""

CUSTOMER_SET = """
mutation CustomerSet($input: CustomerSetInput!, $identifier: CustomerSetIdentifiers) {
  customerSet(input: $input, identifier: $identifier) {
    customer { id email firstName lastName phone tags }
    userErrors { field message code }
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

FILE_CREATE = """
mutation FileCreate($files: [FileCreateInput!]!) {
  fileCreate(files: $files) {
    files { id alt fileStatus ... on MediaImage { image { url } } ... on GenericFile { url } }
    userErrors { field message code }
  }
}
"""

PRODUCT_CREATE_MEDIA = """
mutation ProductCreateMedia($productId: ID!, $media: [CreateMediaInput!]!) {
  productCreateMedia(productId: $productId, media: $media) {
    media { id alt mediaContentType status }
    mediaUserErrors { field message code }
    product { id }
  }
}
"""

BULK_OPERATION_RUN_QUERY = """
mutation BulkRun($query: String!) {
  bulkOperationRunQuery(query: $query, groupObjects: false) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}
"""

# The inner document of a bulk export (no first/last: bulk reads everything).
BULK_PRODUCTS_EXPORT = """
{
  products {
    edges { node { id title
      variants { edges { node { id sku price } } } } }
  }
}
"""

BULK_OPERATION_STATUS = """
query BulkStatus($id: ID!) {
  node(id: $id) { ... on BulkOperation { id status errorCode objectCount rootObjectCount url } }
}
"""

CURRENT_BULK_OPERATION = """
query CurrentBulk { currentBulkOperation(type: QUERY) { id status url objectCount } }
"""

WEBHOOK_SUBSCRIPTION_CREATE = """
mutation WebhookCreate($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {
    webhookSubscription { id topic uri format apiVersion { handle } }
    userErrors { field message }
  }
}
"""

WEBHOOK_SUBSCRIPTIONS = """
query Webhooks($first: Int!) { webhookSubscriptions(first: $first) { nodes { id topic uri format } } }
"""

WEBHOOK_SUBSCRIPTION_DELETE = """
mutation WebhookDelete($id: ID!) {
  webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { field message } }
}
"""

NODES = """
query Nodes($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Product { title } ... on Customer { email } } }
"""

VARIANTS_PAGE = """
query VariantsPage($first: Int!, $query: String) {
  productVariants(first: $first, query: $query) { nodes { id sku inventoryQuantity product { id } } }
}
"""

INVENTORY_ITEMS_PAGE = """
query InventoryItemsPage($first: Int!, $query: String) {
  inventoryItems(first: $first, query: $query) { nodes { id sku tracked } }
}
"""

FILES_PAGE = """
query FilesPage($first: Int!) { files(first: $first) { nodes { id fileStatus ... on MediaImage { image { url } } } } }
"""

LOOKUPS = """
query Lookups($variant: ID!, $level: ID!, $location: ID!, $customer: ID!, $order: ID!, $fo: ID!, $bulk: ID!) {
  productVariant(id: $variant) { id sku }
  inventoryLevel(id: $level) { id item { id } location { id } }
  location(id: $location) { id name }
  customer(id: $customer) { id email }
  order(id: $order) { id name }
  fulfillmentOrder(id: $fo) { id status }
  bulkOperation(id: $bulk) { id status }
}
"""

DOCUMENTS = {name: value for name, value in globals().items() if name.isupper() and isinstance(value, str)}
