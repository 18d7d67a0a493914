"""Magento 1's list filters as Varien reads them (``Mage_Api_Helper_Data::parseFilters`` then
``addFieldToFilter``, i.e. ``Varien_Db_Adapter_Pdo_Mysql::prepareSqlCondition``).

* ``{"field": "value"}``: equality;
* ``{"field": {"from": a, "to": b}}``: ``>= a AND <= b``, both ends inclusive, either one alone;
* ``{"field": {"<op>": value}}``: only the **first** operator in Varien's order is applied (so
  ``{"gt": a, "lt": b}`` filters on ``gt`` alone), which is why ranges must use from/to;
* ``{"field": [cond, cond]}``: a list of conditions, OR-ed.

Comparisons follow MySQL: strings without regard to case (``utf8_general_ci``), numbers as
numbers, NULL matching nothing but ``null``/``is``.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

#: Varien's operators, in the order ``prepareSqlCondition`` tries them (``moreq`` is an old ``gteq``).
OPERATORS = ("eq", "neq", "like", "nlike", "in", "nin", "is", "notnull", "null", "gt", "lt", "gteq", "moreq",
             "lteq", "finset", "regexp")


class FilterError(Exception):
    """A condition Varien would refuse (the message is what the emulator answers)."""


def matches(row: dict, filters: dict, aliases: dict[str, str] | None = None) -> bool:
    """Whether ``row`` passes every ``field: condition`` of ``filters`` (fields renamed by ``aliases``)."""
    for field, condition in (filters or {}).items():
        name = (aliases or {}).get(field, field)
        if not condition_holds(row.get(name), condition):
            return False
    return True


def condition_holds(value: object, condition: object) -> bool:
    if isinstance(condition, list):
        if condition and all(isinstance(one, dict) for one in condition):
            return any(condition_holds(value, one) for one in condition)
        # A plain list of values: Varien writes IN (...).
        return _in(value, condition)
    if not isinstance(condition, dict):
        return _compare(value, condition) == 0
    if "from" in condition or "to" in condition:
        low, high = condition.get("from"), condition.get("to")
        return ((low is None or _compare(value, low) in (0, 1))
                and (high is None or _compare(value, high) in (0, -1)))
    for operator in OPERATORS:
        if operator in condition:
            return _apply(operator, value, condition[operator])
    raise FilterError(f"Unknown filter condition {sorted(condition)}.")


def _apply(operator: str, value: object, operand: object) -> bool:
    if operator in ("null", "notnull"):
        return (value is None) == (operator == "null")
    if operator == "is":
        wanted_null = str(operand).strip().upper() == "NULL"
        return (value is None) == wanted_null
    if value is None:
        return False
    if operator in ("in", "nin"):
        found = _in(value, operand if isinstance(operand, list) else [operand])
        return found if operator == "in" else not found
    if operator in ("like", "nlike"):
        found = _like(str(value), str(operand))
        return found if operator == "like" else not found
    if operator == "finset":
        return str(operand).lower() in [part.lower() for part in str(value).split(",")]
    if operator == "regexp":
        return re.search(str(operand), str(value), re.IGNORECASE) is not None
    order = _compare(value, operand)
    return {"eq": order == 0, "neq": order != 0, "gt": order == 1, "lt": order == -1,
            "gteq": order in (0, 1), "moreq": order in (0, 1), "lteq": order in (0, -1)}[operator]


def _in(value: object, options: list) -> bool:
    return value is not None and any(_compare(value, option) == 0 for option in options)


def _like(value: str, pattern: str) -> bool:
    regex = "".join(".*" if char == "%" else "." if char == "_" else re.escape(char) for char in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL) is not None


def _compare(value: object, operand: object) -> int | None:
    """-1, 0 or 1 as MySQL would order them; None when ``value`` is NULL."""
    if value is None:
        return None
    left, right = _number(value), _number(operand)
    if left is not None and right is not None:
        return (left > right) - (left < right)
    a, b = str(value).lower(), str(operand).lower()
    return (a > b) - (a < b)


def _number(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return Decimal(int(value))
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return None if number.is_nan() else number
