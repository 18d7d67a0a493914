"""A Mailchimp connection's settings, read from its ``PIPELINE_<CONNECTION>_*`` variables.

=====================  ========================================================================
``API_KEY``            the account's API key; its ``-usN`` suffix names the data center
``URL``                base URL override (the emulator); default ``https://<dc>.api.mailchimp.com/3.0``
``LIST_ID``            the audience that members (entity ``customer``) are read from and written to
``STORE_ID``           the e-commerce store that orders and products are written to
``STATUS_IF_NEW``      status of a new member: ``pending`` (default, double opt-in) or ``subscribed``
``BATCH_THRESHOLD``    loads of more records than this go through ``/batches`` (default 500)
``CONCURRENCY``        requests in flight to the account, all workers together (default 10)
``LOOKBACK_S``         seconds re-read before the cursor by incremental pulls (default 300)
``BATCH_POLL_S``       first wait between two looks at a running batch (default 2, doubling to 30)
``BATCH_TIMEOUT_S``    how long a load waits for its batch (default 480, under Dramatiq's 10 min limit)
=====================  ========================================================================

Why ``pending`` by default: a ``PUT`` is an upsert whose ``status_if_new`` only decides for
addresses the audience does not know yet (CONTRACTS 3.3), and ``pending`` makes Mailchimp
collect the opt-in itself (its double opt-in mail), so a connector never subscribes anyone
to campaigns on a shop's word alone. A shop that already keeps proof of consent sets
``subscribed``. Existing members' statuses are never changed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from pipeline.errors import ConfigError
from pipeline.systems.connection import ConnectionVars

#: The statuses a new member may be given by default (CONTRACTS 3.3: pending sends the opt-in mail).
NEW_STATUSES = ("pending", "subscribed")
DEFAULT_STATUS_IF_NEW = "pending"
DEFAULT_BATCH_THRESHOLD = 500
#: Mailchimp allows 10 simultaneous connections per user (CONTRACTS 3.7).
DEFAULT_CONCURRENCY = 10
DEFAULT_LOOKBACK_S = 300
DEFAULT_BATCH_POLL_S = 2.0
DEFAULT_BATCH_TIMEOUT_S = 480.0


def data_center(api_key: str) -> str | None:
    """The data center named by an API key's suffix, or None when the key has no such suffix.

    >>> data_center("0123456789abcdef0123456789abcdef-us6")
    'us6'
    """
    # The official client splits on "-" and wants exactly two parts (CONTRACTS 3.1).
    parts = api_key.strip().split("-")
    if len(parts) != 2 or not re.fullmatch(r"[a-z]+[0-9]+", parts[1]):
        return None
    return parts[1]


@dataclass(frozen=True)
class MailchimpConfig:
    """Everything one Mailchimp connection needs; the API key stays out of ``repr``."""

    connection: str
    api_key: str = field(repr=False)
    data_center: str
    base_url: str
    list_id: str | None = None
    store_id: str | None = None
    status_if_new: str = DEFAULT_STATUS_IF_NEW
    batch_threshold: int = DEFAULT_BATCH_THRESHOLD
    concurrency: int = DEFAULT_CONCURRENCY
    lookback_s: int = DEFAULT_LOOKBACK_S
    batch_poll_s: float = DEFAULT_BATCH_POLL_S
    batch_timeout_s: float = DEFAULT_BATCH_TIMEOUT_S
    #: A customer gone from the shop: ``archive`` the member, or delete it ``permanent``-ly.
    delete_mode: str = "archive"

    @classmethod
    def from_env(cls, connection: str, environ: Mapping[str, str]) -> MailchimpConfig:
        """Read and check the connection's variables.

        Raises:
            ConfigError: listing every missing or malformed variable, never a value of the key.
        """
        reader = _Reader(connection, environ)
        api_key, dc = reader.api_key()
        config = cls(
            connection=connection, api_key=api_key, data_center=dc,
            base_url=(reader.get("URL") or f"https://{dc}.api.mailchimp.com/3.0").rstrip("/"),
            list_id=reader.get("LIST_ID") or None, store_id=reader.get("STORE_ID") or None,
            status_if_new=reader.choice("STATUS_IF_NEW", NEW_STATUSES),
            batch_threshold=reader.number("BATCH_THRESHOLD", DEFAULT_BATCH_THRESHOLD, 1, 1_000_000, int),
            concurrency=reader.number("CONCURRENCY", DEFAULT_CONCURRENCY, 1, 1000, int),
            lookback_s=reader.number("LOOKBACK_S", DEFAULT_LOOKBACK_S, 0, 7 * 86400, int),
            batch_poll_s=reader.number("BATCH_POLL_S", DEFAULT_BATCH_POLL_S, 0.001, 600, float),
            batch_timeout_s=reader.number("BATCH_TIMEOUT_S", DEFAULT_BATCH_TIMEOUT_S, 0.01, 86400, float),
            delete_mode=reader.choice("DELETE", ("archive", "permanent")),
        )
        reader.check("Mailchimp")
        return config

    def require(self, setting: str) -> str:
        """The value of ``list_id`` or ``store_id``, or a ConfigError naming its variable."""
        value = getattr(self, setting)
        if not value:
            name = f"PIPELINE_{self.connection.upper()}_{setting.upper()}"
            what = "the audience id" if setting == "list_id" else "the e-commerce store id"
            raise ConfigError(f"{name} is not set: {what} is needed to read or write this entity.")
        return value


class _Reader(ConnectionVars):

    def api_key(self) -> tuple[str, str]:
        key = self.get("API_KEY")
        if not key:
            self.problems.append(f"{self.name('API_KEY')} is not set: the account's API key, "
                                 "e.g. 0123456789abcdef0123456789abcdef-us6.")
            return "", ""
        dc = data_center(key)
        if dc is None:
            # The key itself is never echoed: only its expected shape.
            self.problems.append(f"{self.name('API_KEY')} does not end with a data center such as '-us6': "
                                 "copy the whole key from Mailchimp (Account > Extras > API keys).")
            return key, ""
        return key, dc
