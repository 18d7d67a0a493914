"""pytest fixtures for tests against the Magento 2 emulator (ours and integration authors').

Import the fixture into a test module or a conftest.py::

    from pipeline.testing.magento2 import magento2_emulator  # noqa: F401 (a fixture)

    def test_customers_arrive(magento2_emulator):
        system = Magento2System.from_env("shop", magento2_emulator.environ("shop"))
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pipeline.testing.magento2.emulator import Magento2Emulator


@pytest.fixture
def magento2_emulator() -> Iterator[Magento2Emulator]:
    """A fresh, empty Magento 2 emulator on a free loopback port, stopped after the test."""
    with Magento2Emulator() as emulator:
        yield emulator
