"""A Magento 1 connection's settings, read from its ``PIPELINE_<CONNECTION>_*`` variables.

================  ==========================================================================
``URL``           the XML-RPC endpoint: ``https://shop.example.com/api/xmlrpc/``
                  (or ``.../index.php/api/xmlrpc/`` where URL rewrites are off)
``API_USER``      a Web Services user (System > Web Services > SOAP/XML-RPC Users), not an admin
``API_KEY``       that user's API key
``WINDOW_S``      ``updated_at`` window of each list call, in seconds (default 86400)
``LOOKBACK_S``    seconds re-read before the cursor by incremental pulls (default 300)
``START``         where a pull without a cursor starts (default ``2008-01-01 00:00:00``, UTC)
``END``           where pulls stop instead of now (UTC): a bounded backfill; a replayed recording
                  stops where it was recorded (``connector record`` sets it in the cassette)
``CONCURRENCY``   requests in flight to the shop, all workers together (default 4)
``WEBSITE_ID``    website of loaded customers (default 1); a mapping's ``website_id`` wins
``TIMEOUT_S``     seconds to connect and to wait for an answer (default 60)
``READ_RETRIES``  retries in place of a read that failed retryably (default 3; writes: never)
``READ_BACKOFF_MS``  first wait before such a retry, doubled each time (default 500)
================  ==========================================================================

Every problem is reported at once, naming the variables and never the values of secrets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from pipeline.systems.connection import ConnectionVars
from pipeline.systems.read_retries import DEFAULT_READ_BACKOFF_MS, DEFAULT_READ_RETRIES, ReadRetries

MAGENTO_TIME = "%Y-%m-%d %H:%M:%S"
DEFAULT_WINDOW_S = 86400
DEFAULT_LOOKBACK_S = 300
#: Magento 1.0 came out in 2008: nothing in a shop is older.
DEFAULT_START = "2008-01-01 00:00:00"
DEFAULT_CONCURRENCY = 4
DEFAULT_WEBSITE_ID = 1
DEFAULT_TIMEOUT_S = 60
EXAMPLE_URL = "https://shop.example.com/api/xmlrpc/"


@dataclass(frozen=True)
class Magento1Config:
    """Everything one Magento 1 connection needs; the API key stays out of ``repr``."""

    connection: str
    url: str
    api_user: str
    api_key: str = field(repr=False)
    window_s: int = DEFAULT_WINDOW_S
    lookback_s: int = DEFAULT_LOOKBACK_S
    start: str = DEFAULT_START
    end: str | None = None
    concurrency: int = DEFAULT_CONCURRENCY
    website_id: int = DEFAULT_WEBSITE_ID
    timeout_s: float = DEFAULT_TIMEOUT_S
    reads: ReadRetries = ReadRetries()

    @classmethod
    def from_env(cls, connection: str, environ: Mapping[str, str]) -> Magento1Config:
        """Read and check the connection's variables.

        Raises:
            ConfigError: listing every missing or malformed variable.
        """
        reader = _Reader(connection, environ)
        config = cls(
            connection=connection, url=reader.url(), api_user=reader.required("API_USER"),
            api_key=reader.required("API_KEY"),
            window_s=reader.integer("WINDOW_S", DEFAULT_WINDOW_S, minimum=1),
            lookback_s=reader.integer("LOOKBACK_S", DEFAULT_LOOKBACK_S, minimum=0),
            start=reader.moment("START", DEFAULT_START),
            end=reader.moment("END", None),
            concurrency=reader.integer("CONCURRENCY", DEFAULT_CONCURRENCY, minimum=1),
            website_id=reader.integer("WEBSITE_ID", DEFAULT_WEBSITE_ID, minimum=0),
            timeout_s=reader.integer("TIMEOUT_S", DEFAULT_TIMEOUT_S, minimum=1),
            reads=ReadRetries(
                retries=reader.integer("READ_RETRIES", DEFAULT_READ_RETRIES, minimum=0),
                backoff_s=reader.integer("READ_BACKOFF_MS", DEFAULT_READ_BACKOFF_MS, minimum=0) / 1000),
        )
        if config.end is not None and config.end < config.start:
            reader.problems.append(f"{reader.name('END')}={config.end!r} is before "
                                   f"{reader.name('START')}={config.start!r}.")
        reader.check("Magento 1")
        return config


class _Reader(ConnectionVars):

    def url(self) -> str:
        return self.http_url(what="the XML-RPC endpoint", path_part="/api/xmlrpc",
                             path_hint="be the XML-RPC endpoint (its path ends in /api/xmlrpc/)", example=EXAMPLE_URL)

    def moment(self, suffix: str, default: str | None) -> str | None:
        raw = self.get(suffix)
        if not raw:
            return default
        try:
            return dt.datetime.strptime(raw, MAGENTO_TIME).strftime(MAGENTO_TIME)
        except ValueError:
            self.problems.append(f"{self.name(suffix)}={raw!r} must be a UTC time such as "
                                 "'2015-01-01 00:00:00'.")
            return default
