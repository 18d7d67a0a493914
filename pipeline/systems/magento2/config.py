"""A Magento 2 connection's settings, read from its ``PIPELINE_<CONNECTION>_*`` variables.

==========================  ===================================================================
``URL``                     REST base URL with the store code: ``https://shop.example/rest/default``
``TOKEN``                   a bearer token (an integration's access token, where the shop allows it)
``USERNAME``, ``PASSWORD``  an admin login, exchanged for a token (cached, renewed once on 401)
``CONSUMER_KEY``, ``CONSUMER_SECRET``, ``ACCESS_TOKEN``, ``ACCESS_TOKEN_SECRET``
                            an integration's OAuth 1.0a credentials (HMAC-SHA256 signatures)
``WEBSITE_ID``              website of loaded customers (default 1); a mapping's ``website_id`` wins
``PAGE_SIZE``               records per Magento request (default: the pipeline's batch size)
``LOOKBACK_S``              seconds re-read before the cursor by incremental pulls (default 300)
``CONCURRENCY``             requests in flight to the shop, all workers together (default 4)
``INVENTORY_API``           ``msi`` (source items, default) or ``legacy`` (stock items)
``READ_RETRIES``            in-place retries of a failed read (GET), default 3; writes are never retried here
``READ_BACKOFF_MS``         first wait before such a retry (default 500, then doubling, with jitter)
``BULK_THRESHOLD``          product and MSI stock loads of more records than this go through the
                            asynchronous bulk API (default 200; 0: never)
``BULK_POLL_S``             first wait before looking at a bulk's status (default 2, doubling to 30)
``BULK_TIMEOUT_S``          how long a load waits for its bulk's operations (default 480, at most
                            540: the load must end within Dramatiq's 10-minute time limit)
==========================  ===================================================================

Exactly one kind of credentials must be set. Every problem is reported at once, naming the
variables and never the values of secrets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pipeline.systems.connection import ConnectionVars
from pipeline.systems.read_retries import DEFAULT_READ_BACKOFF_MS, DEFAULT_READ_RETRIES, ReadRetries

#: Kind of credentials -> the variable suffixes that make it up, in the order messages list them.
CREDENTIALS = {
    "token": ("TOKEN",),
    "admin": ("USERNAME", "PASSWORD"),
    "oauth": ("CONSUMER_KEY", "CONSUMER_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET"),
}
#: The stock APIs a connection can write to (Multi-Source Inventory, or the legacy single stock).
INVENTORY_APIS = ("msi", "legacy")
#: What disabling a product does to its stock (``pipeline.systems.magento2.lifecycle``).
DISABLED_STOCK = ("keep", "zero")
DEFAULT_LOOKBACK_S = 300
DEFAULT_CONCURRENCY = 4
DEFAULT_WEBSITE_ID = 1
DEFAULT_BULK_THRESHOLD = 200
DEFAULT_BULK_POLL_S = 2.0
DEFAULT_BULK_TIMEOUT_S = 480.0
#: Submitting the bulk and reading its results also take time within Dramatiq's 600 s limit.
MAX_BULK_TIMEOUT_S = 540.0


@dataclass(frozen=True)
class Magento2Config:
    """Everything one Magento 2 connection needs; ``secrets`` stays out of ``repr``."""

    connection: str
    base_url: str
    auth: str
    secrets: dict[str, str] = field(repr=False)
    website_id: int = DEFAULT_WEBSITE_ID
    #: Records per Magento request; None: the pipeline's batch size.
    page_size: int | None = None
    lookback_s: int = DEFAULT_LOOKBACK_S
    concurrency: int = DEFAULT_CONCURRENCY
    inventory_api: str = "msi"
    reads: ReadRetries = ReadRetries()
    #: Loads of more records than this go through the bulk API; 0: never.
    bulk_threshold: int = DEFAULT_BULK_THRESHOLD
    bulk_poll_s: float = DEFAULT_BULK_POLL_S
    bulk_timeout_s: float = DEFAULT_BULK_TIMEOUT_S
    #: What disabling a product does to its stock: ``keep`` it, or set it to ``zero`` (out of stock).
    disabled_stock: str = "keep"

    @classmethod
    def from_env(cls, connection: str, environ: Mapping[str, str]) -> Magento2Config:
        """Read and check the connection's variables.

        Raises:
            ConfigError: listing every missing, contradictory or malformed variable.
        """
        reader = _Reader(connection, environ)
        base_url = reader.url()
        auth, secrets = reader.credentials()
        config = cls(
            connection=connection, base_url=base_url, auth=auth, secrets=secrets,
            website_id=reader.integer("WEBSITE_ID", DEFAULT_WEBSITE_ID, minimum=0),
            page_size=reader.integer("PAGE_SIZE", None, minimum=1),
            lookback_s=reader.integer("LOOKBACK_S", DEFAULT_LOOKBACK_S, minimum=0),
            concurrency=reader.integer("CONCURRENCY", DEFAULT_CONCURRENCY, minimum=1),
            inventory_api=reader.choice("INVENTORY_API", INVENTORY_APIS),
            reads=ReadRetries(retries=reader.integer("READ_RETRIES", DEFAULT_READ_RETRIES, minimum=0),
                              backoff_s=reader.integer("READ_BACKOFF_MS", DEFAULT_READ_BACKOFF_MS, minimum=0) / 1000),
            bulk_threshold=reader.integer("BULK_THRESHOLD", DEFAULT_BULK_THRESHOLD, minimum=0),
            bulk_poll_s=reader.number("BULK_POLL_S", DEFAULT_BULK_POLL_S, 0.001, 600, float),
            bulk_timeout_s=reader.number("BULK_TIMEOUT_S", DEFAULT_BULK_TIMEOUT_S, 0.01, MAX_BULK_TIMEOUT_S,
                                         float),
            disabled_stock=reader.choice("DISABLED_STOCK", DISABLED_STOCK),
        )
        reader.check("Magento 2")
        return config


class _Reader(ConnectionVars):

    def url(self) -> str:
        return self.http_url(what="the REST base URL", path_part="/rest",
                             path_hint="include the REST path and store code",
                             example="https://shop.example.com/rest/default").rstrip("/")

    def credentials(self) -> tuple[str, dict[str, str]]:
        given = {kind: [s for s in suffixes if self.get(s)] for kind, suffixes in CREDENTIALS.items()}
        kinds = [kind for kind, found in given.items() if found]
        if not kinds:
            self.problems.append("No credentials: set " + "; or ".join(
                " and ".join(self.name(s) for s in suffixes) for suffixes in CREDENTIALS.values()) + ".")
            return "", {}
        if len(kinds) > 1:
            names = ", ".join(self.name(s) for kind in kinds for s in given[kind])
            self.problems.append(f"More than one kind of credentials is set ({names}): keep only one of "
                                 "the token, the admin user name and password, or the four OAuth values.")
            return "", {}
        kind = kinds[0]
        missing = [self.name(s) for s in CREDENTIALS[kind] if s not in given[kind]]
        if missing:
            self.problems.append(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set "
                                 f"(needed with {', '.join(self.name(s) for s in given[kind])}).")
        return kind, {s: self.get(s) for s in CREDENTIALS[kind]}
