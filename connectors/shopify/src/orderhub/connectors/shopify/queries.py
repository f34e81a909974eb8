"""Every GraphQL document the connector sends (Admin API 2026-04), in one place to review.

Nested connections multiply a query's requested cost, and Shopify refuses any single query
over 1000 points: line items are fetched 25 at a time inside an orders page and the rest
page by page, and fulfillment orders are read 10 at a time with 50 lines each.
"""

_MONEY_BAG = """
fragment MoneyBagFields on MoneyBag {
  shopMoney { amount currencyCode }
  presentmentMoney { amount currencyCode }
}
"""

_ADDRESS = """
fragment AddressFields on MailingAddress {
  name firstName lastName company address1 address2 city provinceCode zip countryCodeV2
  phone latitude longitude
}
"""

_LINE_ITEM = """
fragment LineItemFields on LineItem {
  id sku name quantity currentQuantity requiresShipping
  variant { id inventoryItem { id } }
  product { id }
  originalUnitPriceSet { ...MoneyBagFields }
  discountAllocations { allocatedAmountSet { ...MoneyBagFields } }
  taxLines { title rate priceSet { ...MoneyBagFields } }
}
"""

_ORDER = """
fragment OrderFields on Order {
  id name createdAt processedAt updatedAt cancelledAt cancelReason test
  email phone note tags currencyCode presentmentCurrencyCode
  displayFinancialStatus displayFulfillmentStatus customerAcceptsMarketing discountCodes
  customAttributes { key value }
  customer { id firstName lastName }
  shippingAddress { ...AddressFields }
  billingAddress { ...AddressFields }
  totalPriceSet { ...MoneyBagFields }
  totalTaxSet { ...MoneyBagFields }
  totalDiscountsSet { ...MoneyBagFields }
  totalShippingPriceSet { ...MoneyBagFields }
  taxLines { title rate priceSet { ...MoneyBagFields } }
  shippingLines(first: 10) { nodes { title code originalPriceSet { ...MoneyBagFields } } }
  lineItems(first: 25) { pageInfo { hasNextPage endCursor } nodes { ...LineItemFields } }
}
"""

ORDERS_PAGE = (
    """
query OrdersPage($first: Int!, $after: String, $query: String!) {
  orders(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {
    pageInfo { hasNextPage endCursor }
    nodes { ...OrderFields }
  }
}
"""
    + _ORDER
    + _LINE_ITEM
    + _ADDRESS
    + _MONEY_BAG
)

ORDER_LINE_ITEMS = (
    """
query OrderLineItems($id: ID!, $after: String) {
  order(id: $id) {
    lineItems(first: 50, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { ...LineItemFields }
    }
  }
}
"""
    + _LINE_ITEM
    + _MONEY_BAG
)

SET_AVAILABLE = """
mutation SetAvailable($input: InventorySetQuantitiesInput!, $idempotencyKey: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) {
    inventoryAdjustmentGroup { id reason referenceDocumentUri changes { name delta quantityAfterChange } }
    userErrors { code field message }
  }
}
"""

INVENTORY_LEVELS = """
query InventoryLevels($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on InventoryLevel {
      id
      item { id }
      location { id }
      quantities(names: ["available"]) { name quantity }
    }
  }
}
"""

VARIANTS_BY_SKU = """
query VariantsBySku($first: Int!, $query: String!) {
  productVariants(first: $first, query: $query) {
    nodes { sku inventoryItem { id } }
  }
}
"""

FULFILLMENT_ORDERS = """
query FulfillmentOrders($id: ID!) {
  order(id: $id) {
    id
    fulfillments(first: 50) { id status trackingInfo(first: 10) { company number url } }
    fulfillmentOrders(first: 10) {
      nodes {
        id
        status
        assignedLocation { location { id } }
        lineItems(first: 50) { nodes { id remainingQuantity lineItem { id } } }
      }
    }
  }
}
"""

FULFILLMENT_CREATE = """
mutation CreateFulfillment($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status trackingInfo(first: 10) { company number url } }
    userErrors { field message }
  }
}
"""

TRACKING_UPDATE = """
mutation UpdateTracking(
  $fulfillmentId: ID!, $trackingInfoInput: FulfillmentTrackingInput!, $notifyCustomer: Boolean
) {
  fulfillmentTrackingInfoUpdate(
    fulfillmentId: $fulfillmentId, trackingInfoInput: $trackingInfoInput,
    notifyCustomer: $notifyCustomer
  ) {
    fulfillment { id trackingInfo(first: 10) { company number url } }
    userErrors { field message }
  }
}
"""

ORDER_CANCEL_STATE = """
query OrderCancelState($id: ID!) {
  order(id: $id) { id cancelledAt }
}
"""

ORDER_CANCEL = """
mutation CancelOrder(
  $orderId: ID!, $reason: OrderCancelReason!, $refundMethod: OrderCancelRefundMethodInput!,
  $restock: Boolean!, $notifyCustomer: Boolean, $staffNote: String
) {
  orderCancel(
    orderId: $orderId, reason: $reason, refundMethod: $refundMethod, restock: $restock,
    notifyCustomer: $notifyCustomer, staffNote: $staffNote
  ) {
    job { id done }
    orderCancelUserErrors { code field message }
  }
}
"""

ORDER_TRANSACTIONS = """
query OrderTransactions($id: ID!) {
  order(id: $id) {
    id
    presentmentCurrencyCode
    transactions(first: 100) {
      id kind status gateway
      amountSet { presentmentMoney { amount currencyCode } }
      parentTransaction { id }
    }
  }
}
"""

REFUND_CREATE = """
mutation CreateRefund($input: RefundInput!, $idempotencyKey: String!) {
  refundCreate(input: $input) @idempotent(key: $idempotencyKey) {
    refund { id }
    userErrors { field message }
  }
}
"""

WEBHOOK_SUBSCRIPTIONS = """
query WebhookSubscriptions {
  webhookSubscriptions(first: 100) { nodes { id topic uri } }
}
"""

WEBHOOK_CREATE = """
mutation CreateWebhook($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}
"""

SHOP = """
query Shop {
  shop { name myshopifyDomain }
}
"""
