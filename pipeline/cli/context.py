"""What the commands share: the actors module (it builds broker and books) and output helpers."""

from __future__ import annotations

import importlib
import json
import os
import time

import click

from pipeline.settings import EMBEDDED_BROKER_URL


def actors(embedded: bool = False):
    """Import the actors module (it builds the broker); ``embedded`` selects the in-process one first."""
    if embedded:
        os.environ["PIPELINE_BROKER_URL"] = EMBEDDED_BROKER_URL
    return importlib.import_module("pipeline.actors")


def when(timestamp: float | str | None) -> str:
    if timestamp in (None, ""):
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(timestamp)))


def echo_json(value: object) -> None:
    click.echo(json.dumps(value, indent=2, default=str, sort_keys=True))
