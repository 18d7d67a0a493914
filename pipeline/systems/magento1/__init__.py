"""Magento 1 / OpenMage over XML-RPC: customers, orders, products, stock and sales documents.

Modules: ``config`` (the connection's variables), ``transport`` (timeouts, one attempt per call),
``client`` (the session protocol), ``faults`` (faults and HTTP errors as our error classes),
``catalogue`` (resources, aliases and fault codes, generated from OpenMage's api.xml files),
``values`` (string values typed), ``windows`` (``updated_at`` windows and the cursor),
``extract``, ``payloads`` (canonical -> Magento 1 arguments), ``load`` (customer, product and stock
upserts), ``documents`` (invoices, shipments, credit memos), ``system`` (the ``System`` itself).
"""

from __future__ import annotations

from pipeline.systems.magento1.system import Magento1System

__all__ = ["Magento1System"]
