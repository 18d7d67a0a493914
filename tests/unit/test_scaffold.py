"""`connector new` writes an integration whose first test run fails only on what is not filled in yet."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.errors import ConfigError, UnknownNameError
from pipeline.mapping import load_mapping
from pipeline.mapping.scaffold import scaffold
from pipeline.testing.golden import GoldenCase, check_golden

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "mappings").mkdir()
    shutil.copytree(ROOT / "systems", tmp_path / "systems")
    return tmp_path


def new(project: Path, **options):
    return scaffold(root=project, mappings_dir=project / "mappings", **options)


def case(project: Path, name: str) -> GoldenCase:
    return GoldenCase(project / "mappings" / f"{name}.yaml", project / "tests" / "fixtures" / name)


def test_without_a_sample_the_first_run_names_exactly_the_required_fields(project):
    result = new(project, connector="customer_push", source="magento2", target="shopify")
    assert result.name == "magento2_to_shopify_customer"
    assert [p.relative_to(project).as_posix() for p in result.written] == [
        "mappings/magento2_to_shopify_customer.yaml", "tests/fixtures/magento2_to_shopify_customer/input.json",
        "tests/fixtures/magento2_to_shopify_customer/expected.json", "tests/test_golden_samples.py"]
    spec = load_mapping(project / "mappings" / "magento2_to_shopify_customer.yaml")  # valid as written
    assert (spec.source.system, spec.target.system, spec.connector) == ("magento2", "shopify", "customer_push")
    with pytest.raises(AssertionError) as caught:
        check_golden(case(project, result.name))
    assert str(caught.value).endswith(
        "cannot map 1 of 1 sample records yet:\n  record 0: Invalid customer record: email: Missing data for "
        "required field.; first_name: Missing data for required field.; last_name: Missing data for required "
        "field.\nFill in what is missing; if these records are meant to fail, accept the results with "
        "`pytest --golden-accept`.")


def test_the_mapping_lists_every_field_with_its_type_and_what_the_target_reads(project):
    new(project, connector="customer_push", source="magento2", target="shopify")
    text = (project / "mappings" / "magento2_to_shopify_customer.yaml").read_text()
    assert '  email: "`null`"  # required, email address; TODO' in text
    assert "  # dob: TODO  # date, YYYY-MM-DD (to_date() converts others)" in text
    assert "  #     country_code: \"`null`\"  # required, ISO 3166-1 alpha-2 country code; TODO" in text
    assert "# target_fields: target-native extras, passed through as they are. shopify reads: extra, tags." in text


def test_fields_are_guessed_from_the_sample_and_filling_in_leads_to_accepting_the_results(project):
    sample = ROOT / "tests" / "fixtures" / "shopify_to_magento2_customer" / "input.json"
    result = new(project, connector="customer_pull", source="shopify", target="magento2", name="shop_customers",
                 sample=sample)
    assert result.sample_origin == f"from {sample}"
    mapping = project / "mappings" / "shop_customers.yaml"
    text = mapping.read_text()
    # Each field also says where Magento 2's load puts it (its carried-fields table).
    assert "  first_name: first_name  # required, text; magento2: firstname; guessed from the sample: check it" in text
    assert "  #     # street: [address1]  # list of text; magento2: addresses.street; guessed from the sample" in text
    golden = case(project, "shop_customers")
    # The sample's second customer has no name: a fact of the data, named with its record.
    with pytest.raises(AssertionError, match="record 1: Invalid customer record 'no.name@example.com': first_name"):
        check_golden(golden)
    # The author drops that record: everything maps, and the results wait for a review.
    records = json.loads((golden.fixture / "input.json").read_text())[:1]
    (golden.fixture / "input.json").write_text(json.dumps(records))
    (golden.fixture / "expected.json").write_text(json.dumps([{"pending": "..."}]))
    with pytest.raises(AssertionError, match="maps its sample; review the results and accept them"):
        check_golden(golden)
    check_golden(golden, accept=True)
    check_golden(golden)
    assert json.loads((golden.fixture / "expected.json").read_text())[0]["key"] == "bob.norman@mail.example.com"
    # A later change of the mapping shows as a difference, record by record.
    mapping.write_text(text.replace("  first_name: first_name", "  first_name: upper(first_name)"))
    with pytest.raises(AssertionError, match=r"record 0: expected .*\n\s+got .*\"first_name\": \"BOB\""):
        check_golden(golden)


def test_a_recorded_fixture_or_another_golden_sample_of_the_source_is_used(project):
    recorded = project / "tests" / "fixtures" / "recorded" / "shopify" / "customer.json"
    recorded.parent.mkdir(parents=True)
    recorded.write_text(json.dumps([{"id": 1, "email": "a@example.com", "first_name": "A", "last_name": "B"}]))
    result = new(project, connector="customer_pull", source="shopify", target="magento2")
    assert result.sample_origin == f"recorded from shopify ({recorded})"
    other = new(project, connector="customer_pull", source="shopify", target="magento1")
    assert other.sample_origin.startswith("recorded from shopify")


def test_mistakes_are_named_with_the_known_values(project):
    with pytest.raises(UnknownNameError, match="Unknown source system 'shopfy'.*Did you mean 'shopify'"):
        new(project, connector="customer_pull", source="shopfy", target="magento2")
    with pytest.raises(UnknownNameError, match="Unknown connector type 'customer_pul'.*Did you mean 'customer_pull'"):
        new(project, connector="customer_pul", source="shopify", target="magento2")
    with pytest.raises(ConfigError, match="A pull brings records into the shop, so target.system must be a shop"):
        new(project, connector="customer_pull", source="shopify", target="mailchimp")
    with pytest.raises(ConfigError, match="declares no 'list' for entity 'order'"):
        new(project, connector="order_push", source="shopify", target="magento2")
    new(project, connector="customer_pull", source="shopify", target="magento2")
    with pytest.raises(ConfigError, match="has files already: .*Choose another --name, or pass --force"):
        new(project, connector="customer_pull", source="shopify", target="magento2")
    new(project, connector="customer_pull", source="shopify", target="magento2", force=True)


def test_connector_new_prompts_for_what_its_flags_do_not_say(project, monkeypatch):
    monkeypatch.setenv("PIPELINE_MAPPINGS_DIR", str(project / "mappings"))
    result = CliRunner().invoke(main, ["new", "--connector", "customer_pull"], input="shopify\nmagento2\n")
    assert result.exit_code == 0, result.output
    assert "Source system: shopify" in result.output
    assert (project / "mappings" / "shopify_to_magento2_customer.yaml").is_file()


def test_each_field_says_where_a_vendor_target_carries_it_or_that_it_does_not(project):
    new(project, connector="customer_push", source="magento2", target="netsuite")
    text = (project / "mappings" / "magento2_to_netsuite_customer.yaml").read_text()
    assert '  email: "`null`"  # required, email address; netsuite: email; TODO' in text
    assert "  # external_id: TODO  # text; not carried by netsuite's load (list it under ignore: if you map it)" in text
    spec = load_mapping(project / "mappings" / "magento2_to_netsuite_customer.yaml")  # still valid as written
    assert spec.target.system == "netsuite"
