"""``connector check``: can each integration run here? Its variables, then one cheap call per system.

Like a "test connection" button: every connection the integrations use is checked once (its
variables, then one authenticated read), and each integration is reported with the results of
its two ends. Nothing is written to any system and the command needs no Redis.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import click

from pipeline.cli.context import echo_json
from pipeline.cli.exits import FAILED, OK, USAGE
from pipeline.errors import ConfigError, PipelineError
from pipeline.flow.integrations import Integration, discover, get_integration
from pipeline.redaction import redact, secret_values
from pipeline.settings import EMBEDDED_BROKER_URL, Settings

#: Result -> exit status; the command exits with the worst of its results.
RESULTS = {"ok": OK, "failed": FAILED, "not configured": USAGE}


@dataclass(frozen=True)
class EndCheck:
    system: str
    connection: str
    #: ``ok``, ``not configured`` (a variable is missing or wrong) or ``failed`` (the call failed: the
    #: system is unreachable, or refused the credentials).
    result: str
    detail: str
    took_ms: int = 0


def check_end(integration: Integration, end: str, secrets: set[str]) -> EndCheck:
    ref = getattr(integration.spec, end)
    started = time.monotonic()
    try:
        system = getattr(integration, end)
    except ConfigError as error:
        return EndCheck(ref.system, ref.connection, "not configured", _one_line(str(error)))
    checker = getattr(system, "check", None)
    if checker is None:
        return EndCheck(ref.system, ref.connection, "ok", "nothing to reach (an in-process system)")
    try:
        detail = checker()
    except ConfigError as error:
        return EndCheck(ref.system, ref.connection, "not configured", _one_line(redact(str(error), secrets)))
    except (PipelineError, OSError) as error:
        return EndCheck(ref.system, ref.connection, "failed", _one_line(redact(str(error), secrets)))
    return EndCheck(ref.system, ref.connection, "ok", detail, int((time.monotonic() - started) * 1000))


def _one_line(text: str) -> str:
    return " ".join(text.split())


@click.command()
@click.argument("names", nargs=-1, metavar="[INTEGRATION]...")
@click.option("--json", "as_json", is_flag=True, help="Print the results as a JSON list.")
def check(names: tuple[str, ...], as_json: bool) -> None:
    """Check that integrations can run here: their connection variables, and one cheap call to each system.

    Exits 0 when every check passed, 1 when a system could not be reached or refused the
    credentials, 2 when a connection is not configured (the worst result wins).
    """
    settings = Settings.from_env()
    # One request per connection needs no shared concurrency budget: the in-process one, no Redis.
    integrations = discover(settings.mappings_dir, {**settings.environ, "PIPELINE_BROKER_URL": EMBEDDED_BROKER_URL})
    chosen = [get_integration(integrations, name) for name in names] or [integrations[n] for n in sorted(integrations)]
    secrets = secret_values(settings.environ)
    done: dict[tuple[str, str], EndCheck] = {}
    rows = []
    for integration in chosen:
        ends = {}
        for end in ("source", "target"):
            ref = getattr(integration.spec, end)
            if (ref.system, ref.connection) not in done:
                done[(ref.system, ref.connection)] = check_end(integration, end, secrets)
            ends[end] = done[(ref.system, ref.connection)]
        worst = max((e.result for e in ends.values()), key=RESULTS.get)
        rows.append({"integration": integration.name, "result": worst, **{k: asdict(v) for k, v in ends.items()}})
    if as_json:
        echo_json(rows)
    else:
        for row in rows:
            click.echo(f"{row['result']:15} {row['integration']}")
            for end in ("source", "target"):
                found = row[end]
                took = f" ({found['took_ms']} ms)" if found["took_ms"] else ""
                where = f"{found['system']}:{found['connection']}"
                click.echo(f"    {end:6} {where:30} {found['result']}: {found['detail']}{took}")
    raise SystemExit(max((RESULTS[row["result"]] for row in rows), default=OK))
