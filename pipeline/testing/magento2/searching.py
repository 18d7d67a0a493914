"""searchCriteria as Magento's getList endpoints read it: filters, sort orders, pages.

Filters in one group are OR-ed, groups AND-ed. String comparisons ignore case, as MySQL's
default collation does (``email eq JDoe@…`` finds ``jdoe@…``). Past the last page the last
page is answered again (``clamp``), the quirk of collection-backed repositories.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field

from pipeline.testing.magento2.responses import REQUIRED_QUERY, MagentoError, bad_request

_SNAKE = {"filterGroups": "filter_groups", "conditionType": "condition_type", "sortOrders": "sort_orders",
          "pageSize": "page_size", "currentPage": "current_page"}
_SEGMENT = re.compile(r"\[([^\]]*)\]")


@dataclass
class Criteria:
    groups: list[list[dict]] = field(default_factory=list)
    sort_orders: list[dict] = field(default_factory=list)
    page_size: int | None = None
    current_page: int | None = None

    def echo(self) -> dict:
        """``search_criteria`` as Magento returns it (what it parsed)."""
        out: dict = {"filter_groups": [{"filters": group} for group in self.groups]}
        if self.sort_orders:
            out["sort_orders"] = self.sort_orders
        if self.page_size is not None:
            out["page_size"] = self.page_size
        if self.current_page is not None:
            out["current_page"] = self.current_page
        return out


def parse(query: list[tuple[str, str]], required: bool = True) -> Criteria:
    """The searchCriteria of a query string (either key spelling).

    Raises:
        MagentoError: 400 when a getList call has no searchCriteria at all.
    """
    tree: dict = {}
    found = False
    for key, value in query:
        if key != "searchCriteria" and not key.startswith("searchCriteria["):
            continue
        found = True
        parts = [_SNAKE.get(part, part) for part in _SEGMENT.findall(key)]
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        if parts:
            node[parts[-1]] = value
    if not found and required:
        raise bad_request(REQUIRED_QUERY, {"fieldName": "searchCriteria"})
    groups = [[_filter(one) for _, one in _ordered(group.get("filters", {}))]
              for _, group in _ordered(tree.get("filter_groups", {}))]
    sorts = [{"field": one.get("field"), "direction": (one.get("direction") or "DESC").upper()}
             for _, one in _ordered(tree.get("sort_orders", {}))]
    return Criteria([group for group in groups if group], sorts, _int(tree.get("page_size")),
                    _int(tree.get("current_page")))


def _ordered(node: object) -> list[tuple[int, dict]]:
    if not isinstance(node, dict):
        return []
    return sorted(((int(k), v) for k, v in node.items() if str(k).isdigit() and isinstance(v, dict)),
                  key=lambda pair: pair[0])


def _filter(one: dict) -> dict:
    return {"field": one.get("field"), "value": one.get("value", ""),
            "condition_type": (one.get("condition_type") or "eq").lower()}


def _int(value: str | None) -> int | None:
    return int(value) if value not in (None, "") else None


#: Magento's refusal of a page size below one: ``SearchCriteriaValidator`` (Magento\Framework\Webapi
#: \Validator), in the versions that check a minimum. Without it a negative size reads one row.
MINIMUM_PAGE_SIZE = "Minimum SearchCriteria pageSize is %min"
#: An EAV collection's refusal of a filter on an attribute it does not have
#: (``Magento\Eav\Model\Entity\Collection\AbstractCollection``), a LocalizedException: 400.
INVALID_ATTRIBUTE = "Invalid attribute name: %1"


def criteria_fields(criteria: Criteria) -> set[str]:
    """The fields a search filters or sorts on."""
    return ({one["field"] for group in criteria.groups for one in group}
            | {order["field"] for order in criteria.sort_orders})


def check_fields(criteria: Criteria, known: set[str], *, eav: bool) -> None:
    """Refuse a page size below one and a filter or sort on a field the collection does not have.

    An EAV collection (customers, products) answers 400 ``Invalid attribute name``. A flat table's
    collection (orders, invoices, shipments, credit memos, MSI source items) checks nothing: MySQL
    refuses the unknown column, ``Zend_Db_Statement_Exception`` is no ``LocalizedException``, so
    production mode answers 500 with only a report id (``responses.internal_error``), never the
    400 a client could read. Raised here as a 500 carrying the SQL error, which the emulator
    records as the client's violation before answering as Magento does.
    """
    if criteria.page_size is not None and criteria.page_size < 1:
        raise bad_request(MINIMUM_PAGE_SIZE, {"min": 1})
    sorted_on = {order["field"] for order in criteria.sort_orders}
    filtered_on = criteria_fields(criteria) - sorted_on
    for name in sorted(criteria_fields(criteria)):
        if name not in known:
            if eav:
                raise bad_request(INVALID_ATTRIBUTE, [name])
            clause = "where clause" if name in filtered_on else "order clause"
            raise MagentoError(500, f"SQLSTATE[42S22]: Column not found: 1054 Unknown column '{name}' in "
                                    f"'{clause}'")


def search(records: list[dict], criteria: Criteria, *, aliases: dict[str, str] | None = None,
           clamp: bool = True) -> dict:
    """The getList envelope ``{items, search_criteria, total_count}`` over ``records``."""
    aliases = aliases or {}
    found = [record for record in records
             if all(any(_matches(record, one, aliases) for one in group) for group in criteria.groups)]
    for order in reversed(criteria.sort_orders):
        name = aliases.get(order["field"], order["field"])
        found.sort(key=lambda record: _sort_key(record.get(name)), reverse=order["direction"] == "DESC")
    total = len(found)
    if criteria.page_size:
        last = max(1, math.ceil(total / criteria.page_size))
        page = max(1, criteria.current_page or 1)
        if clamp:
            page = min(page, last)
        found = found[(page - 1) * criteria.page_size:page * criteria.page_size]
    return {"items": found, "search_criteria": criteria.echo(), "total_count": total}


def _matches(record: dict, one: dict, aliases: dict[str, str]) -> bool:
    value = record.get(aliases.get(one["field"], one["field"]))
    wanted, condition = one["value"], one["condition_type"]
    if condition == "null":
        return value is None
    if condition == "notnull":
        return value is not None
    if condition in ("in", "nin"):
        inside = any(_compare(value, item) == 0 for item in str(wanted).split(","))
        return inside if condition == "in" else not inside
    if condition in ("like", "nlike"):
        pattern = "^" + ".*".join(re.escape(part).replace("_", ".") for part in str(wanted).split("%")) + "$"
        hit = value is not None and re.match(pattern, str(value), re.IGNORECASE | re.DOTALL) is not None
        return hit if condition == "like" else not hit
    if condition == "finset":
        return str(wanted).lower() in str(value or "").lower().split(",")
    if value is None:
        return condition == "neq"
    outcome = _compare(value, wanted)
    checks = {"eq": outcome == 0, "neq": outcome != 0, "gt": outcome > 0, "gteq": outcome >= 0,
              "from": outcome >= 0, "moreq": outcome >= 0, "lt": outcome < 0, "lteq": outcome <= 0,
              "to": outcome <= 0}
    if condition not in checks:
        raise bad_request('Invalid condition type "%1".', [condition])
    return checks[condition]


def _compare(value: object, wanted: object) -> int:
    left, right = _sort_key(value), _sort_key(wanted)
    if left[0] != right[0]:
        left, right = (2, str(value).lower()), (2, str(wanted).lower())
    return (left > right) - (left < right)


def _sort_key(value: object) -> tuple:
    # MySQL sorts NULL first, numbers as numbers and strings without regard to case.
    if value is None:
        return (0, 0)
    if isinstance(value, str):
        return _text_key(value)
    if isinstance(value, bool):
        return (1, float(value))
    try:
        return (1, float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return (2, str(value).lower())


@functools.lru_cache(maxsize=65_536)
def _text_key(value: str) -> tuple:
    # Cached: a search compares every stored row, and float() of a non-number raises, which is slow;
    # with thousands of customers that made the emulator, not the client, the bottleneck of a test.
    try:
        return (1, float(value))
    except ValueError:
        return (2, value.lower())
