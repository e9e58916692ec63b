"""Every GraphQL document the connector sends to the Shopify Admin API 2026-04.

Kept in one module so that one test validates each of them against the real
schema (tests/test_documents.py): a renamed field fails the build, not a
customer's night.
"""

SHOP = """
query ShopInfo {
  shop { name myshopifyDomain currencyCode plan { displayName shopifyPlus } }
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

DOCUMENTS = {name: value for name, value in globals().items() if name.isupper() and isinstance(value, str)}
