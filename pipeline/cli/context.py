"""What the commands share: the actors module (it builds broker and books) and output helpers."""

from __future__ import annotations

import importlib
import json
import logging
import os
from datetime import datetime, timezone

import click

from pipeline.cli.exits import USAGE, Exit
from pipeline.settings import EMBEDDED_BROKER_URL

#: How many -v the command got (set by the group before any command runs).
VERBOSITY = 0


def log_level() -> int:
    # Without -v only critical records (a bug in an after-hook): a failed record is in the summary already.
    return [logging.CRITICAL, logging.INFO, logging.DEBUG][min(VERBOSITY, 2)]


def actors(embedded: bool = False):
    """Import the actors module (it builds the broker); ``embedded`` selects the in-process one first."""
    if embedded:
        os.environ["PIPELINE_BROKER_URL"] = EMBEDDED_BROKER_URL
    try:
        module = importlib.import_module("pipeline.actors")
    except SystemExit as refused:
        # The module refuses to start on bad settings or mapping files, naming them: a configuration error.
        if isinstance(refused.code, str):
            raise Exit(refused.code.removeprefix("Refusing to start: "), USAGE) from None
        raise
    # The worker module configures logging for workers; a command prints only its own output.
    logging.getLogger().setLevel(log_level())
    return module


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
