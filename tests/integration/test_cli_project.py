"""`connector init DIR`: a project of one's own, outside this repository; and the package's metadata."""

from __future__ import annotations

import shlex
import subprocess
import sys
import tomllib

from tests.conftest import ROOT
from tests.integration.conftest import run_cli


def _dotenv(path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            found[name] = shlex.split(value)[0]
    return found


def test_init_makes_a_project_that_validates_previews_and_runs(pipeline_env, tmp_path):
    project = tmp_path / "my-integrations"
    made = run_cli(pipeline_env, "init", str(project))
    files = sorted(path.relative_to(project).as_posix() for path in project.rglob("*") if path.is_file())
    env = {key: value for key, value in pipeline_env.items()
           if key not in ("PIPELINE_MAPPINGS_DIR", "PIPELINE_EMBEDDED_STATE")}
    env.update(_dotenv(project / ".env.example"))

    def connector(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], env=env, cwd=project,
                              capture_output=True, text=True, timeout=120)

    validated = connector("validate")
    previewed = connector("preview", "mappings/customers_from_csv.yaml", "inbox/customer/customers.csv")
    ran = connector("run", "customers_from_csv", "--embedded")

    assert files == [".env.example", "README.md", "inbox/customer/customers.csv", "mappings/customers_from_csv.yaml",
                     "tests/fixtures/customers_from_csv/expected.json",  # its golden sample, for the golden test
                     "tests/fixtures/customers_from_csv/input.json"]
    assert "connector run customers_from_csv --embedded" in made.stdout
    assert validated.stdout.strip() == "ok  mappings/customers_from_csv.yaml (customers_from_csv: customer_pull)"
    assert previewed.returncode == 0 and previewed.stderr == ""
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "status complete: extracted 3, loaded 3, skipped 0, failed 0." in ran.stdout
    assert list((project / "var" / "outbox" / "customer").glob("*.jsonl"))
    assert (project / "var" / "embedded-state.json").exists()  # the project's own embedded state


def test_init_refuses_a_folder_that_is_not_empty(pipeline_env, tmp_path):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("mine")

    result = run_cli(pipeline_env, "init", str(taken), check=False)

    assert result.returncode == 2
    assert result.stderr == f"Error: {taken} is not empty: `connector init` only fills a new or empty folder.\n"
    assert [path.name for path in taken.iterdir()] == ["keep.txt"]


def test_the_package_asks_for_the_python_its_dependencies_need():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    # marshmallow 4.4 needs 3.11; an install on 3.10 must be refused by pip, not fail half-way.
    assert project["requires-python"] == ">=3.11"
    assert "Programming Language :: Python :: 3.11" in project["classifiers"]
    assert not any("3.10" in classifier for classifier in project["classifiers"])
