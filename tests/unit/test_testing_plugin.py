"""The emulators' fixtures reach any test through the installed pytest plugin, with no import."""

from __future__ import annotations

import requests


def test_every_emulator_fixture_is_available_by_name(rest_emulator, magento2_emulator, netsuite_emulator,
                                                     mailchimp_emulator, magento1_emulator):
    for emulator in (rest_emulator, magento2_emulator, netsuite_emulator, mailchimp_emulator, magento1_emulator):
        assert emulator.url.startswith("http://127.0.0.1:")
    assert requests.get(rest_emulator.url + "/customer", timeout=5).status_code == 401  # it checks auth


def test_the_shopify_emulator_fixture_is_available_by_name(shopify_emulator):
    answer = requests.get(shopify_emulator.base_url + "/customers.json", timeout=5)
    assert answer.status_code == 401 and "errors" in answer.json()


def test_the_golden_check_passes_over_every_shipped_mapping_file(golden_accept):
    from pipeline.testing.golden import check_golden, golden_cases
    from tests.conftest import FIXTURES, MAPPINGS

    cases = golden_cases(MAPPINGS, FIXTURES)
    assert len(cases) == len(list(MAPPINGS.glob("*.yaml")))
    for case in cases:
        check_golden(case, accept=False)
    assert golden_accept is False
