"""The operators' console over HTTP: `connector web` in its own process, runs made by real workers.

The browser tests (``test_web_browser.py``) click through the same console; these check what a
browser does not show: headers, status codes, the JSON API, CSRF and token refusals, /metrics.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest
import requests
import yaml

from tests.conftest import ROOT
from tests.integration.conftest import run_cli, start_run, wait_for_run
from tests.integration.web_support import DEMO_CSV, HOSTILE_ROW, Console, session_of

DEMO = "demo_files_customer"
HOSTILE_KEY = "<script>alert(1)</script>@example.com"


@pytest.fixture
def demo_run(pipeline_env, workers, runs, tmp_path):
    """One run of the demo integration: 7 customers, 3 of them invalid (one written in markup)."""
    inbox = tmp_path / "inbox" / "customer"
    inbox.mkdir(parents=True)
    shutil.copy(DEMO_CSV, inbox / "customers.csv")
    with open(inbox / "customers.csv", "a") as csv:
        csv.write(HOSTILE_ROW)
    workers.start()
    return wait_for_run(runs, start_run(pipeline_env, DEMO))


@pytest.fixture
def console(pipeline_env, tmp_path):
    found = Console(pipeline_env, log=tmp_path / "web.log")
    yield found
    found.stop()


def test_every_view_and_its_json_answer_with_strict_headers(demo_run, console):
    for path in ("/", "/runs", f"/runs/{demo_run.run_id}", "/dead-letters", "/queues", "/api/integrations",
                 "/api/runs", f"/api/runs/{demo_run.run_id}", "/api/dead-letters", "/api/queues", "/metrics"):
        response = requests.get(console.url + path, timeout=10)

        assert response.status_code == 200, (path, response.text[:500])
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert requests.get(console.url + "/", timeout=10).headers["Server"] == "pipeline-console"  # waitress


def test_the_json_api_tells_a_runs_honest_progress_and_its_failures(demo_run, console):
    run = requests.get(f"{console.url}/api/runs/{demo_run.run_id}", timeout=10).json()
    listed = requests.get(f"{console.url}/api/runs?integration={DEMO}&status=partial", timeout=10).json()
    letters = requests.get(f"{console.url}/api/dead-letters?integration={DEMO}", timeout=10).json()
    integrations = {row["name"]: row for row in requests.get(console.url + "/api/integrations", timeout=10).json()[
        "integrations"]}

    assert run["counts"] == {"extracted": 7, "loaded": 4, "skipped": 0, "failed": 3}
    assert (run["status"], run["phase"]) == ("partial", "finished")  # finished, with failed records
    assert run["shares"] == {"loaded": 4 / 7, "skipped": 0.0, "failed": 3 / 7}  # not a full bar
    assert run["rate_per_s"] > 0 and run["eta_s"] is None
    assert sorted(f["key"] for f in run["failures"]) == sorted(
        [HOSTILE_KEY, "katherine.johnson@example", "margaret.hamilton@example.com"])
    assert {f["now"] for f in run["failures"]} == {"dead letter"}
    assert [r["run_id"] for r in listed["runs"]] == [demo_run.run_id]
    assert letters["total"] == 3 and [g["error_type"] for g in letters["groups"]] == ["RecordError"]
    assert letters["groups"][0]["count"] == 3
    assert integrations[DEMO]["last_run"]["status"] == "partial"
    assert (integrations[DEMO]["loaded_24h"], integrations[DEMO]["failed_24h"]) == (4, 3)
    assert integrations[DEMO]["schedule"] == "*/15 * * * *" and integrations[DEMO]["next_tick"]


def test_record_data_is_shown_as_text_never_as_markup(demo_run, console):
    page = requests.get(f"{console.url}/runs/{demo_run.run_id}", timeout=10).text
    letters = requests.get(console.url + "/dead-letters", timeout=10).text

    for html in (page, letters):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;@example.com" in html
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>Mallory" not in html


def test_route_parameters_cannot_read_other_keys(demo_run, console):
    for suffix in (":booked", ":states", ":failures"):
        page = requests.get(f"{console.url}/runs/{demo_run.run_id}{suffix}", timeout=10)
        api = requests.get(f"{console.url}/api/runs/{demo_run.run_id}{suffix}", timeout=10)

        assert page.status_code == 404 and "a run id has only letters" in page.text
        assert api.status_code == 404 and api.json()["error"].startswith("No run")
    unknown = requests.get(f"{console.url}/api/runs/no-such-run", timeout=10)
    bad_filter = requests.get(f"{console.url}/api/runs?status=exploded", timeout=10)
    assert unknown.status_code == 404 and unknown.json() == {"error": "No run 'no-such-run': unknown, or expired."}
    assert bad_filter.status_code == 400 and "Unknown status 'exploded'" in bad_filter.json()["error"]


def test_without_a_token_only_loopback_host_names_are_answered(console):
    rebound = requests.get(console.url + "/api/runs", headers={"Host": "attacker.example:8080"}, timeout=10)
    local = requests.get(console.url.replace("127.0.0.1", "localhost") + "/api/runs", timeout=10)

    assert rebound.status_code == 403 and "only to a loopback address" in rebound.json()["error"]
    assert local.status_code == 200


def test_state_changes_need_a_post_with_the_csrf_token(demo_run, console):
    body = {"letters": [{"integration": DEMO, "key": "katherine.johnson@example"}]}
    session, token = session_of(console)

    no_token = session.post(console.url + "/api/dead-letters/discard", json=body, timeout=10)
    wrong = session.post(console.url + "/api/dead-letters/discard", json=body, headers={"X-CSRF-Token": "x" * 43},
                         timeout=10)
    other_site = session.post(console.url + "/api/dead-letters/discard", json=body, timeout=10,
                              headers={"X-CSRF-Token": token, "Origin": "http://evil.example"})
    by_get = session.get(console.url + "/api/dead-letters/discard", timeout=10)
    still = requests.get(f"{console.url}/api/dead-letters?integration={DEMO}", timeout=10).json()["total"]
    done = session.post(console.url + "/api/dead-letters/discard", json=body, headers={"X-CSRF-Token": token},
                        timeout=10)

    assert [r.status_code for r in (no_token, wrong, other_site, by_get)] == [403, 403, 403, 405]
    assert "CSRF" in no_token.json()["error"] and "another site" in other_site.json()["error"]
    assert still == 3
    assert done.status_code == 200 and done.json()["discarded"] == 1
    assert requests.get(f"{console.url}/api/dead-letters?integration={DEMO}", timeout=10).json()["total"] == 2


def test_a_retry_from_the_api_is_the_clis_retry(demo_run, console, runs):
    session, token = session_of(console)

    answer = session.post(console.url + "/api/dead-letters/retry", json={"integration": DEMO, "stage": "map"},
                          headers={"X-CSRF-Token": token}, timeout=10).json()
    retry = wait_for_run(runs, answer["runs"][DEMO])
    letters = requests.get(f"{console.url}/api/dead-letters?integration={DEMO}", timeout=10).json()

    assert answer["retried"] == 3 and retry.mode == "retry"
    # The records are still invalid: they fail again, each letter now one retry older.
    assert retry.counts == {"extracted": 3, "loaded": 0, "skipped": 0, "failed": 3}
    assert sorted(letter["retries"] for letter in letters["groups"][0]["letters"]) == [1, 1, 1]


def test_metrics_in_prometheus_text_format(demo_run, console):
    text = requests.get(console.url + "/metrics", timeout=10).text

    assert f'pipeline_runs{{integration="{DEMO}",status="partial"}} 1.0' in text
    assert f'pipeline_records{{integration="{DEMO}",outcome="loaded"}} 4.0' in text
    assert f'pipeline_dead_letters{{error_type="RecordError",integration="{DEMO}"}} 3.0' in text
    assert 'pipeline_queue_messages{queue="normal",state="ready"} 0.0' in text
    assert re.search(r"^pipeline_workers_consuming [1-9]", text, re.M)


def test_the_sample_alerts_and_dashboard_use_only_metrics_the_console_serves(demo_run, console):
    types = re.findall(r"^# TYPE (\w+) (\w+)", requests.get(console.url + "/metrics", timeout=10).text, re.M)
    served = {name + ("_total" if kind == "counter" and not name.endswith("_total") else "") for name, kind in types}
    alerts = yaml.safe_load((ROOT / "docs" / "monitoring" / "alerts.yml").read_text())
    dashboard = json.loads((ROOT / "docs" / "monitoring" / "grafana-dashboard.json").read_text())
    expressions = [rule["expr"] for group in alerts["groups"] for rule in group["rules"]]
    expressions += [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]

    used = {name for expr in expressions for name in re.findall(r"\b(pipeline_\w+)", expr)}
    assert used and used <= served, used - served


def test_without_redis_the_console_says_so(pipeline_env, tmp_path):
    console = Console({**pipeline_env, "REDIS_URL": "redis://127.0.0.1:1/0"}, log=tmp_path / "web.log")
    try:
        page = requests.get(console.url + "/runs", timeout=30)
        api = requests.get(console.url + "/api/queues", timeout=30)
    finally:
        console.stop()

    assert page.status_code == 503 and "Redis at redis://127.0.0.1:1/0 does not answer" in page.text
    assert api.status_code == 503 and api.json()["error"].startswith("Redis at redis://127.0.0.1:1/0")


def test_beyond_loopback_the_console_refuses_to_start_without_a_token(pipeline_env):
    result = run_cli(pipeline_env, "web", "--host", "0.0.0.0", "--port", "0", check=False)

    assert result.returncode != 0
    assert "Refusing to serve the console on 0.0.0.0: beyond loopback it needs an access token." in result.stderr


def test_with_a_token_every_request_needs_it(pipeline_env, tmp_path):
    token = "console-token-5e1f0c"
    console = Console({**pipeline_env, "PIPELINE_WEB_TOKEN": token}, log=tmp_path / "web.log")
    try:
        anonymous = [requests.get(console.url + path, timeout=10).status_code
                     for path in ("/", "/api/runs", "/metrics", "/dead-letters")]
        bearer = requests.get(console.url + "/api/runs", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        script_post = requests.post(console.url + "/api/dead-letters/discard", json={"integration": DEMO},
                                    headers={"Authorization": f"Bearer {token}"}, timeout=10)
        wrong = requests.get(console.url + "/api/runs", headers={"Authorization": "Bearer nope"}, timeout=10)
        browser = requests.Session()
        refused = browser.post(console.url + "/login", data={"token": "nope"}, timeout=10)
        logged_in = browser.post(console.url + "/login", data={"token": token}, timeout=10)
    finally:
        console.stop()

    assert anonymous == [401, 401, 401, 401]
    assert bearer.status_code == 200 and wrong.status_code == 401
    assert script_post.status_code == 200 and script_post.json()["discarded"] == 0  # no CSRF token needed
    assert refused.status_code == 401 and "Wrong access token" in refused.text
    assert logged_in.status_code == 200 and "<title>Integrations" in logged_in.text
    assert token not in console.output()


def test_an_integration_paused_from_the_command_line_shows_as_paused(pipeline_env, console):
    before = {row["name"]: row for row in requests.get(console.url + "/api/integrations", timeout=10).json()[
        "integrations"]}
    run_cli(pipeline_env, "pause", DEMO)
    after = {row["name"]: row for row in requests.get(console.url + "/api/integrations", timeout=10).json()[
        "integrations"]}
    page = requests.get(console.url + "/", timeout=10).text

    assert before[DEMO]["paused"] is False and after[DEMO]["paused"] is True
    assert [name for name, row in after.items() if row["paused"]] == [DEMO]
    assert re.search(r'<code>\*/15 \* \* \* \*</code> <strong class="paused">paused</strong>', page)
