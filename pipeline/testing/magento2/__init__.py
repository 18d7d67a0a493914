"""An emulator of Magento 2's admin REST API, and its pytest fixture.

Modules: ``emulator`` (routes and state), ``access`` (tokens, OAuth, ACL), ``oauth`` (signature
checks), ``schema`` (validation against the vendored official schema), ``searching``
(searchCriteria), ``records`` (stored shapes and seeding), ``sales`` (invoices, shipments,
credit memos), ``bulk`` (the asynchronous bulk API: queued operations and their statuses),
``responses`` (Magento's error envelope).
"""

from __future__ import annotations

from pipeline.testing.fixtures import emulator_fixture
from pipeline.testing.magento2.emulator import Magento2Emulator
from pipeline.testing.magento2.oauth import Integration

magento2_emulator = emulator_fixture(
    "magento2_emulator", Magento2Emulator,
    "A fresh, empty Magento 2 emulator on a free loopback port, stopped after the test.")

__all__ = ["Integration", "Magento2Emulator", "magento2_emulator"]
