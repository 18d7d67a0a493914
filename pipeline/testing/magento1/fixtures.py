"""pytest fixtures for tests against the Magento 1 emulator (ours and integration authors').

Import the fixture into a test module or a conftest.py::

    from pipeline.testing.magento1 import magento1_emulator  # noqa: F401 (a fixture)

    def test_customers_arrive(magento1_emulator):
        # The connection alone; stub:// keeps the concurrency budget in process.
        environ = {**magento1_emulator.environ("shop"), "PIPELINE_BROKER_URL": "stub://"}
        system = Magento1System.from_env("shop", environ)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pipeline.testing.magento1.emulator import Magento1Emulator


@pytest.fixture
def magento1_emulator() -> Iterator[Magento1Emulator]:
    """A fresh, empty Magento 1 emulator on a free loopback port, stopped after the test.

    The test fails at teardown when the client broke the contract (``assert_contract_kept``).
    """
    with Magento1Emulator() as emulator:
        yield emulator
        # A client that broke the vendor\'s contract fails its test, though the vendor let it pass.
        emulator.assert_contract_kept()
