"""An emulator of Shopify's Admin REST API (customers, ``Link`` paging, leaky bucket), and its fixture."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pipeline.testing.shopify.emulator import ShopifyEmulator


@pytest.fixture
def shopify_emulator() -> Iterator[ShopifyEmulator]:
    """A fresh, empty Shopify emulator on a free loopback port, stopped after the test."""
    with ShopifyEmulator() as emulator:
        yield emulator


__all__ = ["ShopifyEmulator", "shopify_emulator"]
