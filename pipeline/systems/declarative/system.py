"""A system described in YAML: the protocol of ``pipeline.systems.base.System`` over a SystemSpec."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from urllib.parse import urlsplit

import requests

from pipeline.errors import ConfigError, UnknownNameError
from pipeline.redaction import SECRET_NAME
from pipeline.systems.base import LoadItem, Page, load_each
from pipeline.systems.concurrency import concurrency_budget
from pipeline.systems.connection import ConnectionVars
from pipeline.systems.declarative import extract, load
from pipeline.systems.declarative.auth import make_signer
from pipeline.systems.declarative.client import DeclaredClient
from pipeline.systems.declarative.limits import both, window_budget
from pipeline.systems.declarative.nested import References
from pipeline.systems.declarative.spec import SystemSpec
from pipeline.systems.declarative.templates import fill, variables
from pipeline.systems.http import HttpClient, make_session
from pipeline.systems.read_retries import ReadRetries


#: Auth values that are secrets (a client id or user name is not, and masking it would garble messages).
SECRET_AUTH_VALUES = frozenset({"value", "password", "token", "client_secret", "consumer_secret", "token_secret"})


class DeclaredSystem:
    """One connection to a system described by a system file.

    Args:
        spec: the loaded system file.
        client: its HTTP calls, with the connection's values filled in.
    """

    #: Its loads send their requests through ``systems.http.HttpClient``: ``preview --request`` can show them.
    http_loads = True

    def __init__(self, spec: SystemSpec, client: DeclaredClient, concurrency: int = 1) -> None:
        self.spec, self.client = spec, client
        self.name = spec.name
        self.references = References(client)
        # A page's records load on these threads, as many as the account's budget has slots
        # (``load_each``): one at a time, a run's last pages would leave the other slots idle.
        self._load_pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix=f"{spec.name}-load")

    @classmethod
    def build(cls, spec: SystemSpec, connection: str, environ: Mapping[str, str], *,
              session: requests.Session | None = None) -> DeclaredSystem:
        """The system for ``connection``: its ``PIPELINE_<CONNECTION>_*`` variables fill the file's placeholders.

        Raises:
            ConfigError: naming every variable the file needs that is not set.
        """
        reader = ConnectionVars(connection, environ)
        needed = variables(spec.base_url) | {v for text in spec.headers.values() for v in variables(text)}
        needed |= {v for text in [*spec.auth.values.values(), spec.auth.token_url] for v in variables(text)}
        values = {name: reader.required(name) for name in sorted(needed)}
        limits = spec.limits
        # The file's limits are defaults; a connection may need its own (another plan, a sandbox).
        concurrency = reader.integer("CONCURRENCY", limits.concurrency, minimum=1)
        reads = ReadRetries(retries=reader.integer("READ_RETRIES", limits.read_retries, minimum=0),
                            backoff_s=reader.integer("READ_BACKOFF_MS", limits.read_backoff_ms, minimum=0) / 1000)
        reader.check(f"{spec.name} ({spec.path})")
        base_url = fill(spec.base_url, values)
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise ConfigError(f"The base URL of {spec.name} connection {connection!r} must start with http:// or "
                              f"https:// (base_url in {spec.path}).")
        auth_values = {name: fill(text, values) for name, text in spec.auth.values.items()}
        # Masked in every message: the secret auth values, and variables whose names say secret.
        secrets = [value for name, value in auth_values.items() if name in SECRET_AUTH_VALUES]
        secrets += [value for name, value in values.items() if SECRET_NAME.search(name)]
        limiter = _limiter(spec, base_url, concurrency, environ)
        token_http = None
        if spec.auth.type == "oauth2_client_credentials":
            token_http = HttpClient(f"{spec.name}:token", fill(spec.auth.token_url, values),
                                    parse_message=lambda response: response.reason or "error", limiter=limiter)
        client = DeclaredClient(spec.name, base_url, errors=spec.errors,
                                signer=make_signer(spec.auth, auth_values, token_http), secrets=secrets,
                                headers={name: fill(text, values) for name, text in spec.headers.items()},
                                reads=reads,
                                limiter=limiter,
                                # As many connections as requests may be in flight from this process.
                                session=session or make_session(pool_size=concurrency))
        return cls(spec, client, concurrency)

    def extract(self, entity: str, *, since: str | None, refs: Sequence[str] | None,
                page_size: int) -> Iterator[Page]:
        spec = self._entity(entity, "list")
        return extract.extract(self.client, spec, since=since, refs=refs, page_size=page_size)

    def load(self, entity: str, items: Sequence[LoadItem]) -> list[Exception | None]:
        spec = self._entity(entity, "load")
        return load_each(lambda item: load.load_one(self.client, spec, item, self.references), items,
                         pool=self._load_pool)

    def _entity(self, entity: str, what: str):
        found = self.spec.entities.get(entity)
        able = [name for name, one in self.spec.entities.items()
                if (one.listing if what == "list" else one.loading) is not None]
        if found is None or entity not in able:
            raise UnknownNameError(f"{self.name} entity to {'extract' if what == 'list' else 'load'}", entity, able,
                                   where=str(self.spec.path))
        return found


def _limiter(spec: SystemSpec, base_url: str, concurrency: int,
             environ: Mapping[str, str]) -> Callable[[], AbstractContextManager]:
    # One budget per account (host and port, never user:password@), whichever connection names it.
    parts = urlsplit(base_url)
    account = f"{spec.name}:{parts.hostname}:{parts.port}" if parts.port else f"{spec.name}:{parts.hostname}"
    window = (window_budget(account, spec.limits.requests, spec.limits.window_s, environ)
              if spec.limits.requests else None)
    # The window first: a request waiting for the next window must not hold a concurrency slot.
    return both(window, concurrency_budget(account, concurrency, environ))
