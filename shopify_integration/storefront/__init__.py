"""The demo storefront at `/` for local runs: a product page per demo garment with the real
widget on it, and a small stand-in for Shopify's AJAX cart. Mounted only when DEBUG is on."""
