"""The library's pytest plugin, registered for any project that installs this library.

* Emulator fixtures: ``magento2_emulator``, ``netsuite_emulator``, ``mailchimp_emulator``,
  ``magento1_emulator``, ``rest_emulator``, ``shopify_emulator``: each a running emulator on
  loopback, stopped when the test ends.
* Runs: ``connector_workers`` (a factory of ``dramatiq pipeline.actors`` worker processes, stopped
  after the test); ``pipeline.testing.harness`` runs an integration (``InProcess``,
  ``run_embedded``, ``run_with_workers``) and asserts on each record's outcome (``RunResult``).
* Golden samples: ``pytest --golden-accept`` and the ``golden_accept`` fixture, for
  ``pipeline.testing.golden`` (every mapping file's sample, parametrized).

Registered through the ``pytest11`` entry point in pyproject.toml.
"""

from pathlib import Path

import pytest

from pipeline.testing.harness import Workers
from pipeline.testing.magento1 import magento1_emulator
from pipeline.testing.magento2 import magento2_emulator
from pipeline.testing.mailchimp import mailchimp_emulator
from pipeline.testing.netsuite import netsuite_emulator
from pipeline.testing.rest import rest_emulator
from pipeline.testing.shopify import shopify_emulator


def pytest_addoption(parser) -> None:
    parser.addoption("--golden-accept", action="store_true", default=False,
                     help="Write what each mapping gives for its golden sample as the expected results.")


@pytest.fixture
def golden_accept(request) -> bool:
    """Whether ``--golden-accept`` was given: golden checks record results instead of comparing."""
    return bool(request.config.getoption("--golden-accept"))


@pytest.fixture
def connector_workers(tmp_path):
    """``connector_workers(env, cwd=None)``: worker processes with ``env``, all stopped when the test ends."""
    started: list[Workers] = []

    def start(env, cwd: Path | None = None, processes: int = 1, threads: int = 2) -> Workers:
        log_dir = tmp_path / f"workers-{len(started)}"
        log_dir.mkdir()
        workers = Workers(env, log_dir, cwd)
        workers.start(processes, threads)
        started.append(workers)
        return workers

    yield start
    for workers in started:
        workers.stop()


__all__ = ["connector_workers", "golden_accept", "magento1_emulator", "magento2_emulator", "mailchimp_emulator",
           "netsuite_emulator",
           "pytest_addoption", "rest_emulator", "shopify_emulator"]
