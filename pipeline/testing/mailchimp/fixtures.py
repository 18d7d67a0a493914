"""pytest fixtures for tests against the Mailchimp emulator (ours and integration authors').

Import the fixture into a test module or a conftest.py::

    from pipeline.testing.mailchimp import mailchimp_emulator  # noqa: F401 (a fixture)

    def test_members_arrive(mailchimp_emulator):
        system = MailchimpSystem.from_env("mailchimp", mailchimp_emulator.environ("mailchimp"))
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pipeline.testing.mailchimp.emulator import MailchimpEmulator


@pytest.fixture
def mailchimp_emulator() -> Iterator[MailchimpEmulator]:
    """A fresh Mailchimp emulator (one audience, one store) on a free loopback port, stopped afterwards."""
    with MailchimpEmulator() as emulator:
        yield emulator
