"""The NetSuite emulator and its pytest fixture.

In a test module::

    from pipeline.testing.netsuite import netsuite_emulator  # the fixture

    def test_customers_come_out(netsuite_emulator):
        environ = {**netsuite_emulator.env("erp"), "PIPELINE_BROKER_URL": "stub://"}
        system = NetSuiteSystem.from_env("erp", environ)

Modules: ``emulator`` (routes, auth, governance), ``store`` (records), ``suiteql`` (the query
subset), ``oauth`` (standard-library signature checks).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pipeline.testing.netsuite.emulator import NetSuiteEmulator, ns_error
from pipeline.testing.netsuite.store import NsError, RecordStore


@pytest.fixture
def netsuite_emulator() -> Iterator[NetSuiteEmulator]:
    """A running NetSuiteEmulator with default credentials, stopped after the test.

    The test fails at teardown when the client broke the contract (``assert_contract_kept``).
    """
    with NetSuiteEmulator() as emulator:
        yield emulator
        # A client that broke the vendor\'s contract fails its test, though the vendor let it pass.
        emulator.assert_contract_kept()


__all__ = ["NetSuiteEmulator", "NsError", "RecordStore", "netsuite_emulator", "ns_error"]
