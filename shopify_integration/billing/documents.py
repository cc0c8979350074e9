"""The Admin GraphQL documents of Shopify Billing, as shopify.dev documents them."""

SUBSCRIPTION_CREATE = """
mutation BillingSubscribe($name: String!, $returnUrl: URL!, $test: Boolean, $trialDays: Int,
    $replacementBehavior: AppSubscriptionReplacementBehavior,
    $lineItems: [AppSubscriptionLineItemInput!]!) {
  appSubscriptionCreate(name: $name, returnUrl: $returnUrl, test: $test, trialDays: $trialDays,
      replacementBehavior: $replacementBehavior, lineItems: $lineItems) {
    appSubscription { id status }
    confirmationUrl
    userErrors { field message }
  }
}
"""
ACTIVE_SUBSCRIPTIONS = """
query BillingActiveSubscriptions {
  currentAppInstallation {
    activeSubscriptions {
      id name test status currentPeriodEnd trialDays
      lineItems {
        id
        plan {
          pricingDetails {
            __typename
            ... on AppRecurringPricing { price { amount currencyCode } interval }
            ... on AppUsagePricing {
              terms
              cappedAmount { amount currencyCode }
              balanceUsed { amount currencyCode }
            }
          }
        }
      }
    }
  }
}
"""
USAGE_RECORD_CREATE = """
mutation BillingUsageRecord($subscriptionLineItemId: ID!, $price: MoneyInput!,
    $description: String!, $idempotencyKey: String) {
  appUsageRecordCreate(subscriptionLineItemId: $subscriptionLineItemId, price: $price,
      description: $description, idempotencyKey: $idempotencyKey) {
    appUsageRecord { id }
    userErrors { field message }
  }
}
"""
