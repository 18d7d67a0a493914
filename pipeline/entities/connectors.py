"""ConnectorTypes: one entity in one direction, the direction saying which end is the shop.

``pull`` brings records into the shop (ERP -> Magento): the shop is the **target**. ``push``
sends them out of it (Magento -> ERP, Magento -> Mailchimp): the shop is the **source**. When a
mapping file loads, the shop end must be a shop or a generic system (files, rest, ...): a
``customer_pull`` from Magento to NetSuite is a push written the wrong way round, and is refused
with the fix.

What direction does not change, on purpose: every ConnectorType runs the same three steps
(``pipeline.flow.steps``); the cursor is always the source's (a pull's follows the ERP, a push's
the shop); the tier follows the run mode (full re-syncs go to ``background``), not the direction;
and the ledger is kept per integration and record key either way.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from pipeline.entities import ENTITIES

#: The directions a ConnectorType can have.
DIRECTIONS = ("pull", "push")


@dataclass(frozen=True)
class ConnectorType:
    """An entity and a direction, e.g. ``customer_pull``."""

    entity: str
    direction: str

    @property
    def name(self) -> str:
        return f"{self.entity}_{self.direction}"

    @property
    def shop_side(self) -> str:
        """Which end of an integration is the shop: ``target`` for a pull, ``source`` for a push."""
        return "target" if self.direction == "pull" else "source"

    def shop_problem(self, source: str, target: str, *, shops: Collection[str],
                     generic: Collection[str]) -> str | None:
        """What is wrong with ``source`` -> ``target`` (system names) for this direction, or None.

        >>> pull = ConnectorType("customer", "pull")
        >>> print(pull.shop_problem("shop", "erp", shops={"shop"}, generic={"files"}))  # doctest: +ELLIPSIS
        A pull brings records into the shop, so target.system must be a shop ... Did you mean 'customer_push'?
        >>> pull.shop_problem("netsuite", "magento2", shops={"magento2"}, generic={"files"}) is None
        True
        """
        shop = target if self.direction == "pull" else source
        if shop in shops or shop in generic:
            return None
        into = "into" if self.direction == "pull" else "out of"
        other = ConnectorType(self.entity, "push" if self.direction == "pull" else "pull")
        return (f"A {self.direction} brings records {into} the shop, so {self.shop_side}.system must be "
                f"a shop ({', '.join(sorted(shops))}) or a generic system ({', '.join(sorted(generic))}), "
                f"not {shop!r}. Did you mean {other.name!r}?")


#: Every ConnectorType: each entity, pulled and pushed.
CONNECTOR_TYPES = {
    connector.name: connector
    for connector in (ConnectorType(entity, direction) for entity in ENTITIES for direction in DIRECTIONS)
}
