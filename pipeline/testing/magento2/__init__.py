"""An emulator of Magento 2's admin REST API, and its pytest fixture.

Modules: ``emulator`` (routes and state), ``access`` (tokens, OAuth, ACL), ``oauth`` (signature
checks), ``schema`` (validation against the vendored official schema), ``searching``
(searchCriteria), ``records`` (stored shapes and seeding), ``sales`` (invoices, shipments,
credit memos), ``bulk`` (the asynchronous bulk API: queued operations and their statuses),
``responses`` (Magento's error envelope), ``fixtures``.
"""

from __future__ import annotations

from pipeline.testing.magento2.emulator import Magento2Emulator
from pipeline.testing.magento2.fixtures import magento2_emulator
from pipeline.testing.magento2.oauth import Integration

__all__ = ["Integration", "Magento2Emulator", "magento2_emulator"]
