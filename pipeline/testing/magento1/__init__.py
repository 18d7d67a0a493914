"""An emulator of Magento 1's XML-RPC API, and its pytest fixture.

Modules: ``emulator`` (HTTP, XML-RPC, sessions, dispatch), ``api`` (faults and the handler
registry), ``catalog`` (customers, products, stock), ``sales`` (orders, invoices, shipments,
credit memos), ``filters`` (Varien's filter conditions), ``store`` (tables of string values). The resource and fault catalogue is the Magento 1 system's vendored one
(``pipeline.systems.magento1.catalogue``, generated from OpenMage's api.xml files).
"""

from __future__ import annotations

from pipeline.testing.fixtures import emulator_fixture
from pipeline.testing.magento1.emulator import API_KEY, API_USER, Magento1Emulator

magento1_emulator = emulator_fixture(
    "magento1_emulator", Magento1Emulator,
    "A fresh, empty Magento 1 emulator on a free loopback port, stopped after the test.")

__all__ = ["API_KEY", "API_USER", "Magento1Emulator", "magento1_emulator"]
