"""The emulators' fixtures reach any test through the installed pytest plugin, with no import."""

from __future__ import annotations

import requests


def test_every_emulator_fixture_is_available_by_name(rest_emulator, magento2_emulator, netsuite_emulator,
                                                     mailchimp_emulator, magento1_emulator):
    for emulator in (rest_emulator, magento2_emulator, netsuite_emulator, mailchimp_emulator, magento1_emulator):
        assert emulator.url.startswith("http://127.0.0.1:")
    assert requests.get(rest_emulator.url + "/customer", timeout=5).status_code == 401  # it checks auth
