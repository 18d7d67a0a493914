"""Magento's ``searchCriteria``: the query of every ``getList`` endpoint, and paging through it.

Filters inside one group are OR-ed, groups are AND-ed. Parameter names follow the official
schema's camelCase spelling (``searchCriteria[filterGroups][0][filters][0][conditionType]``).

Paging stops on ``total_count``: past the last page, collection-backed endpoints answer the
last page again instead of an empty one (magento/magento2#3787, #8099, #26986), so a client
waiting for an empty page never stops.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

#: Condition types Magento understands (``from``/``to`` must be paired; ``in``/``nin`` take a comma list).
CONDITIONS = frozenset({"eq", "finset", "from", "gt", "gteq", "in", "like", "lt", "lteq", "moreq", "neq",
                        "nfinset", "nin", "nlike", "notnull", "null", "to"})


@dataclass(frozen=True)
class Filter:
    field: str
    value: str
    condition: str = "eq"

    def __post_init__(self) -> None:
        if self.condition not in CONDITIONS:
            raise ValueError(f"Unknown searchCriteria condition type {self.condition!r}. "
                             f"Known: {', '.join(sorted(CONDITIONS))}.")


@dataclass(frozen=True)
class SearchCriteria:
    """An immutable searchCriteria; each method returns a new one.

    >>> criteria = SearchCriteria(page_size=2).where("updated_at", "2024-01-01 00:00:00", "gteq")
    >>> criteria.order_by("updated_at").params(current_page=1)[:3]
    [('searchCriteria[filterGroups][0][filters][0][field]', 'updated_at'), \
('searchCriteria[filterGroups][0][filters][0][value]', '2024-01-01 00:00:00'), \
('searchCriteria[filterGroups][0][filters][0][conditionType]', 'gteq')]
    """

    groups: tuple[tuple[Filter, ...], ...] = ()
    sort_orders: tuple[tuple[str, str], ...] = ()
    #: None asks for every row at once (Magento's default without pageSize).
    page_size: int | None = None

    def where(self, field_name: str, value: object, condition: str = "eq") -> SearchCriteria:
        """AND one more condition."""
        return self.any_of(Filter(field_name, _text(value), condition))

    def any_of(self, *filters: Filter) -> SearchCriteria:
        """AND one group of OR-ed conditions."""
        return replace(self, groups=self.groups + (tuple(filters),))

    def order_by(self, field_name: str, direction: str = "ASC") -> SearchCriteria:
        # Sent always: Magento's documented default without a direction is descending.
        return replace(self, sort_orders=self.sort_orders + ((field_name, direction.upper()),))

    def params(self, current_page: int | None = None) -> list[tuple[str, str]]:
        """The bracketed query parameters, in a stable order."""
        out: list[tuple[str, str]] = []
        for g, group in enumerate(self.groups):
            for f, one in enumerate(group):
                at = f"searchCriteria[filterGroups][{g}][filters][{f}]"
                out += [(f"{at}[field]", one.field), (f"{at}[value]", one.value),
                        (f"{at}[conditionType]", one.condition)]
        for s, (name, direction) in enumerate(self.sort_orders):
            out += [(f"searchCriteria[sortOrders][{s}][field]", name),
                    (f"searchCriteria[sortOrders][{s}][direction]", direction)]
        if self.page_size is not None:
            out.append(("searchCriteria[pageSize]", str(self.page_size)))
            out.append(("searchCriteria[currentPage]", str(current_page or 1)))
        elif current_page is not None:
            out.append(("searchCriteria[currentPage]", str(current_page)))
        return out


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (list, tuple, set, frozenset)):
        return ",".join(_text(item) for item in value)
    return str(value)


#: Sends a GET with query parameters and returns the decoded JSON body.
Getter = Callable[[str, list[tuple[str, str]]], Any]


def pages(get: Getter, path: str, criteria: SearchCriteria) -> Iterator[list[dict]]:
    """Yield each page's ``items`` of a getList endpoint until ``total_count`` rows were covered."""
    current, previous = 1, None
    while True:
        body = get(path, criteria.params(current_page=current if criteria.page_size else None))
        items = list(body.get("items") or [])
        total = int(body.get("total_count") or 0)
        # A page equal to the one before is the last page repeated: past the end whatever
        # total_count said (it can only drift if rows change during the pull).
        if items == previous:
            return
        if items:
            yield items
        # Without a page size Magento sends everything at once. An empty page before the total
        # was reached means rows were deleted meanwhile: stop rather than ask forever.
        if criteria.page_size is None or not items or current * criteria.page_size >= total:
            return
        current, previous = current + 1, items


def chunks(values: Sequence[str], size: int) -> Iterator[list[str]]:
    """``values`` in lists of at most ``size`` (``in`` filters travel in the URL, which has limits)."""
    for start in range(0, len(values), size):
        yield list(values[start:start + size])
