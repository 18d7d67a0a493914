"""Which fields of a source record a mapping reads, so that preview can warn about misspelt ones.

JMESPath answers ``null`` for a path that is not there: ``to_decimal(Wieght)`` maps every record to
nothing, silently. Comparing the fields a mapping reads with the fields its samples have finds
the typo before a run does.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from pipeline.mapping.spec import FieldRule, MappingSpec

#: Nodes whose first child is evaluated on the current record and the rest on its result.
_LEFT_ONLY = {"subexpression", "index_expression", "projection", "filter_projection", "value_projection",
              "pipe", "flatten"}
#: Nodes whose children are all evaluated on the current record.
_ALL = {"function_expression", "or_expression", "and_expression", "not_expression", "comparator",
        "multi_select_list", "multi_select_dict", "key_val_pair"}


def root_fields(node: dict) -> set[str]:
    """The field names a parsed JMESPath expression reads directly off the record it is applied to."""
    kind, children = node.get("type"), node.get("children", [])
    if kind == "field":
        return {node["value"]}
    if kind in _LEFT_ONLY and children:
        first = children[0]
        if first.get("type") in ("current", "identity") and len(children) > 1 and kind == "subexpression":
            return root_fields(children[1])  # @.name reads name off the record itself
        return root_fields(first)
    if kind in _ALL:
        return set().union(*(root_fields(child) for child in children)) if children else set()
    return set()


def read_paths(spec: MappingSpec) -> dict[str, str]:
    """Source field -> the first mapping field (dotted) that reads it, over the rules applied to the record."""
    found: dict[str, str] = {}

    def walk(rules: Sequence[FieldRule], prefix: str) -> None:
        for rule in rules:
            if rule.expression is not None:
                for name in sorted(root_fields(rule.expression.parsed)):
                    found.setdefault(name, f"{prefix}{rule.name}")
            elif rule.children:
                walk(rule.children, f"{prefix}{rule.name}.")  # a nested object built from the record itself

    walk(spec.fields, "fields.")
    walk(spec.target_fields, "target_fields.")
    return found


def absent_paths(spec: MappingSpec, samples: Iterable[object]) -> list[str]:
    """One warning per source field the mapping reads that no sample record has."""
    records = [record for record in samples if isinstance(record, dict)]
    if not records:
        return []
    present = set().union(*(record.keys() for record in records))
    warnings = []
    for name, where in sorted(read_paths(spec).items()):
        if name in present:
            continue
        warning = f"Source field {name!r} ({where}) is absent from all {len(records)} sample records"
        close = difflib.get_close_matches(name, sorted(map(str, present)), n=1)
        warnings.append(warning + (f". Did you mean {close[0]!r}?" if close else ": it maps to null."))
    return warnings
