"""A NetSuite connection's settings, read from ``PIPELINE_<CONNECTION>_*`` environment variables.

Required: ``ACCOUNT``, ``CONSUMER_KEY``, ``CONSUMER_SECRET``, ``TOKEN_ID``, ``TOKEN_SECRET``. Optional:
``URL`` (default: the account's SuiteTalk host), ``CONCURRENCY`` (requests in flight, all workers
together), ``PAGE_SIZE``, ``LOOKBACK_S``, ``READ_RETRIES`` and ``READ_BACKOFF_MS`` (in-place retries
of reads, ``pipeline.systems.read_retries``). What loads need of the account (``LoadSettings``):
``DOB_FIELD`` and ``GENDER_FIELD`` (customer custom field ids), ``DISCOUNT_ITEM`` and ``TAX_ITEM``
(item internal ids), ``TAX_MODE`` (``item`` or ``code``), ``TAX_CODES`` (``rate=tax code id,...``, for
``TAX_MODE=code``), ``SHIP_METHODS`` (``shop code=ship item id,...``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from pipeline.errors import ConfigError
from pipeline.systems.base import connection_env
from pipeline.systems.netsuite.auth import ACCOUNT_SHAPE, Credentials, default_base_url
from pipeline.systems.read_retries import DEFAULT_READ_BACKOFF_MS, DEFAULT_READ_RETRIES, ReadRetries

#: Required variables (after ``PIPELINE_<CONNECTION>_``).
REQUIRED = ("ACCOUNT", "CONSUMER_KEY", "CONSUMER_SECRET", "TOKEN_ID", "TOKEN_SECRET")
#: Requests in flight per account: the base tier's shared limit, so that an untuned setup sees no 429s.
DEFAULT_CONCURRENCY = 5
#: SuiteQL and record-list pages never hold more rows than this (NetSuite's own maximum).
MAX_PAGE_SIZE = 1000
#: How far back each incremental pull looks again, for records committed after their stamp.
DEFAULT_LOOKBACK_S = 300


#: How an order's tax reaches NetSuite. ``item``: one line of the tax item (an other-charge item)
#: carrying the shop's tax amount, so the total is the shop's to the cent whatever the account's
#: tax setup (US sales tax). ``code``: VAT, each line carries the tax code of its rate
#: (``TAX_CODES``) and NetSuite computes the tax; what the shop's tax amount differs by (rounding)
#: travels as one tax item line at the 0 % code (``vat.py``).
TAX_MODES = ("item", "code")


@dataclass(frozen=True)
class LoadSettings:
    """What loads need to know of the account: custom fields, and the items money travels on."""

    dob_field: str | None = None
    gender_field: str | None = None
    discount_item: str | None = None
    tax_item: str | None = None
    tax_mode: str = "item"
    #: ``TAX_MODE=code``: a tax rate in percent -> the NetSuite tax code (``salesTaxItem``) id.
    tax_codes: Mapping[Decimal, str] = field(default_factory=dict)
    #: The shop's shipping method code -> NetSuite ship item internal id.
    ship_methods: Mapping[str, str] = field(default_factory=dict)
    connection: str = "netsuite"

    def var(self, name: str) -> str:
        return f"PIPELINE_{self.connection.upper()}_{name}"

    @classmethod
    def from_env(cls, connection: str, environ: Mapping[str, str], problems: list[str]) -> LoadSettings:
        def get(name: str) -> str | None:
            return (connection_env(connection, environ, name) or "").strip() or None

        def var(name: str) -> str:
            return f"PIPELINE_{connection.upper()}_{name}"

        for name, prefix in (("DOB_FIELD", "custentity"), ("GENDER_FIELD", "custentity")):
            if get(name) and not get(name).startswith(prefix):
                problems.append(f"{var(name)} must be a customer custom field id ({prefix}...), not {get(name)!r}.")
        for name in ("DISCOUNT_ITEM", "TAX_ITEM"):
            if get(name) and not get(name).isdigit():
                problems.append(f"{var(name)} must be an item's internal id (digits), not {get(name)!r}.")
        tax_mode = (get("TAX_MODE") or "item").lower()
        if tax_mode not in TAX_MODES:
            problems.append(f"{var('TAX_MODE')} must be one of: {', '.join(TAX_MODES)}; not {tax_mode!r}.")
        ship_methods = _pairs(get("SHIP_METHODS"), var("SHIP_METHODS"), "shop code=ship item id",
                              "flatrate_flatrate=12", str, problems)
        tax_codes = _pairs(get("TAX_CODES"), var("TAX_CODES"), "tax rate=tax code id", "21=5,9=6,0=7", _rate,
                           problems)
        if tax_mode == "code" and Decimal(0) not in tax_codes:
            # The rounding line needs a code that adds no tax of its own.
            problems.append(f"{var('TAX_MODE')} is 'code', so {var('TAX_CODES')} must map each tax rate of the "
                            f"shop's orders, 0 included (its rounding line), to a tax code id, e.g. 21=5,9=6,0=7.")
        return cls(get("DOB_FIELD"), get("GENDER_FIELD"), get("DISCOUNT_ITEM"), get("TAX_ITEM"), tax_mode,
                   tax_codes, ship_methods, connection)


def _rate(text: str) -> Decimal:
    """A tax rate in percent, normalised so that 21, 21.0 and 21.0000 are one key (ValueError else)."""
    try:
        rate = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not rate.is_finite() or rate < 0:
        raise ValueError(text)
    return rate.normalize() if rate else Decimal(0)


def _pairs(raw: str | None, variable: str, shape: str, example: str, key: object, problems: list[str]) -> dict:
    """``a=1,b=2`` as ``{key(a): "1", ...}``; ids are NetSuite internal ids (digits)."""
    pairs = {}
    for pair in (raw or "").split(","):
        if not pair.strip():
            continue
        name, _, record_id = (part.strip() for part in pair.partition("="))
        try:
            name = key(name) if name else None
        except ValueError:
            name = None
        if name is None or not record_id.isdigit():
            problems.append(f"{variable} must list '{shape}' pairs separated by commas, e.g. {example}; "
                            f"{pair.strip()!r} is not one.")
            continue
        pairs[name] = record_id
    return pairs


@dataclass(frozen=True)
class NetSuiteSettings:
    """Everything a NetSuite system needs; ``credentials`` never appear in its repr."""

    account: str
    credentials: Credentials
    base_url: str
    concurrency: int = DEFAULT_CONCURRENCY
    page_size: int = MAX_PAGE_SIZE
    lookback_s: int = DEFAULT_LOOKBACK_S
    #: How reads (GET, SuiteQL) are retried in place (``READ_RETRIES``, ``READ_BACKOFF_MS``).
    reads: ReadRetries = ReadRetries()
    loads: LoadSettings = LoadSettings()

    @classmethod
    def from_env(cls, connection: str, environ: Mapping[str, str]) -> NetSuiteSettings:
        """Read the connection's variables.

        Raises:
            ConfigError: naming every missing or invalid variable (never a secret's value).
        """
        def var(name: str) -> str:
            return f"PIPELINE_{connection.upper()}_{name}"

        values = {name: (connection_env(connection, environ, name) or "").strip() for name in REQUIRED}
        problems = [f"{var(name)} is not set." for name, value in values.items() if not value]
        account = values["ACCOUNT"]
        if account and not ACCOUNT_SHAPE.match(account):
            problems.append(f"{var('ACCOUNT')} must be a NetSuite account id such as '1234567' or "
                            f"'1234567_SB1', not {account!r}.")
        numbers = {}
        for name, default, low, high in (("CONCURRENCY", DEFAULT_CONCURRENCY, 1, 1000),
                                         ("PAGE_SIZE", MAX_PAGE_SIZE, 1, MAX_PAGE_SIZE),
                                         ("LOOKBACK_S", DEFAULT_LOOKBACK_S, 0, 7 * 86400),
                                         ("READ_RETRIES", DEFAULT_READ_RETRIES, 0, 100),
                                         ("READ_BACKOFF_MS", DEFAULT_READ_BACKOFF_MS, 0, 60_000)):
            raw = connection_env(connection, environ, name)
            numbers[name] = _integer(raw, default, low, high)
            if numbers[name] is None:
                problems.append(f"{var(name)} must be a whole number from {low} to {high}, not {raw!r}.")
        loads = LoadSettings.from_env(connection, environ, problems)
        if problems:
            raise ConfigError(f"Invalid NetSuite connection {connection!r}: " + " ".join(problems))
        credentials = Credentials(values["CONSUMER_KEY"], values["CONSUMER_SECRET"], values["TOKEN_ID"],
                                  values["TOKEN_SECRET"])
        base_url = connection_env(connection, environ, "URL") or default_base_url(account)
        reads = ReadRetries(retries=numbers["READ_RETRIES"], backoff_s=numbers["READ_BACKOFF_MS"] / 1000)
        return cls(account, credentials, base_url.rstrip("/"), numbers["CONCURRENCY"], numbers["PAGE_SIZE"],
                   numbers["LOOKBACK_S"], reads, loads)


def _integer(raw: str | None, default: int, low: int, high: int) -> int | None:
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if low <= value <= high else None
