"""The compiled form of a system file: what ``schema`` builds and the rest of the package runs.

Every string that names a connection variable (``{TOKEN}``) stays a template here; the values are
filled in by ``DeclaredSystem.from_env``, so a spec holds no secret and can be logged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from jmespath.parser import ParsedResult

#: Statuses retried when a system file does not list its own.
DEFAULT_RETRYABLE = (429, 500, 502, 503, 504)


@dataclass(frozen=True)
class AuthSpec:
    """How requests authenticate; ``values`` holds templates such as ``{"token": "{TOKEN}"}``.

    ``type`` is one of ``none``, ``api_key`` (``name`` sent ``in`` a header or the query),
    ``basic``, ``bearer``, ``oauth2_client_credentials`` (``token_url``, ``scope``) or ``oauth1``.
    """

    type: str = "none"
    values: dict[str, str] = field(default_factory=dict)
    name: str = ""
    location: str = "header"
    token_url: str = ""
    scope: str = ""


@dataclass(frozen=True)
class Pagination:
    """How the next page is asked for; which fields matter depends on ``type``.

    page_number: ``page_param`` counts from ``start``; offset: ``offset_param`` counts records;
    cursor: ``cursor`` (JMESPath over the body) goes back in ``cursor_param``; link_header: the
    ``Link: <...>; rel="next"`` URL; next_url: ``next`` (JMESPath) is the next page's URL.
    ``size_param`` carries the page size; ``total`` (JMESPath), when given, stops page and offset
    paging once that many records were read.
    """

    type: str = "none"
    size_param: str = ""
    page_param: str = ""
    start: int = 1
    offset_param: str = ""
    cursor_param: str = ""
    cursor: ParsedResult | None = None
    next: ParsedResult | None = None
    total: ParsedResult | None = None


@dataclass(frozen=True)
class Incremental:
    """The filter that asks for records changed since a time: ``param`` = the time in ``format``.

    ``format`` is ``iso`` (ISO 8601 with offset), ``epoch`` (seconds) or a strftime pattern (in UTC);
    ``params`` are sent with it (e.g. Magento's filter field and condition).
    """

    param: str
    format: str = "iso"
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Refs:
    """The filter that asks for named records: ``param`` = their natural keys joined by ``separator``."""

    param: str
    separator: str = ","
    params: dict[str, str] = field(default_factory=dict)
    #: Keys per request: they travel in the URL.
    per_request: int = 50


@dataclass(frozen=True)
class Listing:
    path: str
    records: ParsedResult
    params: dict[str, str] = field(default_factory=dict)
    pagination: Pagination = Pagination()
    incremental: Incremental | None = None
    refs: Refs | None = None


@dataclass(frozen=True)
class Endpoint:
    """One write call: ``path`` may hold ``{key}`` (the record's natural key) and ``{id}`` (the found id)."""

    method: str
    path: str
    #: Where the found id also goes in the body (e.g. ``id``), besides a ``{id}`` in the path.
    id_field: str = ""


@dataclass(frozen=True)
class Lookup:
    """Finding the stored record before writing: GET ``path`` with ``params`` (``{key}`` filled in)."""

    path: str
    records: ParsedResult
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Reference:
    """Reference data an item of a nested list is matched against (a country's regions, say).

    GET ``path`` (``{field}`` placeholders are the item's fields), take its ``records``, and give the
    one whose ``match`` fields equal the item's ``value`` (case-insensitive), or null. Each path is
    read once per connection.
    """

    path: str
    records: ParsedResult
    match: tuple[str, ...]
    #: JMESPath over the item: what is looked for; nothing is read when it is empty.
    value: ParsedResult


@dataclass(frozen=True)
class Stored:
    """On update, the items that equal one of the found record's own on ``match`` keep its ``keep`` fields.

    APIs that replace a nested list whole (Magento's customer addresses) delete the stored items
    the request leaves out and create those without an id: kept ids make a repeated load change nothing.
    """

    #: JMESPath over the found record: its list of the same items.
    path: ParsedResult
    match: tuple[str, ...]
    keep: tuple[str, ...] = ("id",)
    #: Set on kept items to the found record's id (Magento's ``customer_id``); empty: not set.
    parent_id: str = ""


@dataclass(frozen=True)
class NestedList:
    """``body[name]``: one object per element of ``items``, each built by its own ``body``."""

    name: str
    #: JMESPath over ``{key, data, native}``: the source list; null leaves ``body[name]`` out.
    items: ParsedResult
    #: JMESPath over ``{item, refs}`` building one element; None: the item as it is.
    body: ParsedResult | None = None
    references: dict[str, Reference] = field(default_factory=dict)
    stored: Stored | None = None


@dataclass(frozen=True)
class Loading:
    """How records are written: one ``upsert`` call, or ``create``/``update`` after a ``lookup``."""

    #: JMESPath over ``{key, data, native}`` building the body; None: data with native laid over it.
    body: ParsedResult | None = None
    #: The body goes under this key (``{"customer": {...}}``); empty: as it is.
    wrap: str = ""
    upsert: Endpoint | None = None
    create: Endpoint | None = None
    update: Endpoint | None = None
    lookup: Lookup | None = None
    #: Lists of sub-objects added to the body (a customer's addresses).
    lists: tuple[NestedList, ...] = ()


@dataclass(frozen=True)
class EntitySpec:
    name: str
    #: JMESPath to the record's own id (ties at the cursor, ``{id}`` of updates).
    id: ParsedResult
    #: JMESPath to the record's change time (the incremental cursor).
    updated_at: ParsedResult | None = None
    #: JMESPath to the record's natural key (what runs by reference name): records are filtered by it.
    key: ParsedResult | None = None
    listing: Listing | None = None
    loading: Loading | None = None


@dataclass(frozen=True)
class Limits:
    #: Requests in flight to one account, all workers together (``CONCURRENCY`` overrides it).
    concurrency: int = 4
    #: At most ``requests`` per ``window_s`` seconds, all workers together; 0: no such limit.
    requests: int = 0
    window_s: int = 1
    read_retries: int = 3
    read_backoff_ms: int = 500


@dataclass(frozen=True)
class ErrorsSpec:
    #: JMESPath to the readable message of an error body; None: the HTTP reason.
    message: ParsedResult | None = None
    retryable: tuple[int, ...] = DEFAULT_RETRYABLE


@dataclass(frozen=True)
class SystemSpec:
    name: str
    path: Path
    base_url: str
    auth: AuthSpec
    entities: dict[str, EntitySpec]
    limits: Limits = Limits()
    errors: ErrorsSpec = ErrorsSpec()
    description: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    #: Record fields removed when responses are recorded as fixtures (personal data), by default.
    personal_data: tuple[str, ...] = ()
