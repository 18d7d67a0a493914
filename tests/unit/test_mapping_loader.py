from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from pipeline.errors import ConfigError, MappingError
from pipeline.mapping import MappingErrors, Options, SystemRef, load_mapping, load_mappings
from pipeline.systems import SYSTEMS

CUSTOMER = {
    "connector": "customer_pull",
    "source": {"system": "files", "connection": "erp_drop"},
    "target": {"system": "memory"},
    "fields": {"email": "lower(trim(Email))", "first_name": "First", "last_name": "Last"},
}
ORDER = {
    "connector": "order_pull",
    "source": {"system": "files"},
    "target": {"system": "memory"},
    "fields": {
        "order_number": "No",
        "customer_email": "Mail",
        "status": "Status",
        "currency": "Currency",
        "created_at": "Created",
        "grand_total": "to_decimal(Total)",
    },
}


def customer(**overrides) -> dict:
    return {**CUSTOMER, **overrides}


def customer_fields(**overrides) -> dict:
    return customer(fields={**CUSTOMER["fields"], **overrides})


def order_fields(**overrides) -> dict:
    return {**ORDER, "fields": {**ORDER["fields"], **overrides}}


def write(directory: Path, document: object, name: str = "erp_customer", suffix: str = ".yaml") -> Path:
    path = directory / f"{name}{suffix}"
    path.write_text(document if isinstance(document, str) else yaml.safe_dump(document, sort_keys=False))
    return path


def problems_of(path: Path) -> dict:
    with pytest.raises(MappingError) as info:
        load_mapping(path)
    return info.value.problems


# Loading a valid file


def test_a_valid_file_loads_into_a_mapping_spec(tmp_path):
    path = write(tmp_path, customer(schedule="*/15 * * * *", description="ERP customers."))

    spec = load_mapping(path)

    assert spec.name == "erp_customer"
    assert spec.path == path
    assert (spec.connector, spec.entity, spec.direction) == ("customer_pull", "customer", "pull")
    assert spec.source == SystemRef(system="files", connection="erp_drop", entity="customer")
    assert spec.target == SystemRef(system="memory", connection="memory", entity="customer")
    assert [rule.name for rule in spec.fields] == ["email", "first_name", "last_name"]
    assert spec.schedule == "*/15 * * * *"
    assert spec.description == "ERP customers."
    assert (spec.constants, spec.value_maps, spec.target_fields) == ({}, {}, ())
    assert spec.options == Options()


def test_the_integration_key_overrides_the_file_stem(tmp_path):
    spec = load_mapping(write(tmp_path, customer(integration="erp_to_shop_customer")))

    assert spec.name == "erp_to_shop_customer"


def test_a_system_reference_may_name_the_systems_own_record_kind(tmp_path):
    spec = load_mapping(write(tmp_path, customer(source={"system": "files", "entity": "contact"})))

    assert spec.source == SystemRef(system="files", connection="files", entity="contact")
    assert spec.target.entity == "customer"


def test_nested_rules_and_options_are_built(tmp_path):
    document = order_fields(lines={"each": "Lines", "fields": {"sku": "Sku", "qty": "Qty", "price": "Price"}},
                            billing_address={"from": "Bill", "fields": {"country_code": "Country"}})
    document["options"] = {"batch_size": 50, "max_retries": 3, "retry_on": ["ConnectionResetError"]}

    spec = load_mapping(write(tmp_path, document, "erp_order"))

    rules = {rule.name: rule for rule in spec.fields}
    lines, billing = rules["lines"], rules["billing_address"]
    assert (lines.many, [child.name for child in lines.children]) == (True, ["sku", "qty", "price"])
    assert (billing.many, [child.name for child in billing.children]) == (False, ["country_code"])
    assert spec.options == Options(batch_size=50, max_retries=3, retry_on=("ConnectionResetError",))


def test_constants_may_cover_a_required_field(tmp_path):
    fields = {name: rule for name, rule in CUSTOMER["fields"].items() if name != "first_name"}

    spec = load_mapping(write(tmp_path, customer(fields=fields, constants={"first_name": "Customer"})))

    assert spec.constants == {"first_name": "Customer"}


def test_target_fields_take_any_name_but_their_expressions_are_checked(tmp_path):
    spec = load_mapping(write(tmp_path, customer(target_fields={"custentity_anything": "to_decimal(Limit)"})))
    assert [rule.name for rule in spec.target_fields] == ["custentity_anything"]

    problems = problems_of(write(tmp_path, customer(target_fields={"subsidiary": "lenght(x)"})))
    assert problems == {
        "target_fields.subsidiary": ["Unknown function lenght() in 'lenght(x)'. Did you mean 'length()'?"]}


# One test per kind of problem


def test_a_yaml_syntax_error_is_reported_on_one_line_naming_the_file(tmp_path):
    path = write(tmp_path, "connector: [\n")
    problems = problems_of(path)

    assert problems == {"(yaml)": [
        "while parsing a flow node expected the node content, but found '<stream end>' "
        f'in "{path}", line 2, column 1']}


@pytest.mark.parametrize("text", ["- connector\n- fields\n", "", "just a string\n"])
def test_a_file_that_is_not_a_yaml_mapping_is_rejected(tmp_path, text):
    problems = problems_of(write(tmp_path, text))

    assert problems == {"(file)": ["A mapping file must be a YAML mapping of keys to values."]}


def test_an_unreadable_file_is_reported(tmp_path):
    path = tmp_path / "erp_customer.yaml"
    path.write_bytes(b"connector: \xff\n")

    problems = problems_of(path)

    assert problems == {"(file)": [
        "Cannot read the file: 'utf-8' codec can't decode byte 0xff in position 11: invalid start byte."]}


def test_an_unknown_top_level_key_is_rejected(tmp_path):
    assert problems_of(write(tmp_path, customer(feilds={}))) == {"feilds": ["Unknown field."]}


def test_the_required_keys_are_all_reported_as_missing(tmp_path):
    problems = problems_of(write(tmp_path, {"description": "Nothing else."}))

    assert problems == {
        "connector": ["Missing data for required field."],
        "source": ["Missing data for required field."],
        "target": ["Missing data for required field."],
        "fields": ["Missing data for required field."],
    }


def test_missing_fields_are_not_also_reported_as_unmapped_entity_fields(tmp_path):
    document = customer()
    del document["fields"]

    assert problems_of(write(tmp_path, document)) == {"fields": ["Missing data for required field."]}


def test_a_jmespath_syntax_error_names_the_field_and_the_column(tmp_path):
    problems = problems_of(write(tmp_path, customer_fields(email="Email.")))

    # The field is only reported once: a broken expression is not "not mapped" as well.
    assert problems == {"fields.email": [
        "Invalid JMESPath expression 'Email.': Expecting: ['quoted_identifier', 'unquoted_identifier', "
        "'lbracket', 'lbrace'], got: eof: Parse error at column 6, token \"\" (EOF), for expression."]}


def test_an_unknown_function_suggests_the_closest_one(tmp_path):
    problems = problems_of(write(tmp_path, customer_fields(email="lenght(Email)")))

    assert problems == {
        "fields.email": ["Unknown function lenght() in 'lenght(Email)'. Did you mean 'length()'?"]}


def test_an_unknown_function_inside_a_filter_is_found(tmp_path):
    problems = problems_of(write(tmp_path, customer_fields(addresses="Addr[?lenght(City) > `0`]")))

    assert problems == {"fields.addresses": [
        "Unknown function lenght() in 'Addr[?lenght(City) > `0`]'. Did you mean 'length()'?"]}


@pytest.mark.parametrize(("expression", "message"), [
    ("lower(a, b)", "Function lower() takes 1 argument, got 2 in 'lower(a, b)'."),
    ("to_date(Birthday)", "Function to_date() takes 2 arguments, got 1 in 'to_date(Birthday)'."),
    ("coalesce()", "Function coalesce() takes at least 1 argument, got 0 in 'coalesce()'."),
    ("merge()", "Function merge() takes at least 1 argument, got 0 in 'merge()'."),
])
def test_a_call_with_the_wrong_number_of_arguments_is_rejected(tmp_path, expression, message):
    assert problems_of(write(tmp_path, customer_fields(email=expression))) == {"fields.email": [message]}


def test_an_unknown_target_field_suggests_the_closest_one(tmp_path):
    problems = problems_of(write(tmp_path, customer_fields(emial="Email")))

    assert problems == {
        "fields.emial": ["Unknown field 'emial' for entity 'customer'. Did you mean 'email'?"]}


def test_a_required_entity_field_must_be_mapped(tmp_path):
    fields = {name: rule for name, rule in CUSTOMER["fields"].items() if name != "first_name"}

    problems = problems_of(write(tmp_path, customer(fields=fields)))

    assert problems == {"fields": ["Required field 'first_name' of entity 'customer' is not mapped."]}


def test_an_unknown_constant_field_is_rejected(tmp_path):
    problems = problems_of(write(tmp_path, customer(constants={"webiste": "base"})))

    assert problems == {
        "constants.webiste": ["Unknown field 'webiste' for entity 'customer'. Did you mean 'website'?"]}


#: The registry grows with every system; the messages list it whole.
KNOWN_SYSTEMS = ", ".join(sorted(SYSTEMS))


@pytest.mark.parametrize(("system", "message"), [
    ("file", f"Unknown system 'file'. Known: {KNOWN_SYSTEMS}. Did you mean 'files'?"),
    ("zz_top", f"Unknown system 'zz_top'. Known: {KNOWN_SYSTEMS}."),
])
def test_an_unknown_system_lists_the_known_ones(tmp_path, system, message):
    problems = problems_of(write(tmp_path, customer(target={"system": system})))

    assert problems == {"target.system": [message]}


def test_a_partly_invalid_system_reference_is_reported_not_crashed_on(tmp_path):
    problems = problems_of(write(tmp_path, customer(source={"connection": "erp_drop", "extra": 1})))

    assert problems == {
        "source.system": ["Missing data for required field."],
        "source.extra": ["Unknown field."],
    }


def test_a_connection_name_must_be_lower_snake_case(tmp_path):
    problems = problems_of(write(tmp_path, customer(source={"system": "files", "connection": "ERP-drop"})))

    assert problems == {"source.connection": ["Must be lower_snake_case."]}


def test_an_unknown_connector_type_suggests_the_closest_one(tmp_path):
    problems = problems_of(write(tmp_path, customer(connector="customer_pul")))

    assert problems == {"connector": [
        "Unknown connector type 'customer_pul'. Known: credit_memo_pull, credit_memo_push, customer_pull, "
        "customer_push, inventory_pull, inventory_push, invoice_pull, invoice_push, order_pull, order_push, "
        "product_pull, product_push, shipment_pull, shipment_push, subscription_pull, subscription_push. "
            "Did you mean 'customer_pull'?"]}


@pytest.mark.parametrize(("schedule", "message"), [
    ("61 * * * *", "Invalid cron spec '61 * * * *': minute 61 is out of range: minute must be 0-59."),
    ("* * * *", "Invalid cron spec '* * * *': a cron spec has 5 fields "
                "(minute hour day-of-month month day-of-week), this one has 4."),
    ("@hourlyy", "Invalid cron spec '@hourlyy': unknown named schedule '@hourlyy'; "
                 "known: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly."),
    ("*/0 * * * *", "Invalid cron spec '*/0 * * * *': minute step in '*/0' must be at least 1."),
])
def test_a_bad_cron_schedule_is_rejected(tmp_path, schedule, message):
    assert problems_of(write(tmp_path, customer(schedule=schedule))) == {"schedule": [message]}


def test_map_value_needs_a_declared_value_map(tmp_path):
    document = customer_fields(group="map_value('customer_grup', GroupId)")
    document["value_maps"] = {"customer_group": {"1": "general"}}

    problems = problems_of(write(tmp_path, document))

    assert problems == {"fields.group": ["Unknown value map 'customer_grup'; declare it under value_maps."]}


def test_the_fields_of_a_nested_list_are_checked_against_the_nested_schema(tmp_path):
    lines = {"each": "Lines", "fields": {"skuu": "Sku", "qty": "Qty", "price": "Price"}}
    document = order_fields(lines=lines)

    problems = problems_of(write(tmp_path, document, "erp_order"))

    assert problems == {
        "fields.lines.fields.skuu": ["Unknown field 'skuu' for 'orderline'. Did you mean 'sku'?"],
        "fields.lines.fields": ["Required field 'sku' of 'orderline' is not mapped."],
    }


def test_a_nested_list_must_map_its_required_fields(tmp_path):
    document = order_fields(lines={"each": "Lines", "fields": {"qty": "Qty", "price": "Price"}})

    problems = problems_of(write(tmp_path, document, "erp_order"))

    assert problems == {"fields.lines.fields": ["Required field 'sku' of 'orderline' is not mapped."]}


def test_a_nested_object_must_map_its_required_fields(tmp_path):
    document = order_fields(billing_address={"from": "Bill", "fields": {"city": "City"}})

    problems = problems_of(write(tmp_path, document, "erp_order"))

    assert problems == {
        "fields.billing_address.fields": ["Required field 'country_code' of 'address' is not mapped."]}


def test_a_broken_nested_expression_is_not_also_reported_as_unmapped(tmp_path):
    document = customer_fields(addresses={"each": "Addr", "fields": {"country_code": "Country."}})

    problems = problems_of(write(tmp_path, document))

    assert list(problems) == ["fields.addresses.fields.country_code"]
    message = problems["fields.addresses.fields.country_code"][0]
    assert message.startswith("Invalid JMESPath expression 'Country.': ")


@pytest.mark.parametrize(("each", "message"), [
    ("", "Invalid JMESPath expression '': Invalid JMESPath expression: cannot be empty."),
    (None, "Must be a JMESPath expression (a string)."),
])
def test_an_empty_each_is_rejected(tmp_path, each, message):
    document = customer_fields(addresses={"each": each, "fields": {"country_code": "Country"}})

    assert problems_of(write(tmp_path, document)) == {"fields.addresses.each": [message]}


def test_the_keys_of_a_projection_are_checked_against_the_nested_schema(tmp_path):
    problems = problems_of(write(tmp_path, customer_fields(addresses="Addr[*].{cty: City}")))

    assert problems == {"fields.addresses.cty": ["Unknown field 'cty' for 'address'. Did you mean 'city'?"]}


def test_a_projection_with_known_keys_loads(tmp_path):
    document = customer_fields(addresses="Addr[*].{city: City, country_code: Country}")

    spec = load_mapping(write(tmp_path, document))

    assert spec.fields[-1].name == "addresses"


def test_a_nested_rule_on_a_plain_field_is_rejected(tmp_path):
    document = customer_fields(group={"from": "Group", "fields": {"code": "Code"}})

    problems = problems_of(write(tmp_path, document))

    assert problems == {
        "fields.group": ["Field 'group' is not a nested object or list: map it with an expression."]}


@pytest.mark.parametrize(("rule", "where", "message"), [
    (5, "fields.addresses",
     "Must be a JMESPath expression, or {fields: {...}} with 'each' (a list) or 'from' (one object)."),
    ({"each": "Addr"}, "fields.addresses",
     "Must be a JMESPath expression, or {fields: {...}} with 'each' (a list) or 'from' (one object)."),
    ({"each": "A", "from": "B", "fields": {"country_code": "C"}}, "fields.addresses",
     "Use either 'each' (a list of objects) or 'from' (one object), not both."),
    ({"each": "A", "fields": ["country_code"]}, "fields.addresses.fields",
     "Must be a mapping of field -> expression."),
])
def test_a_malformed_rule_is_rejected(tmp_path, rule, where, message):
    assert problems_of(write(tmp_path, customer_fields(addresses=rule))) == {where: [message]}


def test_every_problem_of_a_file_is_reported_at_once(tmp_path):
    document = {
        "connector": "customer_pull",
        "source": {"system": "file"},
        "target": {"system": "memory"},
        "schedule": "61 * * * *",
        "extra": True,
        "constants": {"webiste": "base"},
        "fields": {"email": "lenght(Email)", "last_name": "Last", "emial": "Email"},
    }

    problems = problems_of(write(tmp_path, document))

    assert problems == {
        "extra": ["Unknown field."],
        "source.system": [f"Unknown system 'file'. Known: {KNOWN_SYSTEMS}. Did you mean 'files'?"],
        "schedule": ["Invalid cron spec '61 * * * *': minute 61 is out of range: minute must be 0-59."],
        "fields.email": ["Unknown function lenght() in 'lenght(Email)'. Did you mean 'length()'?"],
        "fields.emial": ["Unknown field 'emial' for entity 'customer'. Did you mean 'email'?"],
        "constants.webiste": ["Unknown field 'webiste' for entity 'customer'. Did you mean 'website'?"],
        "fields": ["Required field 'first_name' of entity 'customer' is not mapped."],
    }


# How the error reads


def test_a_mapping_error_says_which_file_and_how_many_problems(tmp_path):
    path = write(tmp_path, customer(connector="customer_pul", extra=1))

    with pytest.raises(MappingError) as info:
        load_mapping(path)

    lines = str(info.value).splitlines()
    assert lines[0] == f"Invalid mapping file {path} (2 problems):"
    assert lines[1] == "  extra: Unknown field."
    assert lines[2].startswith("  connector: Unknown connector type 'customer_pul'. Known: ")
    assert len(lines) == 3
    assert info.value.path == str(path)
    assert isinstance(info.value, ConfigError)


def test_a_mapping_error_with_one_problem_says_problem(tmp_path):
    path = write(tmp_path, customer(extra=1))

    with pytest.raises(MappingError, match=f"^{re.escape(f'Invalid mapping file {path} (1 problem):')}\n"):
        load_mapping(path)


# A directory of mapping files


def test_load_mappings_returns_every_file_by_integration_name(tmp_path):
    write(tmp_path, customer(), "erp_customer")
    write(tmp_path, customer(integration="second_customer"), "other", suffix=".yml")
    (tmp_path / "notes.txt").write_text("not a mapping")

    specs = load_mappings(tmp_path)

    assert sorted(specs) == ["erp_customer", "second_customer"]
    assert specs["second_customer"].path == tmp_path / "other.yml"


def test_load_mappings_rejects_a_duplicate_integration_name(tmp_path):
    first = write(tmp_path, customer(), "a_customer")
    second = write(tmp_path, customer(integration="a_customer"), "b_customer")

    with pytest.raises(MappingErrors) as info:
        load_mappings(tmp_path)

    assert info.value.path == str(second)
    assert info.value.problems == {
        f"{second}: integration": [f"Integration 'a_customer' is already declared in {first}."]}


def test_load_mappings_reports_every_invalid_file(tmp_path):
    write(tmp_path, customer(), "a_valid")
    bad_connector = write(tmp_path, customer(connector="customer_pul"), "b_bad")
    bad_schedule = write(tmp_path, customer(schedule="@hourlyy"), "c_bad")

    with pytest.raises(MappingErrors) as info:
        load_mappings(tmp_path)

    error = info.value
    assert [inner.path for inner in error.errors] == [str(bad_connector), str(bad_schedule)]
    assert error.path == f"{bad_connector}, {bad_schedule}"
    assert sorted(error.problems) == [f"{bad_connector}: connector", f"{bad_schedule}: schedule"]
    lines = str(error).splitlines()
    assert [line for line in lines if not line.startswith("  ")] == [
        f"Invalid mapping file {bad_connector} (1 problem):",
        f"Invalid mapping file {bad_schedule} (1 problem):",
    ]


def test_a_key_written_twice_is_an_error_not_a_silent_override(tmp_path):
    path = tmp_path / "twice.yaml"
    path.write_text("connector: customer_pull\nsource: {system: files}\ntarget: {system: files}\n"
                    "fields:\n  email: Email\n  first_name: First\n  email: Mail\n  last_name: Last\n")

    with pytest.raises(MappingError) as raised:
        load_mapping(path)

    assert raised.value.problems == {"(yaml)": [
        f'duplicate key \'email\' (first on line 5) in "{path}", line 7, column 3']}


def test_a_connector_written_the_wrong_way_round_is_refused_with_the_fix(tmp_path):
    path = write(tmp_path, customer(source={"system": "magento2"}, target={"system": "netsuite"}))

    assert problems_of(path)["connector"] == [
        "A pull brings records into the shop, so target.system must be a shop (magento1, magento2) or a generic "
        "system (files, memory, rest, synthetic), not 'netsuite'. Did you mean 'customer_push'?"]
    pushed = load_mapping(write(tmp_path, customer(connector="customer_push", source={"system": "magento2"},
                                                   target={"system": "netsuite"})))
    assert (pushed.direction, pushed.source.system) == ("push", "magento2")


# Carried fields: what the target's load sends


def test_a_mapped_field_the_target_does_not_carry_is_an_error_naming_file_field_and_target(tmp_path):
    path = write(tmp_path, customer_fields(website="Site", addresses={
        "each": "[@]", "fields": {"country_code": "Country", "company": "Firm"}},
        created_at="Created"), "shop_to_chimp")
    document = yaml.safe_load(path.read_text())
    document.update(connector="customer_push", source={"system": "magento2"}, target={"system": "mailchimp"})
    write(tmp_path, document, "shop_to_chimp")
    with pytest.raises(MappingError) as info:
        load_mapping(path)
    assert str(info.value).startswith(f"Invalid mapping file {path} (3 problems):")
    assert info.value.problems == {
        "fields.website": ["'website' is not carried by mailchimp's customer load: its value would never "
                           "reach mailchimp. Remove it, or list it under 'ignore'."],
        "fields.addresses.company": ["'addresses.company' is not carried by mailchimp's customer load: its "
                                     "value would never reach mailchimp. Remove it, or list it under 'ignore'."],
        "fields.created_at": ["'created_at' is not carried by mailchimp's customer load: its value would never "
                              "reach mailchimp. Remove it, or list it under 'ignore'."]}


def test_ignore_keeps_an_uncarried_field_and_must_name_a_mapped_one(tmp_path):
    document = {**customer_fields(gender="Sex", created_at="Created"), "connector": "customer_push",
                "source": {"system": "magento2"}, "target": {"system": "mailchimp"}, "ignore": ["gender", "created_at"]}
    assert load_mapping(write(tmp_path, document)).target.system == "mailchimp"
    document["ignore"] = ["gender", "created_at", "dob"]
    assert problems_of(write(tmp_path, document)) == {"ignore.dob": ["'dob' is not a mapped field: nothing "
                                                                     "to ignore."]}


def test_gender_is_carried_by_netsuites_customer_load_through_its_custom_field(tmp_path):
    document = {**customer_fields(gender="Sex", website="Site"), "connector": "customer_push",
                "source": {"system": "magento2"}, "target": {"system": "netsuite"}}
    assert problems_of(write(tmp_path, document)) == {"fields.website": [
        "'website' is not carried by netsuite's customer load: its value would never reach netsuite. "
        "Remove it, or list it under 'ignore'."]}


def test_a_declared_systems_load_body_is_its_carried_fields_declaration(tmp_path):
    # systems/crm.yaml beside mappings/: its body sends the email, names and the first address's phone.
    (tmp_path / "systems").mkdir()
    (tmp_path / "systems" / "crm.yaml").write_text(
        "base_url: '{URL}'\nauth: {type: bearer, token: '{TOKEN}'}\nentities:\n  customer:\n    id: id\n    load:\n"
        "      body: '{email: data.email, name: join(` `, [data.first_name, data.last_name]),"
        " phone: data.addresses[0].telephone, tags: native.tags}'\n"
        "      upsert: {method: PUT, path: '/customers/{key}'}\n")
    (tmp_path / "mappings").mkdir()
    document = {**customer_fields(addresses={"each": "[@]", "fields": {"country_code": "Country",
                                                                         "telephone": "Phone"}}),
                "connector": "customer_push", "source": {"system": "files"}, "target": {"system": "crm"}}
    path = write(tmp_path / "mappings", document)

    assert problems_of(path) == {"fields.addresses.country_code": [
        "'addresses.country_code' is not carried by crm's customer load: its value would never reach crm. "
        "Remove it, or list it under 'ignore'."]}
    document["ignore"] = ["addresses.country_code"]
    assert load_mapping(write(tmp_path / "mappings", document)).target.system == "crm"


def test_a_declared_systems_nested_list_carries_what_its_body_reads_of_each_item(tmp_path):
    # The addresses go as a nested list (load.lists) whose body reads each address's city only.
    (tmp_path / "systems").mkdir()
    (tmp_path / "systems" / "crm.yaml").write_text(
        "base_url: '{URL}'\nauth: {type: bearer, token: '{TOKEN}'}\nentities:\n  customer:\n    id: id\n    load:\n"
        "      body: '{email: data.email, name: join(` `, [data.first_name, data.last_name])}'\n"
        "      upsert: {method: PUT, path: '/customers/{key}'}\n"
        "      lists:\n        addresses: {items: data.addresses, body: '{town: item.city}'}\n")
    (tmp_path / "mappings").mkdir()
    document = {**customer_fields(addresses={"each": "[@]", "fields": {"city": "City", "country_code": "Country"}}),
                "connector": "customer_push", "source": {"system": "files"}, "target": {"system": "crm"}}
    assert problems_of(write(tmp_path / "mappings", document)) == {"fields.addresses.country_code": [
        "'addresses.country_code' is not carried by crm's customer load: its value would never reach crm. "
        "Remove it, or list it under 'ignore'."]}


def test_systems_that_pass_whole_records_carry_every_field(tmp_path):
    assert load_mapping(write(tmp_path, customer_fields(website="Site", created_at="Created"))).name


def test_every_carried_field_is_a_field_of_its_entity():
    from marshmallow import fields as mfields

    from pipeline.entities import ENTITIES

    def paths(schema, prefix=""):
        for name, field in schema().fields.items():
            inner = field.inner if isinstance(field, mfields.List) else field
            yield prefix + name
            if isinstance(inner, mfields.Nested):
                nested = inner.nested if isinstance(inner.nested, type) else type(inner.schema)
                yield from paths(nested, f"{prefix}{name}.")

    for name, system in SYSTEMS.items():
        for entity, table in (getattr(system, "CARRIES", None) or {}).items():
            unknown = set(table) - set(paths(ENTITIES[entity]))
            assert not unknown, f"{name}'s {entity} table names fields the entity lacks: {sorted(unknown)}"
