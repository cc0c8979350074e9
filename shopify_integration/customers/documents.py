"""The GraphQL documents e-mail capture sends to the Admin API (validated against Shopify's
schema in tests/shopify_integration/customers/test_documents.py). Scope: write_customers."""

CUSTOMER_BY_EMAIL = """
query CustomerByEmail($query: String!) {
  customers(first: 1, query: $query) {
    nodes { id emailMarketingConsent { marketingState } }
  }
}
"""

CUSTOMER_CREATE = """
mutation CustomerCreate($input: CustomerInput!) {
  customerCreate(input: $input) {
    customer { id }
    userErrors { field message }
  }
}
"""

CUSTOMER_TAGS_ADD = """
mutation CustomerTagsAdd($id: ID!, $tags: [String!]!) {
  tagsAdd(id: $id, tags: $tags) {
    node { id }
    userErrors { field message }
  }
}
"""

CUSTOMER_CONSENT_UPDATE = """
mutation CustomerConsentUpdate($input: CustomerEmailMarketingConsentUpdateInput!) {
  customerEmailMarketingConsentUpdate(input: $input) {
    customer { id }
    userErrors { field message }
  }
}
"""

DOCUMENTS = (CUSTOMER_BY_EMAIL, CUSTOMER_CREATE, CUSTOMER_TAGS_ADD, CUSTOMER_CONSENT_UPDATE)
