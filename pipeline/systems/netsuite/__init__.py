"""NetSuite SuiteTalk REST (record v1 + SuiteQL) with token-based authentication.

Modules: ``auth`` (hosts, realm, OAuth 1.0a signing), ``config`` (environment variables),
``client`` (the REST calls and NetSuite's error envelope), ``records`` (entity -> record type and
SuiteQL table), ``suiteql`` (keyset change feed and cursor), ``payloads`` (canonical -> NetSuite),
``load`` (upserts by external id), ``origins`` (the sales order, hence the shop's order number,
behind fulfillments, invoices and credit memos), ``system`` (the ``System`` itself).
"""

from __future__ import annotations

from pipeline.systems.netsuite.system import NetSuiteSystem

__all__ = ["NetSuiteSystem"]
