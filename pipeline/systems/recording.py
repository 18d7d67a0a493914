"""Recording a system's HTTP exchanges as a cassette (JSON), with secrets and personal data taken out.

``Recorder`` is a requests transport that passes each exchange through and keeps it; systems built
inside ``pipeline.systems.http.transport(recorder)`` send through it, whichever system they are
(declared in YAML or written in Python). ``save`` writes the exchanges as a *cassette*:

* the request's headers are not kept at all (``Authorization`` and API key headers live there),
  and query parameters whose names look secret (``api_key``, ``token``, ``signature``...) are dropped;
* a request's body is kept only as a digest (``body_sha256``, after masking secrets), enough to tell
  two SuiteQL queries to the same URL apart without keeping what they say;
* an XML-RPC exchange (Magento 1) is kept as its ``call`` (method and params, secrets masked: the
  API key, the session id) and its answer's XML ``text``, personal-data members scrubbed like JSON;
* every known secret value is masked wherever it appears (an API echoing a token), including the
  credentials the client itself sent in headers (a token handed out by a login call);
* the values of personal-data fields (``personal_data``: the system's list plus the command's
  ``--strip``), at any depth, become stable stand-ins: the same email gives the same
  ``person3@example.com`` everywhere, so records that refer to each other still do;
* the server's origin becomes ``http://recorded.invalid``, in URLs, headers and bodies.

``pipeline.testing.recording`` replays cassettes in tests, without the network.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import xmlrpc.client
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from requests.adapters import HTTPAdapter

from pipeline.redaction import MASK, SECRET_NAME, SECRET_PARAM, redact

#: Where recorded URLs point: a reserved name (RFC 6761) that never resolves.
RECORDED_ORIGIN = "http://recorded.invalid"
#: What a secret variable is in a cassette (replaying needs a value, any value).
STAND_IN = "recorded-secret"
#: Response headers worth keeping: the ones clients page or retry by.
KEPT_HEADERS = ("Content-Type", "Link", "Retry-After")
#: Personal-data fields stripped whatever the system says.
DEFAULT_PERSONAL_DATA = ("email", "first_name", "last_name", "firstname", "lastname", "phone", "telephone",
                         "street", "address1", "address2", "dob", "company",
                         # Not personal, but secret: tokens a token endpoint hands out.
                         "access_token", "refresh_token", "id_token")
#: ``key="value"`` pairs of an ``Authorization: OAuth ...`` header.
_OAUTH_PAIR = re.compile(r'(oauth_token|oauth_consumer_key)="([^"]+)"')


class Recorder(HTTPAdapter):
    """Sends requests over the network and keeps every exchange."""

    def __init__(self) -> None:
        # Shared by every session of the system being recorded (NetSuite reads records in parallel).
        super().__init__(pool_maxsize=32)
        self.exchanges: list[tuple[requests.PreparedRequest, requests.Response]] = []

    def send(self, request, *args, **kwargs):
        response = super().send(request, *args, **kwargs)
        self.exchanges.append((request, response))
        return response

    @property
    def origin(self) -> str | None:
        """The server's origin (``scheme://host:port``), which a cassette calls ``RECORDED_ORIGIN``."""
        return _origin(self.exchanges[0][0].url or "") if self.exchanges else None

    def credentials(self) -> set[str]:
        """The secret values the client sent in headers: tokens, passwords, API keys."""
        found: set[str] = set()
        for request, _ in self.exchanges:
            for name, value in request.headers.items():
                # oauthlib's signers set bytes.
                value = value.decode("latin-1") if isinstance(value, bytes) else value
                if name.lower() == "authorization":
                    found |= _authorization_secrets(value)
                elif SECRET_PARAM.search(name):
                    found.add(value)
        return {value for value in found if len(value) >= 4}


def save(recorder: Recorder, path: Path, *, secrets: Iterable[str], scrubber: Scrubber, about: Mapping[str, object],
         ignored_params: Iterable[str] = ()) -> Path:
    """Write the recorder's exchanges as a cassette at ``path``, secrets and personal data taken out.

    ``ignored_params``: query parameters left out and not matched on replay, besides the
    secret-looking ones: an API key's own name, a bound the client takes from the clock.
    """
    secrets = sorted({value for value in [*secrets, *recorder.credentials()] if value}, key=len, reverse=True)
    dropped = tuple(ignored_params)
    interactions = []
    for request, response in recorder.exchanges:
        origin = _origin(request.url or "")
        rpc = is_xmlrpc(request)
        entry = {"method": request.method, "url": without_secret_params(request.url or "", dropped),
                 **({"call": xmlrpc_call(request.body, secrets)} if rpc else {}),
                 "status": response.status_code,
                 "headers": {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}}
        if rpc:
            entry["text"] = _scrubbed_xmlrpc(response.text, scrubber)
        else:
            try:
                entry["body"] = scrubber.scrub(response.json())
            except ValueError:
                entry["body"] = None
        text = redact(json.dumps(entry, ensure_ascii=False), secrets).replace(origin, RECORDED_ORIGIN)
        interaction = json.loads(text)
        if request.body and not rpc:
            interaction["body_sha256"] = body_digest(request.body, secrets)
        interactions.append(interaction)
    path.parent.mkdir(parents=True, exist_ok=True)
    about_text = json.dumps(about)
    # Only known values: the shapes redact() also masks would hide the stand-ins ("TOKEN": "recorded").
    for secret in secrets:
        about_text = about_text.replace(json.dumps(secret)[1:-1], MASK)
    about = json.loads(about_text.replace(recorder.origin or RECORDED_ORIGIN, RECORDED_ORIGIN))
    cassette = {**about, "ignored_params": list(dropped), "interactions": interactions}
    path.write_text(json.dumps(cassette, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def body_digest(body: bytes | str, secrets: Iterable[str]) -> str:
    """The digest a request body is matched by: secrets masked first, so a replay with stand-ins matches."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return hashlib.sha256(redact(text, secrets).encode()).hexdigest()


def is_xmlrpc(request: requests.PreparedRequest) -> bool:
    """An XML-RPC call (Magento 1's): a POST of ``text/xml``."""
    kind = request.headers.get("Content-Type") or ""
    # oauthlib's signers (NetSuite) set bytes.
    kind = kind.decode("latin-1") if isinstance(kind, bytes) else kind
    return request.method == "POST" and kind.startswith("text/xml")


def xmlrpc_call(body: bytes | str, secrets: Iterable[str]) -> dict:
    """An XML-RPC request as a cassette keeps it and a replay matches it: its method and params, secrets masked.

    >>> xmlrpc_call(xmlrpc.client.dumps(("s3ss10n", "customer.list", [{"updated_at": {"from": "a"}}]), "call"),
    ...             ["s3ss10n"])
    {'method': 'call', 'params': ['***', 'customer.list', [{'updated_at': {'from': 'a'}}]]}
    """
    params, method = xmlrpc.client.loads(body)
    # str(): an XML-RPC dateTime or base64 value has no JSON form; Magento 1 sends neither.
    return json.loads(redact(json.dumps({"method": method, "params": list(params)}, default=str), secrets))


def _scrubbed_xmlrpc(text: str, scrubber: Scrubber) -> str:
    """An XML-RPC answer with its personal-data members replaced (a fault is kept as it is)."""
    try:
        params, _ = xmlrpc.client.loads(text)
    except xmlrpc.client.Fault:
        return text
    return xmlrpc.client.dumps(tuple(scrubber.scrub(list(params))), methodresponse=True, allow_none=True)


def connection_variables(connection: str, environ: Mapping[str, str], secret: Iterable[str] = ()) -> dict[str, str]:
    """The connection's ``PIPELINE_<CONNECTION>_*`` variables for a replay: secret ones as stand-ins.

    Secret: names that say so, and ``secret`` (short names a system file's auth uses as secrets).
    A Mailchimp key keeps its ``-<data center>`` tail: the client derives its host from it.
    """
    prefix = f"PIPELINE_{connection.upper()}_"
    secret = set(secret)
    kept = {}
    for name, value in sorted(environ.items()):
        if not name.startswith(prefix):
            continue
        short = name[len(prefix):]
        if SECRET_NAME.search(short) or short in secret:
            tail = re.search(r"-[a-z]+\d+$", value)
            # One hyphen only: Mailchimp's clients split the key in exactly two parts.
            value = STAND_IN.replace("-", "") + tail.group(0) if tail else STAND_IN
        kept[short] = value
    return kept


def _authorization_secrets(value: str) -> set[str]:
    scheme, _, credential = value.partition(" ")
    if scheme.lower() == "basic":
        try:
            user_password = base64.b64decode(credential, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return {credential}
        return {credential, user_password.partition(":")[2]}
    if scheme.lower() == "oauth":
        return {match.group(2) for match in _OAUTH_PAIR.finditer(credential)}
    return {credential.strip()}


class Scrubber:
    """Replaces personal-data values by stable stand-ins (the same value, the same stand-in)."""

    def __init__(self, fields: Iterable[str]) -> None:
        self.fields = {field.lower() for field in fields}
        self.seen: dict[str, str] = {}

    def scrub(self, value: object, field: str = "") -> object:
        if isinstance(value, dict):
            return {key: self.scrub(inner, key) for key, inner in value.items()}
        if isinstance(value, list):
            return [self.scrub(inner, field) for inner in value]
        if isinstance(value, str) and value and field.lower() in self.fields:
            return self._stand_in(value, field)
        return value

    def _stand_in(self, value: str, field: str) -> str:
        if "\n" in value:
            # Line by line: Magento 1's "street" is one text that its system splits into lines.
            return "\n".join(self._stand_in(line, field) if line.strip() else line for line in value.split("\n"))
        if value not in self.seen:
            n = len(self.seen) + 1
            # Still valid where validated: an email stays an email, a date a date.
            if "@" in value:
                self.seen[value] = f"person{n}@example.com"
            elif field.lower() == "dob":
                self.seen[value] = "1970-01-01"
            else:
                self.seen[value] = f"{field.replace('_', ' ').capitalize()} {n}"
        return self.seen[value]


def request_key(url: str, ignored: tuple[str, ...] = ()) -> tuple[str, tuple]:
    parts = urlsplit(url)
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if not SECRET_PARAM.search(k) and k not in ignored)
    return parts.path, tuple(query)


def without_secret_params(url: str, dropped: tuple[str, ...] = ()) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not SECRET_PARAM.search(k) and k not in dropped]
    return parts._replace(query=urlencode(query, safe="[]*:"), fragment="").geturl()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


__all__ = ["DEFAULT_PERSONAL_DATA", "KEPT_HEADERS", "RECORDED_ORIGIN", "STAND_IN", "Recorder", "Scrubber",
           "body_digest", "connection_variables", "is_xmlrpc", "request_key", "save", "without_secret_params", "xmlrpc_call"]
