"""The emulators' pytest fixtures, registered for any project that installs this library.

A test asks for ``magento2_emulator``, ``netsuite_emulator``, ``mailchimp_emulator``,
``magento1_emulator`` or ``rest_emulator`` by name: each is a running emulator on loopback,
stopped when the test ends (registered through the ``pytest11`` entry point in pyproject.toml).
"""

from pipeline.testing.magento1 import magento1_emulator
from pipeline.testing.magento2 import magento2_emulator
from pipeline.testing.mailchimp import mailchimp_emulator
from pipeline.testing.netsuite import netsuite_emulator
from pipeline.testing.rest import rest_emulator

__all__ = ["magento1_emulator", "magento2_emulator", "mailchimp_emulator", "netsuite_emulator", "rest_emulator"]
