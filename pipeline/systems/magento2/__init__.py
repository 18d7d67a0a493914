"""Magento 2 / Adobe Commerce (admin REST API V1): customers, orders, products, stock and sales documents.

Modules: ``config`` (the connection's variables), ``auth`` (token, admin login, OAuth 1.0a),
``client`` (HTTP and Magento's error bodies), ``search`` (searchCriteria and paging),
``cursor`` (incremental pulls), ``extract``, ``payloads`` (canonical -> Magento objects),
``load`` (customer, product and stock upserts), ``bulk`` (the asynchronous bulk API for big loads),
``documents`` (invoices, shipments, credit memos).
"""

from __future__ import annotations

from pipeline.systems.magento2.system import Magento2System

__all__ = ["Magento2System"]
