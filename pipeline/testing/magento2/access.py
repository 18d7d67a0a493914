"""Who is calling, and may they: Magento's token and OAuth checks, then the route's ACL resource.

A request without valid credentials is anonymous, as in Magento, and fails only where the
route needs an ACL resource: 401 ``The consumer isn't authorized to access %resources.``
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.testing.magento2.oauth import parse_header
from pipeline.testing.magento2.responses import NOT_AUTHORIZED, MagentoError
from pipeline.testing.server import Request

if TYPE_CHECKING:
    from pipeline.testing.magento2.emulator import Magento2Emulator

BULK_LOG = "Magento_Logging::system_magento_logging_bulk_operations"
#: Handler -> the ACL resource its route declares in webapi.xml (None: anonymous). Resource ids
#: are illustrative (CONTRACTS.md 1.6); what matters is the 401 and its envelope.
ACL: dict[str, str | None] = {
    "admin_token": None, "country": None, "create_customer": None,
    "search_customers": "Magento_Customer::customer", "get_customer": "Magento_Customer::customer",
    "update_customer": "Magento_Customer::manage",
    "search_orders": "Magento_Sales::actions_view", "get_order": "Magento_Sales::actions_view",
    "search_products": "Magento_Catalog::products", "get_product": "Magento_Catalog::products",
    "create_product": "Magento_Catalog::products", "update_product": "Magento_Catalog::products",
    "get_stock_item": "Magento_CatalogInventory::cataloginventory",
    "update_stock_item": "Magento_CatalogInventory::cataloginventory",
    "search_source_items": "Magento_InventoryApi::source_item",
    "save_source_items": "Magento_InventoryApi::source_item",
    # A bulk route needs its synchronous route's resource; the bulk status routes, the bulk log's.
    "bulk_save_products": "Magento_Catalog::products",
    "bulk_save_source_items": "Magento_InventoryApi::source_item",
    "bulk_detailed_status": BULK_LOG, "bulk_status": BULK_LOG, "bulk_operation_count": BULK_LOG,
    "search_invoices": "Magento_Sales::sales_invoice", "invoice_order": "Magento_Sales::sales_invoice",
    "search_shipments": "Magento_Sales::shipment", "ship_order": "Magento_Sales::ship",
    "search_creditmemos": "Magento_Sales::sales_creditmemo", "refund_order": "Magento_Sales::creditmemo",
    "refund_invoice": "Magento_Sales::creditmemo", "document_comments": "Magento_Sales::sales",
    "delete_product": "Magento_Catalog::products", "delete_customer": "Magento_Customer::delete",
    "get_shipment": "Magento_Sales::shipment", "add_track": "Magento_Sales::ship",
}
#: Routes missing from ACL need an admin.
DEFAULT_ACL = "Magento_Backend::admin"


def authorize(emulator: Magento2Emulator, request: Request, handler: str) -> None:
    """Raise Magento's 401 unless the route is anonymous or the caller authenticated."""
    resource = ACL.get(handler, DEFAULT_ACL)
    if caller(emulator, request) is None and resource is not None:
        raise MagentoError(401, NOT_AUTHORIZED, {"resources": resource})


def caller(emulator: Magento2Emulator, request: Request) -> str | None:
    """``admin``, ``integration:<consumer id>``, or None (anonymous).

    Raises:
        MagentoError: an OAuth header that does not verify (its own 400 or 401).
    """
    header = request.headers.get("authorization", "")
    oauth = parse_header(header)
    if oauth is not None:
        # Signed over the URL as the client sent it: scheme, Host header and raw path.
        base_uri = f"http://{request.headers.get('host', '').lower()}{request.path}"
        integration = emulator.oauth.verify(oauth, request.method, base_uri, request.query)
        return f"integration:{integration.consumer_id}"
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    if token and token in emulator.admin_tokens:
        return "admin"
    integration_tokens = {integration.access_token for integration in emulator.integrations}
    if token and emulator.integration_as_bearer and token in integration_tokens:
        return "integration"
    return None
