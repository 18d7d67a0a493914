"""pytest fixtures for tests against the Mailchimp emulator (ours and integration authors').

Import the fixture into a test module or a conftest.py::

    from pipeline.testing.mailchimp import mailchimp_emulator  # noqa: F401 (a fixture)

    def test_members_arrive(mailchimp_emulator):
        # The connection alone; stub:// keeps the concurrency budget in process.
        environ = {**mailchimp_emulator.environ("mailchimp"), "PIPELINE_BROKER_URL": "stub://"}
        system = MailchimpSystem.from_env("mailchimp", environ)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pipeline.testing.mailchimp.emulator import MailchimpEmulator


@pytest.fixture
def mailchimp_emulator() -> Iterator[MailchimpEmulator]:
    """A fresh Mailchimp emulator (one audience, one store) on a free loopback port, stopped afterwards.

    The test fails at teardown when the client broke the contract (``assert_contract_kept``).
    """
    with MailchimpEmulator() as emulator:
        yield emulator
        # A client that broke the vendor\'s contract fails its test, though the vendor let it pass.
        emulator.assert_contract_kept()
