"""Magento 2 routes for what happens to records after they were created: deleted, tracked later.

A mixin of ``Magento2Emulator``: ``DELETE /V1/products/{sku}`` and ``DELETE /V1/customers/{id}``
answer ``true`` (Magento's bare boolean) and 404 for an unknown record; ``POST /V1/shipment/track``
adds one track to an existing shipment (``sales-data-shipment-track-interface``, required
``order_id, parent_id, weight, qty, track_number, title, carrier_code``) and answers the track;
``GET /V1/shipment/{id}`` reads a shipment with its tracks.
"""

from __future__ import annotations

from pipeline.testing.magento2.records import Tables
from pipeline.testing.magento2.responses import bad_request, not_found
from pipeline.testing.server import Request, Response, route

NO_PRODUCT = "The product that was requested doesn't exist. Verify the product and try again."
NO_SHIPMENT = "The entity that was requested doesn't exist. Verify the entity and try again."


class LifecycleRoutes:
    """Deleting products and customers; tracks added to an existing shipment."""

    tables: Tables

    @route("DELETE", r"/V1/products/(?P<sku>[^/]+)")
    def delete_product(self, request: Request, sku: str) -> Response:
        if self.tables.products.pop(sku, None) is None:
            raise not_found(NO_PRODUCT)
        self.tables.stock_items.pop(sku, None)
        for key in [key for key in self.tables.source_items if key[0] == sku]:
            del self.tables.source_items[key]
        return Response(200, True)

    @route("DELETE", r"/V1/customers/(?P<customer_id>\d+)")
    def delete_customer(self, request: Request, customer_id: str) -> Response:
        if self.tables.customers.pop(int(customer_id), None) is None:
            raise not_found("No such entity with customerId = %fieldValue",
                            {"fieldName": "customerId", "fieldValue": int(customer_id)})
        return Response(200, True)

    @route("GET", r"/V1/shipment/(?P<shipment_id>\d+)")
    def get_shipment(self, request: Request, shipment_id: str) -> Response:
        shipment = self.tables.shipments.get(int(shipment_id))
        if shipment is None:
            raise not_found(NO_SHIPMENT)
        return Response(200, shipment)

    @route("POST", r"/V1/shipment/track")
    def add_track(self, request: Request) -> Response:
        track = request.json()["entity"]
        shipment = self.tables.shipments.get(int(track.get("parent_id") or 0))
        if shipment is None:
            raise not_found(NO_SHIPMENT)
        if int(track.get("order_id") or 0) != shipment["order_id"]:
            raise bad_request("The shipment does not belong to order %1.", [track.get("order_id")])
        stored = {**track, "entity_id": self.tables.next_id("tracks"), "parent_id": shipment["entity_id"]}
        shipment.setdefault("tracks", []).append(stored)
        return Response(200, stored)
