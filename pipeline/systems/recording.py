"""Recording a system's HTTP exchanges as a cassette (JSON), with secrets and personal data taken out.

``Recorder`` is a requests transport that passes each exchange through and keeps it; ``save``
writes the exchanges as a *cassette*:

* the request's headers are not kept at all (``Authorization`` and API key headers live there),
  and query parameters whose names look secret (``api_key``, ``token``, ``signature``...) are dropped;
* every known secret value is masked wherever it appears (an API echoing a token);
* the values of personal-data fields (``personal_data``: the system file's list plus the
  command's ``--strip``), at any depth, become stable stand-ins: the same email gives the same
  ``person3@example.com`` everywhere, so records that refer to each other still do;
* the server's origin becomes ``http://recorded.invalid``, in URLs, headers and bodies.

``pipeline.testing.recording`` replays cassettes in tests, without the network.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from requests.adapters import HTTPAdapter

from pipeline.redaction import MASK, SECRET_PARAM, redact
from pipeline.systems.http import make_session

#: Where recorded URLs point: a reserved name (RFC 6761) that never resolves.
RECORDED_ORIGIN = "http://recorded.invalid"
#: Response headers worth keeping: the ones clients page or retry by.
KEPT_HEADERS = ("Content-Type", "Link", "Retry-After")
#: Personal-data fields stripped whatever the system file says.
DEFAULT_PERSONAL_DATA = ("email", "first_name", "last_name", "firstname", "lastname", "phone", "telephone",
                         "street", "address1", "address2", "dob", "company",
                         # Not personal, but secret: tokens a token endpoint hands out.
                         "access_token", "refresh_token", "id_token")


class Recorder(HTTPAdapter):
    """Sends requests over the network and keeps every exchange."""

    def __init__(self) -> None:
        super().__init__()
        self.exchanges: list[tuple[requests.PreparedRequest, requests.Response]] = []

    def send(self, request, *args, **kwargs):
        response = super().send(request, *args, **kwargs)
        self.exchanges.append((request, response))
        return response


def recording_session() -> tuple[requests.Session, Recorder]:
    session, recorder = make_session(), Recorder()
    session.mount("http://", recorder)
    session.mount("https://", recorder)
    return session, recorder


def save(recorder: Recorder, path: Path, *, secrets: Iterable[str], scrubber: Scrubber, about: Mapping[str, object],
         secret_params: Iterable[str] = ()) -> Path:
    """Write the recorder's exchanges as a cassette at ``path``, secrets and personal data taken out.

    ``secret_params``: query parameters to drop besides the secret-looking ones (an API key's own name).
    """
    secrets = sorted({value for value in secrets if value}, key=len, reverse=True)
    dropped = tuple(secret_params)
    interactions = []
    for request, response in recorder.exchanges:
        origin = _origin(request.url or "")
        try:
            body = scrubber.scrub(response.json())
        except ValueError:
            body = None
        entry = {"method": request.method, "url": without_secret_params(request.url or "", dropped),
                 "status": response.status_code,
                 "headers": {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers},
                 "body": body}
        text = redact(json.dumps(entry, ensure_ascii=False), secrets).replace(origin, RECORDED_ORIGIN)
        interactions.append(json.loads(text))
    path.parent.mkdir(parents=True, exist_ok=True)
    about_text = json.dumps(about)
    # Only known values: the shapes redact() also masks would hide the stand-ins ("TOKEN": "recorded").
    for secret in secrets:
        about_text = about_text.replace(json.dumps(secret)[1:-1], MASK)
    about = json.loads(about_text.replace(_origin(_first_url(recorder)), RECORDED_ORIGIN))
    cassette = {**about, "ignored_params": list(dropped), "interactions": interactions}
    path.write_text(json.dumps(cassette, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _first_url(recorder: Recorder) -> str:
    return recorder.exchanges[0][0].url or "" if recorder.exchanges else ""


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


__all__ = ["DEFAULT_PERSONAL_DATA", "KEPT_HEADERS", "RECORDED_ORIGIN", "Recorder", "Scrubber", "recording_session",
           "request_key", "save", "without_secret_params"]
