"""``connector record``: a source's real responses saved as fixtures, secrets and personal data taken out."""

from __future__ import annotations

import datetime as dt
import json
from itertools import islice

import click

from pipeline.flow.integrations import discover, get_integration
from pipeline.redaction import redact, secret_values
from pipeline.settings import Settings
from pipeline.systems import build_system
from pipeline.systems.declarative import declared_spec, systems_dir
from pipeline.systems.declarative.templates import variables
from pipeline.systems.http import transport
from pipeline.mapping.golden import PENDING
from pipeline.systems.recording import (DEFAULT_PERSONAL_DATA, RECORDED_ORIGIN, Recorder, Scrubber,
                                        connection_variables, save)


@click.command()
@click.argument("integration")
@click.option("--records", "count", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="How many source records to record.")
@click.option("--golden", is_flag=True, help="Also make the records the integration's golden sample "
                                             "(tests/fixtures/<integration>/input.json, results pending review).")
@click.option("--strip", multiple=True, help="A personal-data field to replace (repeatable), besides the "
                                             "system's personal_data and the usual ones (email, names, ...).")
def record(integration: str, count: int, golden: bool, strip: tuple[str, ...]) -> None:
    """Record INTEGRATION's source: its first records and its HTTP exchanges, replayable by tests, in
    tests/fixtures/recorded/<system>/."""
    settings = Settings.from_env()
    ref = get_integration(discover(settings.mappings_dir, settings.environ), integration).spec.source
    declared = declared_spec(ref.system, systems_dir(settings.mappings_dir))
    # Every session the source makes while being built sends through the recorder, whichever system it is.
    with transport(Recorder()) as recorder:
        source = build_system(ref.system, ref.connection, settings.environ)
    system_personal = declared.personal_data if declared else getattr(source, "personal_data", ())
    personal = [*DEFAULT_PERSONAL_DATA, *system_personal, *strip]
    scrubber = Scrubber(personal)
    records: list[dict] = []
    for page in islice(source.extract(ref.entity, since=None, refs=None, page_size=count), 1000):
        records += page.records
        if len(records) >= count:
            break
    folder = settings.mappings_dir.absolute().parent / "tests" / "fixtures" / "recorded" / ref.system
    folder.mkdir(parents=True, exist_ok=True)
    client_secrets = getattr(getattr(source, "client", None), "secrets", None) or set()
    secrets = secret_values(settings.environ) | client_secrets | recorder.credentials()
    if recorder.exchanges:  # a files or memory source has none
        about = {"system": ref.system, "entity": ref.entity, "integration": integration,
                 "recorded_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                 "variables": {**connection_variables(ref.connection, settings.environ,
                                                      _secret_auth_variables(declared)),
                               # e.g. where a Magento 1 pull stopped: the replay's clock says later.
                               **getattr(source, "recording_variables", dict)()}}
        cassette = save(recorder, folder / f"{ref.entity}.http.json", secrets=secrets, scrubber=scrubber,
                        about=about, ignored_params=_ignored_params(declared, source))
        click.echo(f"wrote {cassette} ({len(recorder.exchanges)} exchanges)")
    kept_text = redact(json.dumps([scrubber.scrub(r) for r in records[:count]]), secrets)
    if recorder.origin:  # records carrying links (NetSuite's) point where the cassette does
        kept_text = kept_text.replace(recorder.origin, RECORDED_ORIGIN)
    kept = json.loads(kept_text)
    text = json.dumps(kept, indent=2, ensure_ascii=False) + "\n"
    (folder / f"{ref.entity}.json").write_text(text, encoding="utf-8")
    click.echo(f"wrote {folder / (ref.entity + '.json')} ({len(kept)} records; stripped: "
               f"{', '.join(sorted(set(personal)))})")
    if golden:
        fixture = folder.parent.parent / integration
        fixture.mkdir(parents=True, exist_ok=True)
        (fixture / "input.json").write_text(text, encoding="utf-8")
        pending = [{PENDING: "Review the results, then accept them with pytest --golden-accept."}] * len(kept)
        (fixture / "expected.json").write_text(json.dumps(pending, indent=2) + "\n", encoding="utf-8")
        click.echo(f"wrote {fixture / 'input.json'} and pending {fixture / 'expected.json'}")


def _ignored_params(declared, source) -> list[str]:
    """Query parameters a replay does not match on: a declared API key's name, a Python system's clock bounds."""
    if declared is not None:
        return [declared.auth.name] if declared.auth.type == "api_key" and declared.auth.location == "query" else []
    return list(getattr(source, "clock_params", ()))


def _secret_auth_variables(declared) -> set[str]:
    """The variables a system file's auth uses as secrets, whatever their names (a client id is no secret)."""
    if declared is None:
        return set()
    return {name for key, text in declared.auth.values.items() for name in variables(text)
            if key not in ("client_id", "username", "consumer_key")}


COMMANDS = (record,)
