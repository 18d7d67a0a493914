"""ConnectorTypes: one entity in one direction, carried by the extract -> map -> load chain.

``pull`` brings records into our shops (ERP -> Magento), ``push`` sends them out of the shops
(Magento -> ERP, Magento -> Mailchimp). Every ConnectorType runs the same three steps
(``pipeline.flow.steps``); what differs is the entity schema and which systems sit at each end.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.entities import ENTITIES
from pipeline.errors import UnknownNameError

#: The directions a ConnectorType can have.
DIRECTIONS = ("pull", "push")
#: The actor chain every ConnectorType runs, in order.
STEPS = ("extract", "map", "load")


@dataclass(frozen=True)
class ConnectorType:
    """An entity and a direction, e.g. ``customer_pull``."""

    entity: str
    direction: str

    @property
    def name(self) -> str:
        return f"{self.entity}_{self.direction}"


#: Every ConnectorType: each entity, pulled and pushed.
CONNECTOR_TYPES = {
    connector.name: connector
    for connector in (ConnectorType(entity, direction) for entity in ENTITIES for direction in DIRECTIONS)
}


def get_connector_type(name: str, where: str = "") -> ConnectorType:
    """The ConnectorType called ``name``, or an UnknownNameError with a suggestion."""
    try:
        return CONNECTOR_TYPES[name]
    except KeyError:
        raise UnknownNameError("connector type", name, CONNECTOR_TYPES, where) from None
