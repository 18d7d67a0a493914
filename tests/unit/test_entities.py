from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from marshmallow import ValidationError

from pipeline.entities import (
    ENTITIES,
    Customer,
    InventoryItem,
    Order,
    Product,
    Shipment,
    get_entity,
)
from pipeline.errors import RecordError, UnknownNameError

UTC = dt.timezone.utc


def customer(**overrides):
    return {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace", **overrides}


def order(**overrides):
    return {
        "order_number": "100000042",
        "customer_email": "ada@example.com",
        "status": "processing",
        "currency": "EUR",
        "created_at": "2024-03-01T10:00:00+00:00",
        "grand_total": "99.90",
        **overrides,
    }


def load_errors(schema_cls, data):
    with pytest.raises(ValidationError) as excinfo:
        schema_cls().load(data)
    return excinfo.value.messages


# Normalisation


def test_emails_are_trimmed_and_lower_cased():
    assert Customer().load(customer(email="  Ada@Example.COM "))["email"] == "ada@example.com"


def test_money_keeps_the_digits_of_a_string_amount():
    loaded = Order().load(order(grand_total="12.50"))

    assert loaded["grand_total"] == Decimal("12.50")
    assert str(loaded["grand_total"]) == "12.50"


def test_money_reads_a_float_through_its_shortest_form_not_its_binary_value():
    # Decimal(0.1) would be 0.1000000000000000055511151231257827021181583404541015625.
    assert Order().load(order(grand_total=0.1))["grand_total"] == Decimal("0.1")


def test_money_accepts_integers_and_decimals():
    assert Order().load(order(grand_total=10))["grand_total"] == Decimal("10")
    assert Order().load(order(grand_total=Decimal("1.005")))["grand_total"] == Decimal("1.005")


@pytest.mark.parametrize("amount", ["NaN", "Infinity", float("inf"), float("nan")])
def test_money_rejects_special_values(amount):
    assert load_errors(Order, order(grand_total=amount)) == {
        "grand_total": ["Special numeric values (nan or infinity) are not permitted."]
    }


@pytest.mark.parametrize("amount", ["12,50", True, [1], b"1"])
def test_money_rejects_what_is_not_an_amount(amount):
    assert load_errors(Order, order(grand_total=amount)) == {"grand_total": ["Not a valid amount."]}


def test_money_dumps_as_a_plain_decimal_string():
    assert Order.normalise(order(grand_total=1e-7))["grand_total"] == "0.0000001"


def test_datetimes_with_an_offset_are_converted_to_utc():
    loaded = Order().load(order(created_at="2024-03-01T10:00:00+02:00"))

    assert loaded["created_at"] == dt.datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    assert loaded["created_at"].utcoffset() == dt.timedelta(0)


def test_a_naive_datetime_is_taken_as_utc():
    assert Order().load(order(created_at="2024-03-01T10:00:00"))["created_at"] == dt.datetime(
        2024, 3, 1, 10, 0, tzinfo=UTC
    )


def test_a_z_suffix_means_utc():
    assert Order().load(order(created_at="2024-03-01T10:00:00Z"))["created_at"] == dt.datetime(
        2024, 3, 1, 10, 0, tzinfo=UTC
    )


def test_datetime_objects_are_converted_to_utc_too():
    paris = dt.timezone(dt.timedelta(hours=1))
    created = dt.datetime(2024, 3, 1, 10, 0, tzinfo=paris)

    assert Order().load(order(created_at=created))["created_at"] == dt.datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def test_datetimes_dump_as_iso_8601_with_a_utc_offset():
    assert Order.normalise(order(created_at="2024-03-01T10:00:00-05:00"))["created_at"] == (
        "2024-03-01T15:00:00+00:00"
    )


def test_an_invalid_datetime_is_reported():
    assert load_errors(Order, order(created_at="yesterday")) == {
        "created_at": ["Not a valid ISO 8601 datetime."]
    }


def test_country_codes_are_trimmed_and_upper_cased():
    loaded = Customer().load(customer(addresses=[{"country_code": " de "}]))

    assert loaded["addresses"][0]["country_code"] == "DE"


def test_currency_codes_are_upper_cased():
    assert Order().load(order(currency="eur"))["currency"] == "EUR"


def test_strings_are_trimmed():
    address = {"country_code": "GB", "street": [" 1 Main St "]}

    loaded = Customer().load(customer(first_name="  Ada ", addresses=[address]))

    assert loaded["first_name"] == "Ada"
    assert loaded["addresses"][0]["street"] == ["1 Main St"]


def test_product_type_defaults_to_simple():
    assert Product().load({"sku": "SKU-1", "name": "Mug"})["type"] == "simple"


# Errors


def test_an_invalid_email_is_reported():
    assert load_errors(Customer, customer(email="ada@")) == {"email": ["Not a valid email address."]}


@pytest.mark.parametrize("code", ["XX", "DEU", "1", ""])
def test_an_invalid_country_code_is_reported_with_its_value(code):
    assert load_errors(Customer, customer(addresses=[{"country_code": code}])) == {
        "addresses": {0: {"country_code": [f"Not a valid ISO 3166-1 alpha-2 country code: {code!r}."]}}
    }


@pytest.mark.parametrize("code", ["XYZ", "EURO", "€"])
def test_an_invalid_currency_code_is_reported_with_its_value(code):
    assert load_errors(Order, order(currency=code)) == {
        "currency": [f"Not a valid ISO 4217 currency code: {code!r}."]
    }


def test_every_missing_required_field_is_reported():
    assert load_errors(Customer, {"email": "ada@example.com"}) == {
        "first_name": ["Missing data for required field."],
        "last_name": ["Missing data for required field."],
    }


def test_unknown_fields_are_rejected():
    assert load_errors(Customer, customer(fax="+44 20 0000")) == {"fax": ["Unknown field."]}


def test_unknown_fields_in_nested_parts_are_rejected():
    track = {"carrier_code": "ups", "track_number": "1Z", "url": "https://ups.example"}
    shipment = {"shipment_number": "1", "order_number": "2", "tracks": [track]}

    assert load_errors(Shipment, shipment) == {"tracks": {0: {"url": ["Unknown field."]}}}


def test_nested_address_errors_are_keyed_by_index():
    addresses = [{"country_code": "DE"}, {"city": "Berlin"}, {"country_code": "XX"}]

    assert load_errors(Customer, customer(addresses=addresses)) == {
        "addresses": {
            1: {"country_code": ["Missing data for required field."]},
            2: {"country_code": ["Not a valid ISO 3166-1 alpha-2 country code: 'XX'."]},
        }
    }


def test_optional_fields_accept_null_but_required_ones_do_not():
    address = {"country_code": "DE", "company": None}

    loaded = Customer().load(customer(group=None, dob=None, addresses=[address]))

    assert loaded["group"] is None and loaded["dob"] is None
    assert loaded["addresses"][0]["company"] is None
    assert load_errors(Customer, customer(first_name=None)) == {"first_name": ["Field may not be null."]}


def test_null_does_not_replace_a_default():
    assert load_errors(InventoryItem, {"sku": "SKU-1", "quantity": 1, "source_code": None}) == {
        "source_code": ["Field may not be null."]
    }


def test_an_unknown_product_type_lists_the_known_ones():
    assert load_errors(Product, {"sku": "SKU-1", "name": "Mug", "type": "kit"}) == {
        "type": ["Must be one of: simple, configurable, bundle, virtual, downloadable, grouped."]
    }


# normalise and RecordError


def test_normalise_returns_a_json_safe_record():
    raw = order(
        created_at="2024-03-01T10:00:00+01:00",
        billing_address={"country_code": "fr", "street": ["1 rue de Rivoli"], "default_billing": True},
        lines=[{"sku": "MUG", "qty": 2, "price": 4.95, "tax": "0.99"}],
        custom_attributes={"netsuite_class": 7},
    )

    normalised = Order.normalise(raw)

    assert json.loads(json.dumps(normalised)) == normalised
    assert normalised["created_at"] == "2024-03-01T09:00:00+00:00"
    assert normalised["lines"] == [{"sku": "MUG", "qty": "2", "price": "4.95", "tax": "0.99"}]
    assert normalised["billing_address"]["country_code"] == "FR"


def test_normalising_a_normalised_record_changes_nothing():
    raw = customer(
        email=" ADA@example.com",
        dob="1815-12-10",
        created_at="2024-01-01T00:00:00+05:00",
        addresses=[{"country_code": "gb"}],
    )

    once = Customer.normalise(raw)

    assert Customer.normalise(once) == once


def test_record_error_names_the_record_and_every_problem():
    with pytest.raises(RecordError) as excinfo:
        Customer.normalise(
            {"email": "a@b", "last_name": "L", "addresses": [{"country_code": "XX"}], "fax": "1"}
        )

    assert str(excinfo.value) == (
        "Invalid customer record 'a@b': email: Not a valid email address.; "
        "first_name: Missing data for required field.; "
        "addresses.0.country_code: Not a valid ISO 3166-1 alpha-2 country code: 'XX'.; "
        "fax: Unknown field."
    )


def test_record_error_carries_marshmallows_messages_as_problems():
    with pytest.raises(RecordError) as excinfo:
        Customer.normalise(customer(email="nope", addresses=[{"country_code": "XX"}]))

    assert excinfo.value.problems == {
        "email": ["Not a valid email address."],
        "addresses": {0: {"country_code": ["Not a valid ISO 3166-1 alpha-2 country code: 'XX'."]}},
    }


def test_record_error_omits_a_missing_natural_key():
    raw = order()
    del raw["order_number"]

    message = r"^Invalid order record: order_number: Missing data for required field\.$"

    with pytest.raises(RecordError, match=message):
        Order.normalise(raw)


def test_record_error_reports_input_that_is_not_a_mapping():
    with pytest.raises(RecordError, match=r"^Invalid product record: _schema: Invalid input type\.$"):
        Product.normalise(["SKU-1"])


# Keys and registry


def test_key_of_returns_the_natural_key_as_a_string():
    assert Customer.key_of(Customer.normalise(customer())) == "ada@example.com"
    assert Order.key_of({"order_number": 100000042}) == "100000042"


def test_inventory_is_keyed_by_sku_and_source():
    at_source = InventoryItem.normalise({"sku": "MUG", "quantity": "3", "source_code": "eu_west"})
    at_default = InventoryItem.normalise({"sku": "MUG", "quantity": "3"})

    assert InventoryItem.key_of(at_source) == "MUG@eu_west"
    assert InventoryItem.key_of(at_default) == "MUG@default"


@pytest.mark.parametrize("name", sorted(ENTITIES))
def test_every_entity_requires_its_natural_key_and_knows_its_name(name):
    schema_cls = get_entity(name)

    assert schema_cls.entity_name == name
    assert schema_cls().fields[schema_cls.natural_key].required


def test_an_unknown_entity_name_suggests_the_closest_one():
    suggestion = r"^Unknown entity 'custmer'\. .* Did you mean 'customer'\?$"

    with pytest.raises(UnknownNameError, match=suggestion) as excinfo:
        get_entity("custmer")

    assert excinfo.value.known == sorted(ENTITIES)
