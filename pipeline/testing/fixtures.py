"""One factory for the emulators' pytest fixtures: a fresh emulator per test, stopped after it.

Every emulator is a context manager that starts a server on a free loopback port; its fixture
only opens and closes it. Each emulator package makes its own with this::

    magento2_emulator = emulator_fixture("magento2_emulator", Magento2Emulator)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest


def emulator_fixture(name: str, emulator: Callable[[], AbstractContextManager], doc: str = ""):
    """A function-scoped pytest fixture called ``name`` that yields a running ``emulator()``.

    The test fails at teardown when the client broke the vendor's contract or the emulator itself
    failed (``Emulator.assert_contract_kept``).
    """

    def running() -> Iterator[object]:
        with emulator() as started:
            yield started
            # A client that broke the vendor's contract fails its test, though the vendor let it pass.
            started.assert_contract_kept()

    running.__doc__ = doc or f"A fresh {emulator.__name__} on a free loopback port, stopped after the test."
    return pytest.fixture(name=name)(running)
