"""System files are validated when they load: every problem at once, each with its file and dotted path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.errors import ConfigError, SystemFileError
from pipeline.mapping import load_mapping
from pipeline.errors import MappingError
from pipeline.systems.declarative import DeclaredSystem, load_system_file

ROOT = Path(__file__).resolve().parents[3]

BROKEN = """\
base_url: "{url}/api"
auth: {type: api_key, value: "{TOKEN}", nmae: X}
entities:
  customer:
    updated_at: "updated_at["
    list:
      path: /customers
      records: customers
      pagnation: {type: link_header}
      incremental: {param: since, format: yyyy}
    load:
      update: {method: PUT, path: "/customers/{idd}"}
limits: {concurency: 3}
"""


def write(tmp_path: Path, text: str, name: str = "broken.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_every_problem_of_a_file_is_reported_at_once_with_its_path_and_a_suggestion(tmp_path):
    path = write(tmp_path, BROKEN)
    with pytest.raises(SystemFileError) as caught:
        load_system_file(path)
    assert caught.value.problems == {
        "auth.nmae": ["Unknown field. Did you mean 'name'?"],
        "entities.customer.list.pagnation": ["Unknown field. Did you mean 'pagination'?"],
        "limits.concurency": ["Unknown field. Did you mean 'concurrency'?"],
        "base_url": ["Placeholder {url} must name a connection variable in upper case, e.g. {URL} for "
                     "PIPELINE_<CONNECTION>_URL."],
        "auth.name": ["Required with auth type 'api_key': the header or query parameter name."],
        "entities.customer.list.incremental.format": [
            "Unknown date format 'yyyy': use iso, epoch or a strftime pattern such as '%Y-%m-%d %H:%M:%S'."],
        "entities.customer.updated_at": [
            "Invalid JMESPath expression 'updated_at[': Invalid jmespath expression: Incomplete expression."],
        "entities.customer.load": [
            "Declare 'upsert', or 'create' (with 'lookup' and 'update' to update found records)."],
        "entities.customer.load.update": ["An update needs a 'lookup' to find the stored record first."],
        "entities.customer.load.update.path": [
            "Unknown placeholder {idd}: use {id}, {key} here; connection variables belong in base_url, headers "
            "and auth. Did you mean {id}?"],
    }
    assert str(caught.value).startswith(f"Invalid system file {path} (10 problems):\n  auth.nmae: Unknown field.")


@pytest.mark.parametrize(("pagination", "where", "message"), [
    ("{type: page_number}", "pagination.page_param", "Required with pagination type 'page_number'."),
    ("{type: offset, offset_param: skip}", "pagination.size_param", "Required with pagination type 'offset'."),
    ("{type: cursor, cursor_param: after}", "pagination.cursor", "Required with pagination type 'cursor'."),
    ("{type: next_url}", "pagination.next", "Required with pagination type 'next_url'."),
    ("{type: pages}", "pagination.type",
     "Must be one of: none, page_number, offset, cursor, link_header, next_url."),
])
def test_each_pagination_type_names_what_it_needs(tmp_path, pagination, where, message):
    path = write(tmp_path, f"""\
base_url: "{{URL}}"
auth: {{type: bearer, token: "{{TOKEN}}"}}
entities:
  customer:
    list: {{path: /customers, records: items, pagination: {pagination}}}
""")
    with pytest.raises(SystemFileError) as caught:
        load_system_file(path)
    assert caught.value.problems == {f"entities.customer.list.{where}": [message]}


def test_a_yaml_syntax_error_names_the_file_and_line(tmp_path):
    path = write(tmp_path, "base_url: [\n")
    with pytest.raises(SystemFileError, match=r"\(yaml\): while parsing a flow node .* line 2"):
        load_system_file(path)


def test_missing_connection_variables_are_all_named_and_no_value_is_shown():
    spec = load_system_file(ROOT / "systems" / "magento2_rest.yaml")
    with pytest.raises(ConfigError) as caught:
        DeclaredSystem.build(spec, "shop", {"PIPELINE_SHOP_URL": "http://127.0.0.1:1/rest/default",
                                            "PIPELINE_SHOP_CONSUMER_KEY": "ck-secret-value"})
    message = str(caught.value)
    for name in ("ACCESS_TOKEN", "ACCESS_TOKEN_SECRET", "CONSUMER_SECRET"):
        assert f"PIPELINE_SHOP_{name} is not set." in message
    assert "PIPELINE_SHOP_CONSUMER_KEY is not set" not in message and "ck-secret-value" not in message


def mapping(tmp_path: Path, system: str, direction: str = "source") -> Path:
    (tmp_path / "mappings").mkdir(exist_ok=True)
    ends = {"source": f"{{system: {system}, connection: shop}}", "target": "{system: memory, connection: m}"}
    if direction == "target":
        ends = {"source": "{system: memory, connection: m}", "target": f"{{system: {system}, connection: shop}}"}
    return write(tmp_path / "mappings", f"""\
connector: customer_push
source: {ends['source']}
target: {ends['target']}
fields: {{email: email, first_name: first, last_name: last}}
""", "shop_customers.yaml")


def test_a_mapping_file_names_a_declared_system_of_the_systems_folder_beside_it(tmp_path):
    (tmp_path / "systems").mkdir()
    (tmp_path / "systems" / "shop.yaml").write_text((ROOT / "systems" / "magento2_rest.yaml").read_text())
    assert load_mapping(mapping(tmp_path, "shop")).source.system == "shop"
    with pytest.raises(MappingError) as caught:
        load_mapping(mapping(tmp_path, "shpo"))
    (message,) = caught.value.problems["source.system"]
    assert message.startswith("Unknown system 'shpo'. Known: files, magento1, magento2,")
    assert "shop" in message and message.endswith("Did you mean 'shop'?")


def test_a_mapping_file_refuses_a_declared_system_that_cannot_do_its_direction_or_is_invalid(tmp_path):
    (tmp_path / "systems").mkdir()
    (tmp_path / "systems" / "writer.yaml").write_text("""\
base_url: "{URL}"
auth: {type: bearer, token: "{TOKEN}"}
entities:
  customer:
    load: {upsert: {method: PUT, path: "/customers/{key}"}}
""")
    (tmp_path / "systems" / "broken.yaml").write_text(BROKEN)
    assert load_mapping(mapping(tmp_path, "writer", "target")).target.system == "writer"
    with pytest.raises(MappingError) as caught:
        load_mapping(mapping(tmp_path, "writer", "source"))
    assert caught.value.problems["source.system"] == [
        f"System 'writer' ({tmp_path / 'systems' / 'writer.yaml'}) declares no 'list' for entity 'customer'. "
        "Entities with one: none."]
    with pytest.raises(MappingError) as caught:
        load_mapping(mapping(tmp_path, "broken"))
    assert caught.value.problems["source.system"][0].startswith(
        f"Invalid system file {tmp_path / 'systems' / 'broken.yaml'} (10 problems):   auth.nmae: Unknown field.")


def test_connector_systems_lists_the_valid_files_and_every_problem_of_the_others(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from pipeline.cli import main

    (tmp_path / "systems").mkdir()
    shutil.copy(ROOT / "systems" / "shopify.yaml", tmp_path / "systems")
    (tmp_path / "systems" / "broken.yaml").write_text(BROKEN)
    monkeypatch.setenv("PIPELINE_MAPPINGS_DIR", str(tmp_path / "mappings"))
    result = CliRunner().invoke(main, ["systems"])
    assert result.exit_code == 1
    assert f"ok  {tmp_path / 'systems' / 'shopify.yaml'} (shopify: customer (list+load))" in result.output
    assert "auth.nmae: Unknown field. Did you mean 'name'?" in result.output
    assert f"1 system files in {tmp_path / 'systems'} are invalid." in result.output


def test_a_name_other_than_the_files_own_is_refused(tmp_path):
    path = write(tmp_path, 'name: shop\nbase_url: "{URL}"\nauth: {type: none}\n'
                           'entities: {customer: {list: {path: /c, records: items}}}\n', "myshop.yaml")
    with pytest.raises(SystemFileError) as caught:
        load_system_file(path)
    assert caught.value.problems == {"name": ["Must be the file's own name, 'myshop' (or left out)."]}


NESTED_BROKEN = """\
base_url: "{URL}"
auth: {type: bearer, token: "{TOKEN}"}
entities:
  customer:
    load:
      upsert: {method: PUT, path: "/customers/{key}"}
      lists:
        addresses:
          itmes: data.addresses
          body: "{city: item.city"
          references:
            region: {path: "/countries/{COUNTRY}", records: regions, match: [], value: region}
          stored: {path: addresses, match: [city]}
"""


def test_a_nested_list_is_validated_like_the_rest_of_the_file(tmp_path):
    with pytest.raises(SystemFileError) as caught:
        load_system_file(write(tmp_path, NESTED_BROKEN))
    at = "entities.customer.load.lists.addresses"
    assert caught.value.problems == {
        f"{at}.itmes": ["Unknown field. Did you mean 'items'?"],
        f"{at}.items": ["Missing data for required field."],
        f"{at}.references.region.match": ["Shorter than minimum length 1."],
        f"{at}.body": ["Invalid JMESPath expression '{city: item.city': Invalid jmespath expression: "
                       "Incomplete expression."],
        f"{at}.references.region.path": [
            "Placeholder {COUNTRY} is not filled in here: placeholders in a reference's path name the item's "
            "fields (lower case); connection variables belong in base_url."],
        f"{at}.stored": ["Used on update only: declare 'update' too."],
    }
