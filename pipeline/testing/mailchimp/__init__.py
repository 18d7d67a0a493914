"""An emulator of Mailchimp's Marketing API v3, and its pytest fixture.

Modules: ``emulator`` (routes, authentication, state), ``members`` (audiences and members),
``ecommerce`` (stores, products, customers, orders), ``batches`` (batch operations and their result
archives), ``validation`` and ``schemas`` (request bodies against the vendored OpenAPI schemas),
``problems`` (problem+json errors), ``fixtures``.
"""

from __future__ import annotations

from pipeline.testing.mailchimp.emulator import MailchimpEmulator
from pipeline.testing.mailchimp.fixtures import mailchimp_emulator

__all__ = ["MailchimpEmulator", "mailchimp_emulator"]
