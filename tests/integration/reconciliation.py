"""What every reconciliation test shares: money to the cent, the every-mapped-field account, and
field-by-field comparison of a target's stored record (in entity terms) with the source's mapping."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.testing.magento2 import Magento2Emulator
from pipeline.testing.netsuite import NetSuiteEmulator
from tests.integration.conftest import start_run, wait_for_run

CENT = Decimal("0.01")


def money(value: object) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def mapped_paths(spec) -> set[str]:
    paths = set()
    for rule in spec.fields:
        if rule.children:
            paths |= {f"{rule.name}.{child.name}" for child in rule.children}
        else:
            paths.add(rule.name)
    return paths


def account(checked: set[str], unchecked: dict[str, str], spec) -> None:
    """Every mapped field is checked or listed with its reason; print the figures for the note."""
    mapped = mapped_paths(spec)
    assert mapped - checked - set(unchecked) == set(), "mapped fields nobody compares"
    assert (checked | set(unchecked)) - mapped == set(), "checks of fields the mapping does not map"
    print(f"{spec.name}: {len(checked)} fields checked of {len(mapped)} mapped; unchecked: {unchecked}")


def compare(found: dict, expected: dict, where: str, failures: list[str]) -> set[str]:
    """Compare field by field; return the paths compared (failures collected, not raised one by one)."""
    for path, want in expected.items():
        got = found.get(path)
        if isinstance(want, Decimal) or isinstance(got, Decimal):
            equal = money(got) == money(want)
        else:
            equal = got == want
        if not equal:
            failures.append(f"{where} {path}: {got!r} in the target, {want!r} in the source")
    return set(expected)


@pytest.fixture
def erp():
    with NetSuiteEmulator() as emulator:
        yield emulator
    assert emulator.violations == [], "a body carried fields NetSuite would have dropped"


@pytest.fixture
def shop():
    with Magento2Emulator() as emulator:
        yield emulator
    assert emulator.violations == []


def run(env, runs, integration: str):
    return wait_for_run(runs, start_run(env, integration), 120)


def checked_paths(compared: set[str]) -> set[str]:
    # lines.0.sku -> lines.sku: the mapping's terms.
    return {".".join(part for part in path.split(".") if not part.isdigit()) for path in compared}
