"""Lifecycle events and on_missing: what a mapping may ask for, and what a system says it can do."""

from __future__ import annotations

import pytest

from pipeline.mapping import load_mapping
from pipeline.systems.lifecycle import Applied
from tests.unit.test_mapping_loader import CUSTOMER, problems_of, write

PRODUCT = {
    "connector": "product_pull",
    "source": {"system": "netsuite", "connection": "erp"},
    "target": {"system": "magento2", "connection": "shop"},
    "fields": {"sku": "itemId", "name": "displayName"},
}


def test_on_missing_defaults_to_ignore_with_a_ten_percent_limit(tmp_path):
    spec = load_mapping(write(tmp_path, PRODUCT))
    assert (spec.options.on_missing, spec.options.missing_limit_pct) == ("ignore", 10.0)


def test_a_mapping_may_ask_the_shop_to_disable_products_gone_from_the_source(tmp_path):
    spec = load_mapping(write(tmp_path, {**PRODUCT, "options": {"on_missing": "disable", "missing_limit_pct": 25}}))
    assert (spec.options.on_missing, spec.options.missing_limit_pct) == ("disable", 25.0)


def test_a_target_that_cannot_remove_records_is_refused_when_the_file_loads(tmp_path):
    document = {**CUSTOMER, "target": {"system": "files", "connection": "out"}, "options": {"on_missing": "delete"}}
    assert problems_of(write(tmp_path, document)) == {"options.on_missing": [
        "System 'files' cannot delete customer records missing from the source (it cannot remove or disable "
        "them). Set on_missing to ignore."]}


def test_an_action_the_target_does_not_have_for_the_entity_names_the_ones_it_has(tmp_path):
    document = {**PRODUCT, "connector": "customer_pull", "fields": {"email": "email", "first_name": "a",
                                                                     "last_name": "b"},
                "options": {"on_missing": "disable"}}
    assert problems_of(write(tmp_path, document)) == {"options.on_missing": [
        "System 'magento2' cannot disable customer records missing from the source (it can delete them). "
        "Set on_missing to ignore or to delete."]}


def test_an_unknown_action_and_limit_are_refused(tmp_path):
    problems = problems_of(write(tmp_path, {**PRODUCT, "options": {"on_missing": "purge", "missing_limit_pct": 120}}))
    assert problems == {"options.on_missing": ["Must be one of: ignore, delete, disable."],
                        "options.missing_limit_pct": ["Must be greater than or equal to 0 and less than or equal "
                                                      "to 100."]}


def test_a_lifecycle_outcome_names_a_known_event():
    with pytest.raises(ValueError, match="Unknown lifecycle event 'canceled'; known events: cancelled, closed"):
        Applied("canceled")
