"""An emulator of Mailchimp's Marketing API v3, and its pytest fixture.

Modules: ``emulator`` (routes, authentication, state), ``members`` (audiences and members),
``ecommerce`` (stores, products, customers, orders), ``batches`` (batch operations and their result
archives), ``validation`` and ``schemas`` (request bodies against the vendored OpenAPI schemas),
``problems`` (problem+json errors).
"""

from __future__ import annotations

from pipeline.testing.fixtures import emulator_fixture
from pipeline.testing.mailchimp.emulator import MailchimpEmulator

mailchimp_emulator = emulator_fixture(
    "mailchimp_emulator", MailchimpEmulator,
    "A fresh Mailchimp emulator (one audience, one store) on a free loopback port, stopped afterwards.")

__all__ = ["MailchimpEmulator", "mailchimp_emulator"]
