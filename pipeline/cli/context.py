"""What the commands share: the application they work on, and output helpers."""

from __future__ import annotations

import json
import os
import time

import click

from pipeline.app import App
from pipeline.settings import EMBEDDED_BROKER_URL


def build_app(embedded: bool = False) -> App:
    """The application of this process's environment; ``embedded`` runs it on the in-process broker.

    Only the embedded mode declares the workers' actors (its worker runs in this process); otherwise
    commands send messages to the workers by name.
    """
    environ = dict(os.environ)
    if embedded:
        environ["PIPELINE_BROKER_URL"] = EMBEDDED_BROKER_URL
    app = App.from_env(environ)
    if embedded:
        app.declare_actors()
    return app


def when(timestamp: float | str | None) -> str:
    if timestamp in (None, ""):
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(timestamp)))


def echo_json(value: object) -> None:
    click.echo(json.dumps(value, indent=2, default=str, sort_keys=True))
