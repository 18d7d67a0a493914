"""The entry point of workers and the scheduler: ``dramatiq pipeline.actors``, ``periodiq pipeline.actors``.

Nothing else: build the application from the environment (a worker refuses to start on an invalid
mapping file, naming it), set up the worker's logging with secrets masked, make the app's broker
Dramatiq's global one (both command lines look for it there), decode with orjson (see
``pipeline.flow.encoding``) and declare the actors on the broker. The
command line and the web page build their own ``App`` and never import this module.
"""

from __future__ import annotations

import logging

import dramatiq

from pipeline.app import App
from pipeline.errors import ConfigError
from pipeline.flow.encoding import OrjsonEncoder
from pipeline.logs import configure_logging

try:
    app = App.from_env()
except ConfigError as error:
    # Refuse to start, saying which file and field is wrong, instead of a traceback through dramatiq's CLI.
    raise SystemExit(f"Refusing to start: {error}") from None

configure_logging(level=getattr(logging, app.settings.log_level, logging.INFO),
                  json_output=app.settings.log_json, secrets=app.secrets)
dramatiq.set_broker(app.broker)
# What the workers receive is decoded with Dramatiq's process-wide encoder: this process is ours.
dramatiq.set_encoder(OrjsonEncoder())
app.declare_actors()
