from __future__ import annotations

import doctest
import json
import re
from decimal import Decimal
from pathlib import Path

import jmespath
import pytest
import yaml

import pipeline.mapping.apply
import pipeline.mapping.functions
import pipeline.schedule.cron
from pipeline.errors import RecordError
from pipeline.mapping import Mapper, load_mapping
from pipeline.mapping.functions import ARITIES, MappingFunctions
from pipeline.systems.base import INVALID_RECORD, LoadItem

ROOT = Path(__file__).resolve().parents[2]
VALUE_MAPS = {
    "customer_group": {"1": "general", "2": "wholesale", "_default": "retail"},
    "status": {"A": "active", "I": "inactive"},
}


def search(expression: str, data: object) -> object:
    options = jmespath.Options(custom_functions=MappingFunctions(VALUE_MAPS))
    return jmespath.search(expression, data, options=options)


GOLDEN = [
    ("lower(v)", {"v": "Ada@Example.COM"}, "ada@example.com"),
    ("lower(v)", {}, None),
    ("upper(v)", {"v": "de"}, "DE"),
    ("upper(v)", {"v": None}, None),
    ("trim(v)", {"v": "  Ada \t"}, "Ada"),
    ("trim(v)", {"v": "   "}, None),
    ("trim(v)", {"v": ""}, None),
    ("trim(v)", {}, None),
    ("to_decimal(v)", {"v": "12.50"}, Decimal("12.50")),
    ("to_decimal(v)", {"v": "1,5"}, Decimal("1.5")),
    ("to_decimal(v)", {"v": " -3.20 "}, Decimal("-3.20")),
    ("to_decimal(v)", {"v": 0.1}, Decimal("0.1")),
    ("to_decimal(v)", {"v": 42}, Decimal("42")),
    ("to_decimal(v)", {"v": ""}, None),
    ("to_decimal(v)", {"v": "  "}, None),
    ("to_decimal(v)", {}, None),
    ("to_datetime(v, '%Y-%m-%d %H:%M:%S')", {"v": "2026-11-02 09:15:00"}, "2026-11-02T09:15:00+00:00"),
    ("to_datetime(v, '%Y-%m-%d %H:%M:%S %z')", {"v": "2024-03-01 10:00:00 +0200"},
     "2024-03-01T08:00:00+00:00"),
    ("to_datetime(v, '%d.%m.%Y %H:%M%z')", {"v": " 31.12.2024 23:30-0100 "}, "2025-01-01T00:30:00+00:00"),
    ("to_datetime(v, '%Y')", {"v": ""}, None),
    ("to_datetime(v, '%Y')", {}, None),
    ("to_date(v, '%d.%m.%Y')", {"v": "10.12.1815"}, "1815-12-10"),
    ("to_date(v, '%m/%d/%Y')", {"v": " 02/29/2024 "}, "2024-02-29"),
    ("to_date(v, '%d.%m.%Y')", {"v": ""}, None),
    ("split(v, '|')", {"v": "1 Navy Yard| Building 3 ||"}, ["1 Navy Yard", "Building 3"]),
    ("split(v, ',')", {"v": "one"}, ["one"]),
    ("split(v, '|')", {"v": ""}, []),
    ("split(v, '|')", {}, []),
    ("coalesce(a, b, c)", {"a": None, "b": "", "c": "third"}, "third"),
    ("coalesce(a, b)", {"a": 0, "b": "second"}, 0),
    ("coalesce(a, b)", {"a": False, "b": "second"}, False),
    ("coalesce(a)", {}, None),
    ("default(v, 'none')", {"v": "given"}, "given"),
    ("default(v, 'none')", {"v": ""}, "none"),
    ("default(v, 'none')", {}, "none"),
    ("default(v, `0`)", {"v": 0}, 0),
    ("md5('ada@example.com')", {}, "3e3417d7ef77d5932a6734b916515ed5"),
    ("md5(lower(trim(v)))", {"v": " Ada@Example.com "}, "3e3417d7ef77d5932a6734b916515ed5"),
    ("map_value('customer_group', v)", {"v": "2"}, "wholesale"),
    ("map_value('customer_group', v)", {"v": 1}, "general"),
    ("map_value('customer_group', v)", {"v": "9"}, "retail"),
    ("map_value('customer_group', v)", {}, None),
    ("map_value('status', v)", {"v": "I"}, "inactive"),
]


# repr() compares type and exact value: Decimal('12.50') is not Decimal('12.5').
@pytest.mark.parametrize(("expression", "data", "expected"), GOLDEN)
def test_custom_functions_give_the_golden_result(expression, data, expected):
    assert repr(search(expression, data)) == repr(expected)


@pytest.mark.parametrize(("expression", "data", "message"), [
    ("to_decimal(v)", {"v": "abc"}, "to_decimal() cannot read 'abc' as a number."),
    ("to_decimal(v)", {"v": "1.234,50"}, "to_decimal() cannot read '1.234,50' as a number."),
    ("to_decimal(v)", {"v": "NaN"}, "to_decimal() cannot read 'NaN' as a number."),
    ("to_decimal(v)", {"v": "-Infinity"}, "to_decimal() cannot read '-Infinity' as a number."),
    ("to_datetime(v, '%Y-%m-%d')", {"v": "2024-13-01"},
     "to_datetime() cannot read '2024-13-01' with format '%Y-%m-%d'."),
    ("to_date(v, '%d.%m.%Y')", {"v": "1815-12-10"},
     "to_date() cannot read '1815-12-10' with format '%d.%m.%Y'."),
    ("split(v, '')", {"v": "a b"}, "split() needs a non-empty separator."),
    ("map_value('status', v)", {"v": "X"},
     "Value 'X' is not in value map 'status' and the map has no _default."),
    ("map_value('status', v)", {"v": 7}, "Value 7 is not in value map 'status' and the map has no _default."),
    ("map_value('statuses', v)", {"v": "A"}, "Unknown value map 'statuses'."),
])
def test_custom_functions_fail_a_bad_value_with_a_sentence(expression, data, message):
    with pytest.raises(RecordError) as info:
        search(expression, data)

    assert str(info.value) == message


def test_every_custom_function_is_in_the_golden_table():
    custom = set(ARITIES) - set(jmespath.functions.Functions.FUNCTION_TABLE)
    called = {name for expression, _, _ in GOLDEN for name in re.findall(r"(\w+)\(", expression)}

    assert custom == {"lower", "upper", "trim", "to_decimal", "to_datetime", "to_date", "split", "coalesce",
                      "default", "md5", "map_value"}
    assert custom - called == set()


def test_the_arity_table_matches_the_signatures():
    assert ARITIES["lower"] == (1, 1)
    assert ARITIES["to_datetime"] == (2, 2)
    assert ARITIES["coalesce"] == (1, None)
    assert ARITIES["length"] == (1, 1)
    assert ARITIES["not_null"] == (1, None)


@pytest.mark.parametrize("module", [pipeline.mapping.apply, pipeline.mapping.functions, pipeline.schedule.cron])
def test_the_docstring_examples_of_the_mapping_layer_hold(module, monkeypatch):
    monkeypatch.chdir(ROOT)

    result = doctest.testmod(module)

    assert (result.failed, result.attempted > 0) == (0, True)


# Mapper: whole records


ORDER_MAPPING = {
    "connector": "order_pull",
    "source": {"system": "files"},
    "target": {"system": "memory"},
    "value_maps": {"status": {"A": "processing", "C": "complete"}},
    "constants": {"currency": "EUR"},
    "fields": {
        "order_number": "No",
        "customer_email": "lower(Mail)",
        "customer_name": "Name",
        "status": "map_value('status', St)",
        "created_at": "to_datetime(At, '%Y-%m-%d %H:%M')",
        "grand_total": "to_decimal(Total)",
        "billing_address": {"from": "Bill", "fields": {"city": "City", "country_code": "upper(Country)"}},
        "lines": {"each": "Items",
                  "fields": {"sku": "trim(Sku)", "qty": "Qty", "price": "to_decimal(Price)"}},
    },
    "target_fields": {"subsidiary": "`1`", "credit_limit": "to_decimal(Limit)", "tags": "Tags"},
}
ORDER_RECORD = {
    "No": "1001", "Mail": "Ada@Example.com", "St": "A", "At": "2026-11-02 09:15", "Total": "19.90",
    "Bill": {"City": "London", "Country": "gb"},
    "Items": [{"Sku": " TEE ", "Qty": 2, "Price": "4.95"}, {"Sku": "MUG", "Qty": "1", "Price": "10"}],
    "Limit": "1500.00", "Tags": ["vip", "b2b"],
}


def order_mapper(tmp_path, **changes) -> Mapper:
    document = {**ORDER_MAPPING, **changes}
    path = tmp_path / "erp_order.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return Mapper(load_mapping(path))


def record_error(mapper: Mapper, record: dict) -> RecordError:
    with pytest.raises(RecordError) as info:
        mapper.map(record)
    return info.value


def test_a_record_maps_to_a_normalised_entity_with_nested_objects_and_lists(tmp_path):
    item = order_mapper(tmp_path).map(ORDER_RECORD)

    assert item == LoadItem(
        key="1001",
        data={
            "order_number": "1001",
            "customer_email": "ada@example.com",
            "status": "processing",
            "currency": "EUR",
            "created_at": "2026-11-02T09:15:00+00:00",
            "billing_address": {"city": "London", "country_code": "GB"},
            "lines": [{"sku": "TEE", "qty": "2", "price": "4.95"}, {"sku": "MUG", "qty": "1", "price": "10"}],
            "grand_total": "19.90",
        },
        native={"subsidiary": 1, "credit_limit": "1500.00", "tags": ["vip", "b2b"]},
    )
    # What travels between workers must survive JSON unchanged.
    assert json.loads(json.dumps(item.as_message())) == item.as_message()


def test_a_null_result_is_left_out_rather_than_sent_as_null(tmp_path):
    record = {key: value for key, value in ORDER_RECORD.items() if key not in ("Bill", "Items", "Tags")}

    mapper = order_mapper(tmp_path)

    mapped = mapper.apply(record)
    assert sorted(mapped) == [
        "created_at", "currency", "customer_email", "grand_total", "order_number", "status"]
    assert mapper.map(record).native == {"subsidiary": 1, "credit_limit": "1500.00"}


def test_constants_are_overridden_by_a_mapped_field(tmp_path):
    mapper = order_mapper(tmp_path, constants={"currency": "EUR", "status": "processing"})

    assert mapper.map({**ORDER_RECORD, "St": "C"}).data["status"] == "complete"
    assert mapper.map({**ORDER_RECORD, "St": None}).data["status"] == "processing"


def test_an_entity_validation_error_names_the_record_and_the_field(tmp_path):
    record = {**ORDER_RECORD, "Bill": {"City": "London", "Country": "XX"}}

    error = record_error(order_mapper(tmp_path), record)

    assert str(error) == ("Invalid order record '1001': billing_address.country_code: "
                          "Not a valid ISO 3166-1 alpha-2 country code: 'XX'.")
    assert error.problems == {
        "billing_address": {"country_code": ["Not a valid ISO 3166-1 alpha-2 country code: 'XX'."]}}


def test_a_type_error_in_a_function_names_the_target_field(tmp_path):
    mapper = order_mapper(tmp_path, fields={**ORDER_MAPPING["fields"], "customer_name": "upper(Name)"})

    error = record_error(mapper, {**ORDER_RECORD, "Name": 5})

    message = ("In function upper(), invalid type for value: 5, expected one of: ['string', 'null'], "
               "received: \"number\"")
    assert str(error) == f"Invalid order record '1001': customer_name: {message}"
    assert error.problems == {"customer_name": [message]}


def test_a_function_error_in_a_list_element_names_its_index(tmp_path):
    items = [ORDER_RECORD["Items"][0], {"Sku": "MUG", "Qty": 1, "Price": "ten"}]

    error = record_error(order_mapper(tmp_path), {**ORDER_RECORD, "Items": items})

    assert str(error) == ("Invalid order record '1001': lines.1.price: "
                          "to_decimal() cannot read 'ten' as a number.")
    assert error.problems == {"lines.1.price": ["to_decimal() cannot read 'ten' as a number."]}


def test_a_value_missing_from_a_value_map_names_the_field(tmp_path):
    error = record_error(order_mapper(tmp_path), {**ORDER_RECORD, "St": "Z"})

    assert str(error) == ("Invalid order record '1001': status: "
                          "Value 'Z' is not in value map 'status' and the map has no _default.")


def test_each_over_something_that_is_not_a_list_fails_the_record(tmp_path):
    error = record_error(order_mapper(tmp_path), {**ORDER_RECORD, "Items": {"Sku": "TEE"}})

    assert str(error) == "Invalid order record '1001': lines: expected a list, got dict."
    assert error.problems == {"lines": ["Not a list."]}


def test_an_error_in_a_target_field_names_it_and_the_record(tmp_path):
    error = record_error(order_mapper(tmp_path), {**ORDER_RECORD, "Limit": "lots"})

    assert str(error) == ("Invalid order record '1001': target_fields.credit_limit: "
                          "to_decimal() cannot read 'lots' as a number.")


def test_a_record_without_its_key_is_named_without_one(tmp_path):
    error = record_error(order_mapper(tmp_path), {**ORDER_RECORD, "No": None, "St": "Z"})

    assert str(error) == ("Invalid order record: status: "
                          "Value 'Z' is not in value map 'status' and the map has no _default.")


def test_an_unreadable_record_fails_with_its_reason(tmp_path):
    record = {INVALID_RECORD: "Line 3 is not valid JSON: Expecting value."}

    error = record_error(order_mapper(tmp_path), record)

    assert str(error) == "Invalid order record: Line 3 is not valid JSON: Expecting value."


def test_the_source_key_is_normalised_like_the_entity_key(tmp_path):
    customer = Mapper(load_mapping(ROOT / "mappings" / "demo_files_customer.yaml"))

    assert customer.source_key({"Email": " Ada@Example.COM "}) == "ada@example.com"
    assert customer.source_key({"Email": "not an email"}) == "not an email"
    assert customer.source_key({}) is None
    assert customer.source_key({"Email": 5}) is None
