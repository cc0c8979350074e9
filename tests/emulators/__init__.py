"""Loopback HTTP emulators of the services outside our code (Shopify, AI providers)."""
