"""What the commands share: the application they work on, and output helpers."""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timezone

import click

from pipeline.app import App
from pipeline.books.embedded_state import EmbeddedState
from pipeline.settings import EMBEDDED_BROKER_URL, Settings

#: How many -v the command got (set by the group before any command runs).
VERBOSITY = 0


def log_level() -> int:
    # Without -v only critical records (a bug in an after-hook): a failed record is in the summary already.
    return [logging.CRITICAL, logging.INFO, logging.DEBUG][min(VERBOSITY, 2)]


def build_app(embedded: bool = False) -> App:
    """The application of this process's environment; ``embedded`` runs it on the in-process broker.

    Only the embedded mode declares the workers' actors (its worker runs in this process); otherwise
    commands send messages to the workers by name.
    """
    if not embedded:
        return App.from_env(dict(os.environ))
    settings = Settings.from_env({**os.environ, "PIPELINE_BROKER_URL": EMBEDDED_BROKER_URL})
    # Cursors and ledger of earlier embedded runs: `changed` means what it means with Redis.
    app = App(settings, embedded_state=EmbeddedState(settings.embedded_state))
    app.declare_actors()
    return app


def when(timestamp: float | str | None) -> str:
    """A time as ISO 8601 in UTC (``2026-12-05T08:30:00Z``), or ``-``."""
    if timestamp in (None, ""):
        return "-"
    moment = datetime.fromtimestamp(float(timestamp), tz=timezone.utc)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def iso_times(value: object) -> object:
    """``value`` with every epoch number under a time key (``at``, ``failed_at``, ...) as ISO 8601."""
    if isinstance(value, dict):
        return {key: (when(item) if _is_time(key, item) else iso_times(item)) for key, item in value.items()}
    if isinstance(value, list):
        return [iso_times(item) for item in value]
    return value


def _is_time(key: object, value: object) -> bool:
    return isinstance(key, str) and (key == "at" or key.endswith("_at")) and _is_epoch(value)


def _is_epoch(value: object) -> bool:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return False
    # Epoch seconds between 2001 and 2286: not a count, not a duration.
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 1e9 <= value < 1e10


def echo_json(value: object) -> None:
    click.echo(json.dumps(iso_times(value), indent=2, default=str, sort_keys=True))
