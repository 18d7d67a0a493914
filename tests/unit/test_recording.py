"""`connector record` saves a source's responses without secrets or personal data; tests replay them offline."""

from __future__ import annotations

import json
import re
import shutil
from itertools import islice
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.testing.magento2 import Magento2Emulator
from pipeline.testing.recording import NotRecordedError, replay_system
from pipeline.testing.shopify import ShopifyEmulator

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    (tmp_path / "mappings").mkdir()
    for name in ("shopify_to_magento2_customer", "magento2_to_shopify_customer"):
        shutil.copy(ROOT / "mappings" / f"{name}.yaml", tmp_path / "mappings")
    shutil.copytree(ROOT / "systems", tmp_path / "systems")
    monkeypatch.setenv("PIPELINE_MAPPINGS_DIR", str(tmp_path / "mappings"))
    monkeypatch.setenv("PIPELINE_BROKER_URL", "stub://")
    return tmp_path


def record(*args: str) -> str:
    result = CliRunner().invoke(main, ["record", *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def test_a_declared_source_is_recorded_without_secrets_or_personal_data_and_replays_offline(project, monkeypatch):
    with ShopifyEmulator() as shop:
        for n in range(5):
            shop.add_customer(email=f"real.person{n}@gmail.example", first_name="Real", last_name=f"Person {n}",
                              phone=f"+1 555 0100 {n}", tags=f"token is {shop.token}")
        for name, value in shop.environ("shopify_store").items():
            monkeypatch.setenv(name, value)
        output = record("shopify_to_magento2_customer", "--records", "3")
        token, url = shop.token, shop.url
    folder = project / "tests" / "fixtures" / "recorded" / "shopify"
    assert f"wrote {folder / 'customer.http.json'} (1 exchanges)" in output
    cassette_text = (folder / "customer.http.json").read_text()
    records = json.loads((folder / "customer.json").read_text())
    for secret_or_personal in (token, "real.person", "gmail", "Person 1", "555 0100", url):
        assert secret_or_personal not in cassette_text
        assert secret_or_personal not in json.dumps(records)
    # Stable stand-ins, still valid emails, the same in the records as in the recorded responses.
    emails = [r["email"] for r in records]
    assert len(set(emails)) == 3 and all(re.fullmatch(r"person\d+@example\.com", e) for e in emails)
    assert records[0]["tags"] == "token is ***"  # an API echoing a secret
    cassette = json.loads(cassette_text)
    assert cassette["variables"] == {"TOKEN": "recorded-secret", "URL": "http://recorded.invalid"}
    assert cassette["interactions"][0]["headers"]["Link"].startswith("<http://recorded.invalid/admin/api/2024-01/")

    # The emulator is gone: the replayed system answers from the cassette, as the real one did.
    replayed = replay_system("shopify", "shopify_store", folder / "customer.http.json", project / "mappings")
    pages = islice(replayed.extract("customer", since=None, refs=None, page_size=3), 1)
    assert [record for page in pages for record in page.records] == records


def test_a_request_that_was_not_recorded_fails_naming_itself(project, monkeypatch):
    with ShopifyEmulator() as shop:
        shop.add_customer(email="a@example.com", first_name="A", last_name="B")
        for name, value in shop.environ("shopify_store").items():
            monkeypatch.setenv(name, value)
        record("shopify_to_magento2_customer", "--records", "1")
    folder = project / "tests" / "fixtures" / "recorded" / "shopify"
    replayed = replay_system("shopify", "shopify_store", folder / "customer.http.json", project / "mappings")
    with pytest.raises(NotRecordedError,
                       match=r"Not recorded: GET http://recorded.invalid/admin/api/2024-01/customers.json\?limit=7"):
        list(replayed.extract("customer", since=None, refs=None, page_size=7))


def test_a_python_source_is_recorded_as_records_with_the_listed_fields_stripped(project, monkeypatch):
    with Magento2Emulator() as shop:
        shop.add_customer(email="ada@lovelace.example", firstname="Ada", lastname="Lovelace", gender=2,
                          taxvat="GB123")
        for name, value in shop.environ("magento2_shop", "oauth").items():
            monkeypatch.setenv(name, value)
        output = record("magento2_to_shopify_customer", "--records", "5", "--strip", "taxvat")
    records = json.loads((project / "tests" / "fixtures" / "recorded" / "magento2" / "customer.json").read_text())
    assert "taxvat" in output and len(records) == 1
    assert re.fullmatch(r"person\d+@example\.com", records[0]["email"])
    assert re.fullmatch(r"Firstname \d+", records[0]["firstname"]) and re.fullmatch(r"Taxvat \d+", records[0]["taxvat"])
    assert records[0]["gender"] == 2
    # Its HTTP exchanges too (tests/integration/test_cli_record.py replays them).
    cassette = (project / "tests" / "fixtures" / "recorded" / "magento2" / "customer.http.json").read_text()
    assert "GB123" not in cassette and "lovelace" not in cassette.lower()
