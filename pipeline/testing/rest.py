"""An emulator of the generic JSON REST system (``pipeline.systems.rest``), with per-record faults."""

from __future__ import annotations

import itertools
import threading
import time
from collections import defaultdict
from urllib.parse import unquote

from pipeline.testing.fixtures import emulator_fixture
from pipeline.testing.server import Emulator, Faults, Request, Response, route


class Hold:
    """A PUT held by the emulator (a slow vendor, on cue): ``arrived`` once it came, answered at release."""

    def __init__(self) -> None:
        self.arrived, self._released = threading.Event(), threading.Event()

    def release(self) -> None:
        self._released.set()

    def wait(self, timeout_s: float = 120) -> None:
        self.arrived.set()
        self._released.wait(timeout_s)


class RestEmulator(Emulator):
    """Records by entity and key; ``writes`` counts PUTs per key; ``fail_next`` scripts a key's answers;
    ``hold`` keeps a key's PUT waiting; ``refuse_lists_after`` answers list requests with an error."""

    def __init__(self, *, token: str = "test-token", faults: Faults | None = None) -> None:
        super().__init__(faults=faults)
        self.token = token
        self.records: dict[str, dict[str, dict]] = defaultdict(dict)
        self.writes: dict[tuple[str, str], int] = defaultdict(int)
        self.attempts: dict[tuple[str, str], list[float]] = defaultdict(list)
        #: (entity, key) -> list of (status, retry_after or None) answered to its next PUTs.
        self.scripted: dict[tuple[str, str], list[tuple[int, int | None]]] = {}
        self.holds: dict[tuple[str, str], Hold] = {}
        #: entity -> (list requests answered as usual, status answered to the later ones)
        self.list_limits: dict[str, tuple[int, int]] = {}
        self._lists: dict[str, int] = defaultdict(int)
        self._ids = itertools.count(1)

    def seed(self, entity: str, records: list[dict]) -> None:
        """Source records to extract; each gets an id and updated_at unless it has them."""
        with self.lock:
            for record in records:
                record.setdefault("id", next(self._ids))
                record.setdefault("updated_at", "2026-11-01T00:00:00+00:00")
                self.records[entity][str(record["id"])] = record

    def fail_next(self, entity: str, key: str, status: int, times: int = 1, retry_after: int | None = None) -> None:
        with self.lock:
            self.scripted.setdefault((entity, key), []).extend([(status, retry_after)] * times)

    def hold(self, entity: str, key: str) -> Hold:
        """Keep the next PUT of ``key`` waiting until the returned hold is released."""
        with self.lock:
            found = self.holds[(entity, key)] = Hold()
        return found

    def refuse_lists_after(self, entity: str, count: int, status: int) -> None:
        """Answer ``status`` to list requests of ``entity`` after the next ``count`` ones."""
        with self.lock:
            self.list_limits[entity], self._lists[entity] = (count, status), 0

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.token}"

    @route("GET", r"/(?P<entity>\w+)")
    def list_records(self, request: Request, entity: str) -> Response:
        if not self._authorized(request):
            return Response(401, {"message": "Invalid token."})
        limit = int(request.arg("limit", "100"))
        after = (request.arg("updated_after"), request.arg("after_id"))
        with self.lock:
            self._lists[entity] += 1
            allowed, status = self.list_limits.get(entity, (None, 0))
            if allowed is not None and self._lists[entity] > allowed:
                return Response(status, {"message": f"Refused list request ({status})."})
            ordered = sorted(self.records[entity].values(), key=lambda r: (r["updated_at"], str(r["id"])))
        if after[0] is not None:
            ordered = [r for r in ordered if (r["updated_at"], str(r["id"])) > (after[0], str(after[1]))]
        return Response(200, {"records": ordered[:limit], "has_more": len(ordered) > limit})

    @route("PUT", r"/(?P<entity>\w+)/(?P<key>[^/]+)")
    def put_record(self, request: Request, entity: str, key: str) -> Response:
        if not self._authorized(request):
            return Response(401, {"message": "Invalid token."})
        key = unquote(key)
        held = self.holds.pop((entity, key), None)
        if held is not None:
            held.wait()
        with self.lock:
            self.attempts[(entity, key)].append(time.monotonic())
            scripted = self.scripted.get((entity, key))
            if scripted:
                status, retry_after = scripted.pop(0)
                headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
                return Response(status, {"message": f"Scripted failure {status}."}, headers)
            created = key not in self.records[entity]
            self.records[entity][key] = request.json()
            self.writes[(entity, key)] += 1
        return Response(201 if created else 200, {"key": key})


rest_emulator = emulator_fixture(
    "rest_emulator", RestEmulator,
    "A started RestEmulator (token ``test-token``), stopped after the test.")
