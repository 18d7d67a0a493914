"""Replaying recorded cassettes in tests: a source answers as it did when it was recorded, without the network.

``connector record`` (``pipeline.systems.recording``) writes the cassettes. ``Replayer`` is the
transport tests mount instead of the network: it answers each request with the recorded response of
the same method, path and query (secret parameters ignored), and refuses anything that was not
recorded, naming it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import requests
from requests.adapters import BaseAdapter

from pipeline.systems.http import make_session
from pipeline.systems.recording import RECORDED_ORIGIN, request_key, without_secret_params

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
        self.replayed = 0

    def send(self, request, *args, **kwargs):
        wanted = (request.method, request_key(request.url or "", self.ignored))
        for interaction in self.interactions:
            if (interaction["method"], request_key(interaction["url"], self.ignored)) == wanted:
                self.replayed += 1
                return _response(request, interaction)
        raise NotRecordedError(f"Not recorded: {request.method} "
                                       f"{without_secret_params(request.url or '', self.ignored)}"
                                       " (record the source again with `connector record`).")

    def close(self) -> None:
        pass


def replay_session(cassette_path: Path) -> requests.Session:
    """A session whose requests to ``http://recorded.invalid`` are answered from the cassette."""
    session = make_session()
    session.mount(RECORDED_ORIGIN, Replayer(json.loads(Path(cassette_path).read_text(encoding="utf-8"))))
    return session


def _response(request: requests.PreparedRequest, interaction: Mapping) -> requests.Response:
    response = requests.Response()
    response.status_code = interaction["status"]
    response.headers.update(interaction.get("headers") or {})
    body = interaction.get("body")
    response._content = b"" if body is None else json.dumps(body).encode()
    response.url, response.request, response.reason = request.url, request, "Recorded"
    return response


def replay_declared(name: str, connection: str, cassette_path: Path, mappings_dir: Path):
    """The declared system ``name`` answering from a cassette: its extract runs as when it was recorded.

    Connection variables come from the cassette (``variables``; secret ones are stand-ins).
    """
    from pipeline.systems.declarative import DeclaredSystem, declared_spec, systems_dir

    spec = declared_spec(name, systems_dir(mappings_dir))
    if spec is None:
        raise FileNotFoundError(f"No system file {name}.yaml in {systems_dir(mappings_dir)}.")
    cassette = json.loads(Path(cassette_path).read_text(encoding="utf-8"))
    prefix = f"PIPELINE_{connection.upper()}_"
    environ = {"PIPELINE_BROKER_URL": "stub://", **{prefix + k: v for k, v in cassette["variables"].items()}}
    # No retries: a request that was not recorded fails at once, naming itself.
    environ[prefix + "READ_RETRIES"] = "0"
    return DeclaredSystem.build(spec, connection, environ, session=replay_session(cassette_path))

__all__ = ["NotRecordedError", "RECORDED_ORIGIN", "Replayer", "replay_declared", "replay_session"]
