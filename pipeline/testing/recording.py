"""Replaying recorded cassettes in tests: a source answers as it did when it was recorded, without the network.

``connector record`` (``pipeline.systems.recording``) writes the cassettes. ``Replayer`` is the
transport tests give a system instead of the network: it answers each request with the recorded
response of the same method, path, query (secret and ignored parameters left out) and body digest
(or, for an XML-RPC call, the same method and params, secrets masked),
and refuses anything that was not recorded, naming it. ``replay_system`` builds any system, declared
in YAML or written in Python, with every session it makes sending through one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import requests
from requests.adapters import BaseAdapter

from pipeline.redaction import SECRET_NAME
from pipeline.systems.http import make_session, transport
from pipeline.systems.recording import (RECORDED_ORIGIN, body_digest, is_xmlrpc, request_key, without_secret_params,
                                        xmlrpc_call)


class NotRecordedError(AssertionError):
    """A replayed test sent a request the cassette does not have (an assertion about the test, not the API)."""


class Replayer(BaseAdapter):
    """Answers requests from a cassette, never from the network.

    >>> session = requests.Session()
    >>> session.mount(RECORDED_ORIGIN, Replayer({"interactions": [
    ...     {"method": "GET", "url": RECORDED_ORIGIN + "/items?page=1", "status": 200, "headers": {},
    ...      "body": {"items": [1]}}]}))
    >>> session.get(RECORDED_ORIGIN + "/items?page=1").json()
    {'items': [1]}
    """

    def __init__(self, cassette: Mapping) -> None:
        super().__init__()
        self.interactions = list(cassette["interactions"])
        self.ignored = tuple(cassette.get("ignored_params") or ())
        # Request bodies were digested with the real secrets masked; here the stand-ins are.
        self.secrets = {value for name, value in (cassette.get("variables") or {}).items()
                        if SECRET_NAME.search(name) and value}
        self.replayed = 0

    def send(self, request, *args, **kwargs):
        call = xmlrpc_call(request.body, self.secrets) if is_xmlrpc(request) else None
        digest = body_digest(request.body, self.secrets) if request.body and call is None else None
        wanted = (request.method, request_key(request.url or "", self.ignored), digest, call)
        for interaction in self.interactions:
            if (interaction["method"], request_key(interaction["url"], self.ignored),
                    interaction.get("body_sha256"), interaction.get("call")) == wanted:
                self.replayed += 1
                return _response(request, interaction)
        what = f" {json.dumps(call['params'])[:300]}" if call is not None else " with this body" if digest else ""
        raise NotRecordedError(f"Not recorded: {request.method} "
                               f"{without_secret_params(request.url or '', self.ignored)}{what}"
                               " (record the source again with `connector record`).")

    def close(self) -> None:
        pass


def replay_session(cassette_path: Path) -> requests.Session:
    """A session whose requests are answered from the cassette."""
    with transport(Replayer(_read(cassette_path))):
        return make_session()


def replay_system(name: str, connection: str, cassette_path: Path, mappings_dir: Path):
    """The system ``name`` answering from a cassette: its extract runs as when it was recorded.

    Any system: one described in ``systems/<name>.yaml`` beside ``mappings_dir``, or one of ours
    (``magento2``, ``netsuite``, ``mailchimp``, ``magento1``). Connection variables come from the cassette
    (``variables``; secret ones are stand-ins).
    """
    from pipeline.systems import build_system

    cassette = _read(cassette_path)
    prefix = f"PIPELINE_{connection.upper()}_"
    environ = {"PIPELINE_BROKER_URL": "stub://", "PIPELINE_MAPPINGS_DIR": str(mappings_dir),
               **{prefix + k: v for k, v in cassette["variables"].items()}}
    # No retries: a request that was not recorded fails at once, naming itself.
    environ[prefix + "READ_RETRIES"] = "0"
    with transport(Replayer(cassette)):
        return build_system(name, connection, environ)


def _read(cassette_path: Path) -> dict:
    return json.loads(Path(cassette_path).read_text(encoding="utf-8"))


def _response(request: requests.PreparedRequest, interaction: Mapping) -> requests.Response:
    response = requests.Response()
    response.status_code = interaction["status"]
    response.headers.update(interaction.get("headers") or {})
    body = interaction.get("body")
    if "text" in interaction:  # an XML-RPC answer
        response._content = interaction["text"].encode()
    else:
        response._content = b"" if body is None else json.dumps(body).encode()
    response.url, response.request, response.reason = request.url, request, "Recorded"
    return response


__all__ = ["NotRecordedError", "RECORDED_ORIGIN", "Replayer", "replay_session", "replay_system"]
