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

from pipeline.testing.fixtures import emulator_fixture
from pipeline.testing.netsuite.emulator import NetSuiteEmulator, ns_error
from pipeline.testing.netsuite.store import NsError, RecordStore

netsuite_emulator = emulator_fixture(
    "netsuite_emulator", NetSuiteEmulator,
    "A running NetSuiteEmulator with default credentials, stopped after the test.")


__all__ = ["NetSuiteEmulator", "NsError", "RecordStore", "netsuite_emulator", "ns_error"]
