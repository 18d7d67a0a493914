"""The console in a real browser: Debian's headless Chromium, driven by Playwright.

A Magento 2 shop and a Mailchimp account (the emulators, on loopback) and real `dramatiq
pipeline.actors` workers make the runs the console shows: customers loaded, one refused by
Mailchimp, one whose e-mail and name are markup, then empty scheduled-like pulls. The tests load
every view, retry the refused customer from the run's page once Mailchimp accepts it and watch its
row turn done, and check that markup stays text, that a POST without the CSRF token is refused and
that a console with an access token asks for it.

Screenshots of the views go to ``$PIPELINE_SCREENSHOTS`` when set (the README's come from
``PIPELINE_SCREENSHOTS=docs/screenshots``), else to a temporary folder.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import uuid
from pathlib import Path

import pytest
import redis
import requests

from pipeline.books.runs import RunStore
from pipeline.testing.clock import Clock
from pipeline.testing.magento2 import Magento2Emulator
from pipeline.testing.mailchimp import MailchimpEmulator
from tests.conftest import MAPPINGS, REDIS_URL, ROOT
from tests.integration.conftest import start_run, wait_for_run
from tests.integration.web_support import Console, Workers

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
CUSTOMERS = "magento2_to_mailchimp_customer"
REFUSED = "refused.customer@example.com"
MARKUP_EMAIL = "<script>alert(1)</script>@example.com"
MARKUP_NAME = "<script>alert('name')</script>"


def connection_env(environ: dict[str, str], connection: str) -> dict[str, str]:
    return {key: value for key, value in environ.items() if key.startswith(f"PIPELINE_{connection.upper()}_")}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Redis (a key prefix of its own), both emulators, workers, and the runs they made."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("No Redis on " + REDIS_URL)
    require_chromium()
    namespace, tmp = f"test-{uuid.uuid4().hex[:12]}", tmp_path_factory.mktemp("console")
    (tmp / "mappings").mkdir()
    for path in MAPPINGS.glob("*.yaml"):
        shutil.copy(path, tmp / "mappings")
    # REST systems described in YAML (the shipped Shopify mappings name one), beside the mappings folder.
    shutil.copytree(ROOT / "systems", tmp / "systems")
    shop = Magento2Emulator(clock=Clock(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone.utc)))
    chimp = MailchimpEmulator()
    shop.start(), chimp.start()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIPELINE_")}
    env.update({"REDIS_URL": REDIS_URL, "PIPELINE_NAMESPACE": namespace, "PIPELINE_MAPPINGS_DIR": str(tmp / "mappings"),
                "PIPELINE_RETRY_MIN_BACKOFF_MS": "50", "PYTHONPATH": str(ROOT),
                **connection_env(shop.environ("magento2_shop", "oauth"), "magento2_shop"),
                **connection_env(chimp.environ("mailchimp"), "mailchimp")})
    workers = Workers(env, tmp, cwd=ROOT)
    runs = RunStore(client, namespace=namespace, ttl_s=3600)
    try:
        for number, (first, last) in enumerate([("Ada", "Lovelace"), ("Grace", "Hopper"), ("Alan", "Turing")]):
            shop.add_customer(email=f"{first.lower()}@example.com", firstname=first, lastname=last,
                              group_id=1 + number % 2, extension_attributes={"is_subscribed": True})
        shop.add_customer(email=REFUSED, firstname=MARKUP_NAME, lastname="Refused", group_id=1)
        shop.add_customer(email=MARKUP_EMAIL, firstname="<b>Mallory</b>", lastname="<img src=x onerror=alert(2)>")
        chimp.reject_email(REFUSED)
        workers.start(threads=4)
        first = wait_for_run(runs, start_run(env, CUSTOMERS))
        # Pulls that find nothing new: the runs view folds them into one row.
        empty = [wait_for_run(runs, start_run(env, CUSTOMERS)) for _ in range(3)]
        console = Console(env, log=tmp / "web.log")
        yield {"env": env, "runs": runs, "shop": shop, "chimp": chimp, "console": console, "first": first,
               "empty": empty, "tmp": tmp}
        console.stop()
    finally:
        workers.stop()
        shop.stop(), chimp.stop()
        keys = list(client.scan_iter(match=f"{namespace}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            raise AssertionError(f"No {CHROMIUM}: .ci/run installs Debian's chromium package.")
        pytest.skip(f"No {CHROMIUM} (Debian's chromium package; .ci/run installs it).")


@pytest.fixture(scope="module")
def browser():
    require_chromium()  # whichever fixture a test asks for first
    with playwright_api.sync_playwright() as playwright:
        found = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield found
        found.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    found = context.new_page()
    dialogs: list[str] = []
    found.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    found.dialogs = dialogs
    yield found
    context.close()


def screenshot(page, name: str, world) -> None:
    folder = Path(os.environ.get("PIPELINE_SCREENSHOTS") or world["tmp"] / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_every_view_loads_in_the_browser(world, page):
    url, first = world["console"].url, world["first"]

    page.goto(url + "/")
    row = page.locator("tr", has=page.locator(f"a[href='/runs?integration={CUSTOMERS}']"))
    playwright_api.expect(row).to_contain_text("customer_push")
    playwright_api.expect(row).to_contain_text("magento2:magento2_shop → mailchimp:mailchimp")
    playwright_api.expect(row.locator("svg.chart")).to_have_count(1)
    screenshot(page, "integrations", world)

    page.goto(url + "/runs")
    playwright_api.expect(page.locator(f"a[href='/runs/{first.run_id}']")).to_be_visible()
    playwright_api.expect(page.locator("tr.folded")).to_contain_text(f"3 empty runs of {CUSTOMERS}")
    screenshot(page, "runs", world)

    page.goto(f"{url}/runs/{first.run_id}")
    playwright_api.expect(page.locator("h1")).to_have_text(f"Run {first.run_id}")
    playwright_api.expect(page.locator("table.failures tbody tr")).to_have_count(2)
    playwright_api.expect(page.locator("svg.bar rect.failed")).to_have_count(1)  # not an all-green bar
    page.locator("tr", has=page.locator("td.key", has_text=REFUSED)).locator("summary").click()
    screenshot(page, "run", world)

    page.goto(url + "/dead-letters")
    playwright_api.expect(page.locator("h1")).to_have_text("Dead letters (2)")
    playwright_api.expect(page.locator("section.group")).to_have_count(2)  # a RecordError and a FatalError
    screenshot(page, "dead-letters", world)

    page.goto(url + "/queues")
    playwright_api.expect(page.locator("h1")).to_have_text("Queues & workers")
    playwright_api.expect(page.locator("text=consuming").first).to_be_visible()
    screenshot(page, "queues", world)
    assert page.dialogs == []


def test_metrics_count_the_vendor_requests_of_the_runs(world):
    text = requests.get(world["console"].url + "/metrics", timeout=10).text

    refused = re.search(r'^pipeline_vendor_requests_total\{budget="mailchimp:[^"]+",outcome="4xx"\} (\S+)$', text, re.M)
    shop = re.search(r'^pipeline_vendor_requests_total\{budget="magento2:[^"]+",outcome="2xx"\} (\S+)$', text, re.M)
    assert refused and float(refused.group(1)) >= 1  # the refused customer's PUT
    assert shop and float(shop.group(1)) >= 4  # one extraction per run, at least
    assert f'pipeline_records{{integration="{CUSTOMERS}",outcome="failed"}}' in text


def test_markup_in_records_shows_as_text_and_never_runs(world, page):
    page.goto(f"{world['console'].url}/runs/{world['first'].run_id}")
    page.locator("details summary").first.click()
    for details in page.locator("details").all():
        details.evaluate("element => element.open = true")

    playwright_api.expect(page.locator("td.key", has_text=MARKUP_EMAIL)).to_have_count(1)
    playwright_api.expect(page.locator("pre", has_text=MARKUP_NAME)).to_have_count(1)
    assert page.locator("#content script, #content img, #content b").count() == 0
    page.goto(f"{world['console'].url}/dead-letters")
    playwright_api.expect(page.locator("td.key", has_text=MARKUP_EMAIL)).to_have_count(1)
    assert page.locator("#content script, #content img").count() == 0
    assert page.dialogs == []  # no alert() ran


def test_a_post_without_the_csrf_token_is_refused(world, page):
    page.goto(world["console"].url + "/dead-letters")
    body = {"letters": [{"integration": CUSTOMERS, "key": REFUSED}]}

    refused = page.evaluate("""body => fetch('/api/dead-letters/discard', {method: 'POST',
        headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)})
        .then(r => r.json().then(j => [r.status, j.error]))""", body)

    assert refused[0] == 403 and "CSRF" in refused[1]
    page.reload()
    playwright_api.expect(page.locator("td.key", has_text=REFUSED)).to_have_count(1)


def test_a_refused_record_retried_from_the_page_turns_done(world, page):
    world["chimp"].audience().rejected_emails.discard(REFUSED)  # the address was cleared with Mailchimp
    page.goto(f"{world['console'].url}/runs/{world['first'].run_id}")
    row = page.locator("table.failures tbody tr", has=page.locator("td.key", has_text=REFUSED))
    playwright_api.expect(row.locator("td.now")).to_contain_text("dead letter")

    row.locator("button[data-action=retry]").click()

    playwright_api.expect(page.locator("#flash")).to_contain_text(f"Retried 1 dead letter(s): {CUSTOMERS} in run")
    # The page follows by itself (no reload): the record's row turns done.
    playwright_api.expect(row.locator("td.now")).to_contain_text("done", timeout=60_000)
    assert world["chimp"].audience().members  # and Mailchimp has it
    page.goto(world["console"].url + "/dead-letters")
    playwright_api.expect(page.locator("td.key", has_text=REFUSED)).to_have_count(0)


def test_dead_letters_retried_by_group_and_discarded_by_selection_without_a_reload(world, page):
    page.goto(world["console"].url + f"/dead-letters?integration={CUSTOMERS}")
    group = page.locator("section.group", has=page.locator("h2", has_text="RecordError"))
    letter = group.locator("tbody tr", has=page.locator("td.key", has_text=MARKUP_EMAIL))
    playwright_api.expect(letter.locator("td.num").nth(1)).to_have_text("0")  # retries

    group.locator("button", has_text="Retry group (1)").click()

    playwright_api.expect(page.locator("#flash")).to_contain_text(f"Retried 1 dead letter(s): {CUSTOMERS} in run")
    # The record is still invalid: it fails again in the retry run, and the letter says it was retried.
    playwright_api.expect(letter.locator("td.num").nth(1)).to_have_text("1", timeout=60_000)

    letter.locator("input[type=checkbox]").check()
    page.locator("button", has_text="Discard selected").click()

    playwright_api.expect(page.locator("#flash")).to_have_text("Discarded 1 dead letter(s).")
    playwright_api.expect(page.locator("td.key", has_text=MARKUP_EMAIL)).to_have_count(0)
    assert page.dialogs == []


def test_a_queue_with_work_and_no_worker_shows_a_banner(pipeline_env, runs, browser, tmp_path):
    run_id = start_run(pipeline_env, "demo_files_customer")  # no worker is running in this namespace
    console = Console(pipeline_env, log=tmp_path / "web.log")
    page = browser.new_page(viewport={"width": 1440, "height": 700})
    try:
        page.goto(console.url + "/queues")
        playwright_api.expect(page.locator(".banner")).to_contain_text(
            "Work is waiting on queues no live worker consumes: normal (1)", timeout=60_000)
        if os.environ.get("PIPELINE_SCREENSHOTS"):
            screenshot(page, "queues-no-worker", {"tmp": tmp_path})
    finally:
        page.close()
        console.stop()
    assert runs.get(run_id).status == "waiting"


def test_a_console_with_a_token_asks_for_it(world, browser, tmp_path):
    token = "browser-token-77aa"
    console = Console({**world["env"], "PIPELINE_WEB_TOKEN": token}, log=tmp_path / "web.log")
    page = browser.new_page()
    try:
        first = page.goto(console.url + "/runs")
        assert first.status == 401
        page.goto(console.url + "/login")
        page.fill("input[name=token]", "wrong")
        page.click("button[type=submit]")
        playwright_api.expect(page.locator(".banner")).to_have_text("Wrong access token.")
        page.fill("input[name=token]", token)
        page.click("button[type=submit]")
        playwright_api.expect(page.locator("h1")).to_have_text("Integrations")
        page.goto(console.url + "/runs")
        playwright_api.expect(page.locator("h1")).to_have_text("Runs")
    finally:
        page.close()
        console.stop()
