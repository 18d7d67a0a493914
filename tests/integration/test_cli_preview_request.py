"""`connector preview --request`: the exact request a push's target would receive, built by its load, unsent.

Through the real command line against the vendor emulators: the target's load looks records up as
it would and is stopped at its first change, so the emulator sees reads only; secrets are masked.
The request shown is then compared with what the same load really sends.
"""

from __future__ import annotations

import json

from pipeline.mapping import Mapper, load_mapping
from pipeline.settings import EMBEDDED_BROKER_URL
from pipeline.systems import build_system
from tests.conftest import FIXTURES, MAPPINGS
from tests.integration.conftest import run_cli


def _shown(stdout: str) -> list[dict]:
    return [json.loads(chunk) for chunk in stdout.replace("}\n{", "}\x00{").split("\x00")]


def _changes(emulator) -> list:
    """What the emulator was asked to change (a token request changes nothing)."""
    return [request for request in emulator.requests
            if request.method not in ("GET", "HEAD") and "token" not in request.path]


def test_magento2_preview_shows_the_create_or_the_update_the_load_would_send(pipeline_env, magento2_emulator):
    env = {**pipeline_env, **magento2_emulator.environ("magento2_shop")}
    stored = magento2_emulator.add_customer(email="purchasing@acme-tools.example", firstname="Old",
                                            lastname="Name")
    sample = FIXTURES / "netsuite_to_magento2_customer" / "input.json"

    result = run_cli(env, "preview", "netsuite_to_magento2_customer", "--sample", str(sample), "--request",
                     check=False)
    shown = _shown(result.stdout)

    assert result.returncode == 1  # the third record has no email: it fails to map, as without --request
    new, existing = shown[0], shown[1]
    assert (new["request"]["method"], new["request"]["path"]) == ("POST", "/rest/default/V1/customers")
    assert (existing["request"]["method"], existing["request"]["path"]) == \
        ("PUT", f"/rest/default/V1/customers/{stored['id']}")
    # the mapped value over the stored one
    assert existing["request"]["body"]["customer"]["firstname"] == "Acme Tools"
    assert any("/V1/customers/search" in read for read in new["reads"])  # looked up by email first
    assert new["request"]["headers"]["Authorization"] == "***"
    assert env["PIPELINE_MAGENTO2_SHOP_PASSWORD"] not in result.stdout and "Bearer" not in result.stdout
    assert _changes(magento2_emulator) == []  # nothing was sent but reads

    # The very request the load sends, byte for byte in its body.
    spec = load_mapping(MAPPINGS / "netsuite_to_magento2_customer.yaml")
    item = Mapper(spec).map(json.loads(sample.read_text())[0])
    target = build_system("magento2", "magento2_shop", {**env, "PIPELINE_BROKER_URL": EMBEDDED_BROKER_URL})
    assert target.load("customer", [item]) == [None]
    sent = _changes(magento2_emulator)
    assert [(request.method, request.path) for request in sent] == [("POST", "/rest/default/V1/customers")]
    assert json.loads(sent[0].body) == new["request"]["body"]


def test_mailchimp_netsuite_and_declared_targets_show_their_requests_with_secrets_masked(
        pipeline_env, mailchimp_emulator, netsuite_emulator, shopify_emulator):
    env = {**pipeline_env, **mailchimp_emulator.environ("mailchimp"), **netsuite_emulator.env("netsuite_erp"),
           **shopify_emulator.environ("shopify_store")}
    cases = {"magento2_to_mailchimp_customer": ("PUT", "/lists/"),
             "magento2_to_netsuite_customer": ("PUT", "/services/rest/record/v1/customer/eid:"),  # an upsert
             "magento2_to_shopify_customer": ("POST", "/customers")}

    results = {name: run_cli(env, "preview", str(MAPPINGS / f"{name}.yaml"),
                             str(FIXTURES / name / "input.json"), "--request", check=False) for name in cases}

    secrets = [env[name] for name in ("PIPELINE_MAILCHIMP_API_KEY", "PIPELINE_NETSUITE_ERP_TOKEN_SECRET",
                                      "PIPELINE_NETSUITE_ERP_TOKEN_ID", "PIPELINE_SHOPIFY_STORE_TOKEN")]
    for name, (method, path) in cases.items():
        first = _shown(results[name].stdout)[0]
        request = first["request"]
        assert request["method"] == method and path in request["path"], (name, request)
        assert request["body"], name
        masked = [value for header, value in request["headers"].items()
                  if header.lower() in ("authorization", "x-shopify-access-token")]
        assert masked == ["***"], (name, request["headers"])
        assert not any(secret in results[name].stdout for secret in secrets), name
    assert (_shown(results["magento2_to_mailchimp_customer"].stdout)[0]["request"]["body"]["email_address"]
            == "veronica.costello@example.com")
    assert _changes(mailchimp_emulator) == [] and _changes(shopify_emulator) == []
    assert [request for request in _changes(netsuite_emulator) if "suiteql" not in request.path] == []


def test_a_target_that_does_not_load_over_http_is_refused_with_a_reason(pipeline_env, magento1_emulator):
    env = {**pipeline_env, **magento1_emulator.environ("magento1_shop")}

    sample = FIXTURES / "netsuite_to_magento1_inventory" / "input.json"
    result = run_cli(env, "preview", "netsuite_to_magento1_inventory", "--sample", str(sample), "--request",
                     check=False)

    assert result.returncode == 2
    assert result.stderr.startswith("Error: System 'magento1' does not load over the shared HTTP client")
