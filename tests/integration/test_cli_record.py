"""`connector record` on our Python systems: their HTTP exchanges are saved scrubbed, and replay offline.

Each test records a source through the real command line against its emulator, stops the emulator,
then builds the same system answering from the cassette: its extract gives the records that were saved.
"""

from __future__ import annotations

import json
import time
from itertools import islice
from pathlib import Path

import pytest

from pipeline.systems.magento1.system import utc_now
from pipeline.systems.magento_time import shift
from pipeline.testing.magento1 import Magento1Emulator
from pipeline.testing.magento2 import Magento2Emulator
from pipeline.testing.mailchimp import MailchimpEmulator
from pipeline.testing.netsuite import NetSuiteEmulator
from pipeline.testing.recording import NotRecordedError, replay_system
from tests.integration.conftest import run_cli

#: A Mailchimp audience as a source: no shipped mapping reads one, so the test writes it.
MAILCHIMP_SOURCE = """\
description: Mailchimp audience members into Magento 2 customers (a recording test's source).
connector: customer_pull
source: {system: mailchimp, connection: mailchimp}
target: {system: magento2, connection: magento2_shop}
fields:
  email: email_address
  first_name: merge_fields.FNAME
  last_name: merge_fields.LNAME
"""

PEOPLE = [("Ada", "Lovelace"), ("Grace", "Hopper"), ("Katherine", "Johnson")]


def _magento2():
    shop = Magento2Emulator()
    for first, last in PEOPLE:
        shop.add_customer(email=f"{first.lower()}@realmail.example", firstname=first, lastname=last, taxvat="GB99")
    # The admin login: the token the shop hands out must not reach the cassette either.
    return shop, "magento2_to_mailchimp_customer", "magento2", "magento2_shop", "customer", \
        lambda: shop.environ("magento2_shop", "admin")


def _netsuite():
    erp = NetSuiteEmulator()
    for first, last in PEOPLE:
        erp.store.add("customer", {"isPerson": True, "firstName": first, "lastName": last,
                                   "email": f"{first.lower()}@realmail.example", "phone": "+44 20 7946 0101",
                                   "addressBook": {"items": [{"defaultBilling": True, "defaultShipping": True,
                                                              "label": "home", "addressBookAddress": {
                                                                  "addressee": f"{first} {last}",
                                                                  "addr1": "12 Analytical Street", "city": "London",
                                                                  "zip": "W1T 2AB",
                                                                  "country": {"id": "GB", "refName": "GB"}}}]}})
    return erp, "netsuite_to_magento2_customer", "netsuite", "netsuite_erp", "customer", \
        lambda: erp.environ("netsuite_erp")


def _mailchimp():
    audience = MailchimpEmulator()
    for first, last in PEOPLE:
        audience.add_member(f"{first.lower()}@realmail.example", merge_fields={"FNAME": first, "LNAME": last})
    return audience, "mailchimp_to_magento2_customer", "mailchimp", "mailchimp", "customer", \
        lambda: audience.environ("mailchimp")


def _magento1(entity: str):
    shop = Magento1Emulator()
    for first, last in PEOPLE:
        email = f"{first.lower()}@realmail.example"
        address = {"firstname": first, "lastname": last, "street": "12 Analytical Street\nFlat 7946",
                   "city": "London", "postcode": "W1T 2AB", "country_id": "GB", "telephone": "+44 20 7946 0101"}
        shop.add_customer(email, firstname=first, lastname=last, taxvat="GB99",
                          addresses=[{**address, "default_billing": True}])
        shop.add_order(customer_email=email, customer_firstname=first, customer_lastname=last,
                       billing_address=address, shipping_address=address)
    integration = {"customer": "magento1_to_netsuite_customer", "order": "magento1_to_netsuite_order"}[entity]
    # An hour back: one updated_at window up to now (from 2008 it would be hundreds of empty ones).
    start = shift(shop.now(), -3600)
    return shop, integration, "magento1", "magento1_shop", entity, \
        lambda: {**shop.environ("magento1_shop"), "PIPELINE_MAGENTO1_SHOP_START": start}


def _magento1_customers():
    return _magento1("customer")


def _magento1_orders():
    return _magento1("order")


@pytest.mark.parametrize("make", [_magento2, _netsuite, _mailchimp, _magento1_customers, _magento1_orders],
                         ids=["magento2", "netsuite", "mailchimp", "magento1-customer", "magento1-order"])
def test_a_python_source_is_recorded_through_the_cli_and_replays_the_same_records_offline(make, pipeline_env):
    mappings = Path(pipeline_env["PIPELINE_MAPPINGS_DIR"])
    (mappings / "mailchimp_to_magento2_customer.yaml").write_text(MAILCHIMP_SOURCE)
    emulator, integration, system, connection, entity, environ = make()
    with emulator:
        connection_env = environ()
        output = run_cli({**pipeline_env, **connection_env}, "record", integration, "--records", "3").stdout
        url = emulator.url if hasattr(emulator, "url") else emulator.base_url
    folder = mappings.parent / "tests" / "fixtures" / "recorded" / system
    cassette_path = folder / f"{entity}.http.json"
    assert f"wrote {cassette_path}" in output
    cassette_text = cassette_path.read_text()
    records = json.loads((folder / f"{entity}.json").read_text())
    assert len(records) == 3

    secrets = [value for name, value in connection_env.items()
               if any(word in name for word in ("TOKEN", "SECRET", "PASSWORD", "KEY"))]
    personal = ["realmail", "Lovelace", "Hopper", "Katherine", "Analytical", "7946", "W1T", url]
    for leaked in [*secrets, *personal]:
        assert leaked not in cassette_text, leaked
        assert leaked not in json.dumps(records), leaked
    if system == "mailchimp":
        # The pull's upper bound comes from the clock: left out, so that a replay at any time matches.
        assert json.loads(cassette_text)["ignored_params"] == ["before_last_changed"]
        assert not [i for i in json.loads(cassette_text)["interactions"] if "before_last_changed" in i["url"]]
    if system == "magento2":
        # The login call is recorded (its body as a digest only), and the token it handed out is masked.
        login = [i for i in json.loads(cassette_text)["interactions"] if i["url"].endswith("/admin/token")]
        assert login and login[0]["body"] == "***" and "body_sha256" in login[0]
    if system == "magento1":
        # XML-RPC: each call kept with its params, the API key and the session id the login handed out masked.
        interactions = json.loads(cassette_text)["interactions"]
        calls = [i["call"] for i in interactions]
        assert calls[0] == {"method": "login", "params": [connection_env["PIPELINE_MAGENTO1_SHOP_API_USER"], "***"]}
        assert "<string>***</string>" in interactions[0]["text"]
        assert all(call["params"][0] == "***" for call in calls[1:]) and len(calls) > 1
        listing = {"customer": "customer.list", "order": "sales_order.list"}[entity]
        window = next(call["params"][2][0] for call in calls[1:] if call["params"][1] == listing)
        # The window ended at the recording's now, which the cassette keeps as END for the replay's pull.
        end = json.loads(cassette_text)["variables"]["END"]
        assert window == {"updated_at": {"from": connection_env["PIPELINE_MAGENTO1_SHOP_START"], "to": end}}
        # A replay runs later than its recording: wait for the clock to pass END, so that it does here too.
        while utc_now() <= end:
            time.sleep(0.05)

    # The emulator is stopped: the same system, built from the cassette, reads what was recorded.
    replayed = replay_system(system, connection, cassette_path, mappings)
    pages = islice(replayed.extract(entity, since=None, refs=None, page_size=3), 10)
    assert [record for page in pages for record in page.records][:3] == records


def test_a_replayed_python_source_refuses_a_request_that_was_not_recorded(pipeline_env):
    mappings = Path(pipeline_env["PIPELINE_MAPPINGS_DIR"])
    emulator, integration, system, connection, entity, environ = _netsuite()
    with emulator:
        run_cli({**pipeline_env, **environ()}, "record", integration, "--records", "3")
    replayed = replay_system(system, connection, mappings.parent / "tests" / "fixtures" / "recorded" / system /
                             f"{entity}.http.json", mappings)
    # Another page size is another SuiteQL request: refused, named, never sent to the network.
    with pytest.raises(NotRecordedError, match=r"Not recorded: POST http://recorded.invalid/.*suiteql.*limit=2"):
        list(replayed.extract(entity, since=None, refs=None, page_size=2))


def test_a_replayed_magento1_source_refuses_a_call_that_was_not_recorded(pipeline_env):
    mappings = Path(pipeline_env["PIPELINE_MAPPINGS_DIR"])
    emulator, integration, system, connection, entity, environ = _magento1("customer")
    with emulator:
        run_cli({**pipeline_env, **environ()}, "record", integration, "--records", "3")
    replayed = replay_system(system, connection, mappings.parent / "tests" / "fixtures" / "recorded" / system /
                             f"{entity}.http.json", mappings)
    # A lookup by email is another customer.list call: refused with its method and params, never sent.
    with pytest.raises(NotRecordedError, match=r'Not recorded: POST http://recorded.invalid/api/xmlrpc/ '
                                               r'\["\*\*\*", "customer.list", \[\{"email": \{"in": '
                                               r'\["nobody@example.com"\]'):
        list(replayed.extract(entity, since=None, refs=["nobody@example.com"], page_size=3))
