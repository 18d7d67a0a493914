"""The exact request a target's load would send for one record, built by the load itself and not sent.

``connector preview --request`` maps a sample and hands each record to the target system's own
``load``, within ``systems.http.capture_changes()``: the loader looks records up as it would (reads
go out: a customer found by email is updated, not created), builds and signs its first change, and
is stopped there. So there is no second payload builder to drift from the real one. What is shown
is redacted: secret-named headers masked whole, known secret values and secret-shaped text masked
everywhere else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from pipeline.errors import ConfigError
from pipeline.redaction import MASK, redact, redact_url
from pipeline.systems.base import LoadItem
from pipeline.systems.http import CapturedRequest, RequestCaptured, capture_changes

#: Headers whose whole value is a credential.
SECRET_HEADER = re.compile(r"(authorization|token|api[-_]?key|secret|cookie|signature)", re.IGNORECASE)


@dataclass(frozen=True)
class RequestPreview:
    """What a load would do with one record: its first change (None: it would change nothing), the
    reads it made to decide, or the error it would fail with."""

    request: dict | None
    reads: list[str]
    error: str | None = None


def preview_request(system, entity: str, item: LoadItem, secrets: Iterable[str] = ()) -> RequestPreview:
    """Run ``system``'s load of ``item`` up to its first change: that change, redacted, and the reads before.

    Raises:
        ConfigError: the system's loads do not go through the shared HTTP client (XML-RPC, files).
    """
    if not getattr(system, "http_loads", False):
        raise ConfigError(f"System {system.name!r} does not load over the shared HTTP client, so its "
                          "requests cannot be previewed (--request supports magento2, netsuite, mailchimp, "
                          "rest and systems declared in systems/).")
    secrets = set(secrets)
    with capture_changes() as (changes, reads):
        try:
            outcomes = system.load(entity, [item])
        except RequestCaptured:
            outcomes = [None]
        read = list(reads)
    if changes:
        return RequestPreview(shown(changes[0], secrets), [redact(r, secrets) for r in read])
    failed = outcomes[0] if outcomes else None
    return RequestPreview(None, [redact(r, secrets) for r in read],
                          redact(f"{type(failed).__name__}: {failed}", secrets) if failed else None)


def shown(captured: CapturedRequest, secrets: set[str]) -> dict:
    """A captured request as the preview prints it: method, URL, path, headers and body, redacted."""
    url = redact(redact_url(captured.url), secrets)
    headers = {name: MASK if SECRET_HEADER.search(name) else redact(value, secrets)
               for name, value in captured.headers.items()}
    text = captured.body.decode("utf-8", errors="replace") if captured.body else None
    body: object = None
    if text is not None:
        try:
            body = json.loads(redact(text, secrets))
        except json.JSONDecodeError:
            body = redact(text, secrets)
    return {"system": captured.system, "method": captured.method, "url": url, "path": urlsplit(url).path,
            "headers": headers, "body": body}
