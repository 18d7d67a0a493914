"""Mailchimp Marketing API v3: audience members, e-commerce products and orders, batch operations.

Modules: ``config`` (the connection's variables), ``client`` (HTTP Basic with the API key, the
subscriber hash), ``problems`` (problem+json errors), ``payloads`` (canonical -> Mailchimp
objects), ``operations`` (a record's requests as data), ``load`` (direct or batched sending),
``batches`` (``/batches`` and its result archives), ``cursor`` and ``extract`` (incremental pulls
of members), ``system``.
"""

from __future__ import annotations

from pipeline.systems.mailchimp.client import subscriber_hash
from pipeline.systems.mailchimp.system import MailchimpSystem

__all__ = ["MailchimpSystem", "subscriber_hash"]
