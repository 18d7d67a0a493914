"""A new connector built from scratch the way the README's "Build your own connector" tells a newcomer:
`connector init`, a REST system described in YAML, `connector new`, `connector record`, `connector
preview`, the golden test (red on what is not filled in, then green), and runs: embedded, then on real
workers. Everything goes through the command line and pytest in child processes, in a project folder
of its own, against the Shopify and Magento 2 emulators on loopback."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from pipeline.testing.clock import Clock
from pipeline.testing.harness import cli, run_embedded, run_with_workers
from pipeline.testing.magento2 import Magento2Emulator
from pipeline.testing.shopify import ShopifyEmulator
from tests.conftest import REDIS_URL

#: What the newcomer writes after reading the API's docs: the shop's customers, read only.
MYSHOP = """\
description: My shop's Admin REST API (customers).
base_url: "{URL}/admin/api/2024-01"
auth: {type: api_key, in: header, name: X-Shopify-Access-Token, value: "{TOKEN}"}
errors: {message: errors}
limits: {concurrency: 2, requests: 38, window_s: 20}
personal_data: [phone, note]
entities:
  customer:
    id: id
    updated_at: updated_at
    list:
      path: /customers.json
      records: customers
      pagination: {type: link_header, size_param: limit}
      incremental: {param: updated_at_min, format: iso}
"""
NAME = "myshop_to_magento2_customer"


def pytest_in(project, env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=project,
                          env=env, capture_output=True, text=True, timeout=120)


def test_a_new_connector_is_built_from_scratch_as_a_user_would(tmp_path, namespace, redis_client,
                                                                 connector_workers):
    project = tmp_path / "project"
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIPELINE_")}
    env.update({"REDIS_URL": REDIS_URL, "PIPELINE_NAMESPACE": namespace,
                "PIPELINE_MAPPINGS_DIR": str(project / "mappings"), "PIPELINE_RETRY_MIN_BACKOFF_MS": "50"})
    cli(env, "init", str(project))
    (project / "systems" / "myshop.yaml").write_text(MYSHOP)

    clock = Clock("2026-11-02T09:00:00")
    with ShopifyEmulator(clock=clock) as shopify, Magento2Emulator(clock=clock) as magento:
        for n, (first, last) in enumerate([("Ada", "Lovelace"), ("Grace", "Hopper"), (None, None)]):
            shopify.add_customer(email=f"customer{n}@example.com", first_name=first, last_name=last)
        env.update({k: v for k, v in shopify.environ("myshop").items() if k != "PIPELINE_BROKER_URL"})
        env.update({k: v for k, v in magento.environ("magento2", "oauth").items() if k != "PIPELINE_BROKER_URL"})

        output = cli(env, "new", "--connector", "customer_pull", "--source", "myshop", "--target", "magento2",
                     cwd=project).stdout
        assert f"Integration {NAME}" in output
        # The first test run fails, and only on what the author has not filled in.
        first = pytest_in(project, env)
        assert first.returncode == 1
        assert "cannot map 1 of 1 sample records yet:" in first.stdout
        assert ("record 0: Invalid customer record: email: Missing data for required field.; first_name: Missing "
                "data for required field.; last_name: Missing data for required field.") in first.stdout

        # The author fills in the mapping, and records real-shaped data as the golden sample.
        mapping = project / "mappings" / f"{NAME}.yaml"
        text = mapping.read_text()
        for field, expression in (("email", "lower(trim(email))"), ("first_name", "first_name"),
                                  ("last_name", "last_name")):
            text = re.sub(rf'^  {field}: "`null`"', f"  {field}: {expression}", text, flags=re.MULTILINE)
        mapping.write_text(text)
        cli(env, "validate", cwd=project)
        cli(env, "record", NAME, "--records", "3", "--golden", cwd=project)
        preview = cli(env, "preview", f"mappings/{NAME}.yaml", f"tests/fixtures/{NAME}/input.json", cwd=project,
                      check=False)
        # The recorded customer without names fails in the preview, named; the two others map.
        assert preview.returncode == 1 and preview.stdout.count('"entity"') == 2
        assert "first_name: Missing data for required field." in preview.stdout

        # The golden test names the failing record; it is meant to fail: the author accepts, and it is green.
        review = pytest_in(project, env)
        assert review.returncode == 1 and "cannot map 1 of 3 sample records yet:" in review.stdout
        assert "record 2: Invalid customer record" in review.stdout
        assert pytest_in(project, env, "--golden-accept").returncode == 0
        green = pytest_in(project, env)
        assert green.returncode == 0, green.stdout

        # Run it: in one process, then on real workers.
        embedded = run_embedded(env, NAME, cwd=project)
        embedded.assert_counts(extracted=3, loaded=2, failed=1)
        embedded.assert_failed("customer2@example.com", "first_name: Missing data for required field.", stage="map")
        assert sorted((c["email"], c["firstname"]) for c in magento.tables.customers.values()) == [
            ("customer0@example.com", "Ada"), ("customer1@example.com", "Grace")]

        connector_workers(env, cwd=project, threads=2)
        shopify.add_customer(email="customer3@example.com", first_name="Katherine", last_name="Johnson")
        on_workers = run_with_workers(env, NAME, cwd=project, keys=("customer0@example.com",))
        # Redis knows nothing of the embedded run (its books were in memory): everything is read and
        # loaded; the two customers Magento has already are updated, not created again.
        on_workers.assert_counts(extracted=4, loaded=3, skipped=0, failed=1)
        last = on_workers.ledger["customer0@example.com"]["last"]
        assert (last["status"], last["run_id"]) == ("done", on_workers.run_id)
        assert sorted(c["email"] for c in magento.tables.customers.values()) == [
            "customer0@example.com", "customer1@example.com", "customer3@example.com"]
