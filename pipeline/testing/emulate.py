"""``connector emulate``: the vendor emulators of ``pipeline.testing`` as long-running servers.

Each runs on a fixed port (``--port-base`` plus its offset), optionally with demo data, and the
connection variables of every mapping that uses it go to an env file, so that workers, the
scheduler and the command line can be pointed at them with ``set -a; . ./.env.emulators; set +a``.
The file holds connection variables only: never a broker URL, so commands keep the real broker.

The command lives with the emulators (the top layer, which production code never imports) and
joins ``connector`` through the ``pipeline_connectors.commands`` entry point (pyproject.toml).
"""

from __future__ import annotations

import shlex
import signal
import threading
from pathlib import Path

import click

from pipeline.cli.exits import USAGE, Exit
from pipeline.mapping import load_mappings
from pipeline.settings import Settings
from pipeline.testing.demo import SEEDS
from pipeline.testing.magento1 import Magento1Emulator
from pipeline.testing.magento2 import Magento2Emulator
from pipeline.testing.mailchimp import MailchimpEmulator
from pipeline.testing.netsuite import NetSuiteEmulator

#: System -> offset from --port-base. Fixed, so that an env file stays right across restarts.
PORTS = {"magento2": 0, "netsuite": 1, "mailchimp": 2, "magento1": 3}
#: The port of the first emulator unless told otherwise.
DEFAULT_PORT_BASE = 8901


def _emulator(system: str):
    return {"magento1": Magento1Emulator, "magento2": Magento2Emulator, "mailchimp": MailchimpEmulator,
            "netsuite": NetSuiteEmulator}[system]()


def connections_by_system(mappings_dir: Path) -> dict[str, list[str]]:
    """Every connection the mapping files name, per system (sorted)."""
    found: dict[str, set[str]] = {}
    for spec in load_mappings(mappings_dir).values():
        for end in (spec.source, spec.target):
            found.setdefault(end.system, set()).add(end.connection)
    return {system: sorted(names) for system, names in found.items()}


def env_file_text(path: Path, environ: dict[str, str], systems: dict[str, str]) -> str:
    lines = ["# Written by `connector emulate`: the connection variables of the emulators below.",
             f"# Load them into a shell with:  set -a; . {_sourceable(path)}; set +a",
             *(f"# {system}: {url}" for system, url in systems.items()),
             *(f"{name}={shlex.quote(value)}" for name, value in sorted(environ.items()))]
    return "\n".join(lines) + "\n"


def _sourceable(path: Path) -> str:
    # `.` searches PATH for a bare name: a relative file needs its ./
    return shlex.quote(str(path) if path.is_absolute() else f"./{path}")


@click.command()
@click.argument("systems", nargs=-1, type=click.Choice(sorted(PORTS)))
@click.option("--seed", type=click.Choice(["demo", "none"]), default="demo", show_default=True,
              help="demo: a few records in each system (one of them invalid on purpose); none: empty.")
@click.option("--port-base", default=DEFAULT_PORT_BASE, show_default=True,
              help="Port of magento2; netsuite, mailchimp, magento1 follow (+1, +2, +3). 0: any free ports.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--env-file", type=click.Path(dir_okay=False, path_type=Path), default=Path(".env.emulators"),
              show_default=True, help="Where to write the connection variables of the mapping files.")
def emulate(systems: tuple[str, ...], seed: str, port_base: int, host: str, env_file: Path) -> None:
    """Serve vendor emulators (all four by default) until Ctrl-C, for trying integrations end to end."""
    connections = connections_by_system(Settings.from_env().mappings_dir)
    chosen = systems or tuple(sorted(PORTS, key=PORTS.get))
    running, environ, urls = [], {}, {}
    stop = threading.Event()
    try:
        for system in chosen:
            emulator = _emulator(system)
            if seed == "demo":
                SEEDS[system](emulator)
            try:
                emulator.start(port=port_base + PORTS[system] if port_base else 0, host=host)
            except OSError as error:
                raise Exit(f"Cannot start the {system} emulator on {host}:{port_base + PORTS[system]}: "
                           f"{error.strerror}. Stop what listens there, or choose another --port-base.",
                           USAGE) from None
            running.append(emulator)
            urls[system] = emulator.url
            for connection in connections.get(system, []):
                environ.update(emulator.environ(connection))
        env_file.write_text(env_file_text(env_file, environ, urls))
        for system, url in urls.items():
            names = ", ".join(connections.get(system, [])) or "no mapping uses it"
            click.echo(f"{system:10} {url}  (connections: {names})")
        click.echo(f"Connection variables written to {env_file}; load them with: "
                   f"set -a; . {_sourceable(env_file)}; set +a")
        click.echo("Serving until Ctrl-C.")
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        while not stop.wait(0.5):
            pass
    finally:
        for emulator in running:
            emulator.stop()
