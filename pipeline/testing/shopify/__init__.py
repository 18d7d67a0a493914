"""An emulator of Shopify's Admin REST API (customers, ``Link`` paging, leaky bucket), and its fixture."""

from __future__ import annotations

from pipeline.testing.fixtures import emulator_fixture
from pipeline.testing.shopify.emulator import ShopifyEmulator

shopify_emulator = emulator_fixture("shopify_emulator", ShopifyEmulator)

__all__ = ["ShopifyEmulator", "shopify_emulator"]
