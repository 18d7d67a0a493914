"""The Magento 1 system against its XML-RPC emulator, over real loopback HTTP (our client is never patched).

Every test's emulator must end without violations: no call to a path the catalogue does not know,
none with a wrong number of arguments.
"""

from __future__ import annotations

import doctest
import importlib.util
import json
import logging
import re
import threading
import time
import uuid
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from pathlib import Path

import pytest

from pipeline.errors import AuthError, ConfigError, FatalError, NotFoundError, RecordError, RetryableError
from pipeline.systems import SYSTEMS, build_system
from pipeline.systems.base import LoadItem
from pipeline.systems.magento1 import Magento1System, catalogue, faults, regions, system, values, windows
from pipeline.systems.magento1.windows import Cursor
from pipeline.testing.magento1 import API_KEY, Magento1Emulator, magento1_emulator  # noqa: F401 (a fixture)
from pipeline.testing.server import Faults
from pipeline.testing.clock import Clock

#: The emulators give a connection's variables only; the concurrency budget stays in process.
STUB_BROKER = {"PIPELINE_BROKER_URL": "stub://"}

T0 = "2024-01-01 06:00:00"
MAX_PAGES = 200
ROOT = Path(__file__).resolve().parents[3]
SPECS = ROOT.parent / "shared" / "specs" / "magento1-api"


@pytest.fixture
def shop(magento1_emulator):  # noqa: F811 (the imported fixture)
    magento1_emulator.clock = Clock(T0)
    yield magento1_emulator
    assert magento1_emulator.violations == []


def make_system(emulator: Magento1Emulator, now: str = T0, **settings: object) -> Magento1System:
    environ = {**emulator.environ("shop"), **STUB_BROKER, "PIPELINE_SHOP_READ_BACKOFF_MS": "0",
               # Budget slots live in a process-wide stub backend: each test gets its own keys.
               "PIPELINE_NAMESPACE": f"test-{uuid.uuid4().hex[:8]}",
               **{f"PIPELINE_SHOP_{name.upper()}": str(value) for name, value in settings.items()}}
    system = build_system("magento1", "shop", environ)
    system.extractor.now = lambda: now
    return system


def extract_all(system: Magento1System, entity: str, since: str | None = None, refs=None,
                page_size: int = 100) -> tuple[list[dict], str | None]:
    records, cursor = [], since
    pages = system.extract(entity, since=since, refs=refs, page_size=page_size)
    # Bounded, so that a pull that never stops fails instead of hanging the suite.
    for page in islice(pages, MAX_PAGES + 1):
        records += page.records
        cursor = page.cursor or cursor
    return records, cursor


def windows_read(emulator: Magento1Emulator, path: str) -> list[tuple[str, str]]:
    return [(args[0]["updated_at"]["from"], args[0]["updated_at"]["to"]) for args in emulator.calls_of(path)
            if args and "updated_at" in (args[0] or {})]


def sessions_sent(emulator: Magento1Emulator) -> set[str]:
    found = set()
    for request in emulator.requests:
        params, method = xmlrpc.client.loads(request.body)
        if method in ("call", "endSession"):
            found.add(params[0])
    return found


# Configuration ------------------------------------------------------------------------------------

def test_the_system_is_registered_as_magento1():
    assert SYSTEMS["magento1"] is Magento1System


def test_missing_and_malformed_settings_are_all_reported_by_name():
    with pytest.raises(ConfigError) as raised:
        Magento1System.from_env("shop", {"PIPELINE_SHOP_WINDOW_S": "0", "PIPELINE_SHOP_START": "yesterday"})
    assert str(raised.value) == (
        "Invalid Magento 1 connection 'shop':\n"
        "  PIPELINE_SHOP_URL is not set: the XML-RPC endpoint, e.g. https://shop.example.com/api/xmlrpc/.\n"
        "  PIPELINE_SHOP_API_USER is not set.\n"
        "  PIPELINE_SHOP_API_KEY is not set.\n"
        "  PIPELINE_SHOP_WINDOW_S='0' must be at least 1.\n"
        "  PIPELINE_SHOP_START='yesterday' must be a UTC time such as '2015-01-01 00:00:00'.")


def test_an_end_before_the_start_is_reported_with_both_names():
    environ = {"PIPELINE_SHOP_URL": "https://shop.test/api/xmlrpc/", "PIPELINE_SHOP_API_USER": "sync",
               "PIPELINE_SHOP_API_KEY": "k3y", "PIPELINE_SHOP_START": "2024-05-01 10:00:00"}
    with pytest.raises(ConfigError, match=r"PIPELINE_SHOP_END='2024-04-30 10:00:00' is before "
                                          r"PIPELINE_SHOP_START='2024-05-01 10:00:00'\."):
        Magento1System.from_env("shop", {**environ, "PIPELINE_SHOP_END": "2024-04-30 10:00:00"})
    assert Magento1System.from_env("shop", {**environ, "PIPELINE_SHOP_END": "2024-05-02 10:00:00"}).config.end \
        == "2024-05-02 10:00:00"


def test_a_url_that_is_not_the_xmlrpc_endpoint_is_named_without_its_value():
    with pytest.raises(ConfigError) as raised:
        Magento1System.from_env("shop", {"PIPELINE_SHOP_URL": "https://user:pa55word@shop.test/rest/V1",
                                         "PIPELINE_SHOP_API_USER": "sync", "PIPELINE_SHOP_API_KEY": "k3y-value"})
    assert str(raised.value) == ("Invalid Magento 1 connection 'shop':\n  PIPELINE_SHOP_URL must be the XML-RPC "
                                 "endpoint (its path ends in /api/xmlrpc/), e.g. https://shop.example.com/api/xmlrpc/.")
    assert "pa55word" not in str(raised.value)


def test_settings_have_defaults_and_the_key_stays_out_of_repr():
    system = Magento1System.from_env("shop", {"PIPELINE_SHOP_URL": "https://shop.test/api/xmlrpc/",
                                              "PIPELINE_SHOP_API_USER": "sync", "PIPELINE_SHOP_API_KEY": "k3y-value",
                                              "PIPELINE_BROKER_URL": "stub://"})
    config = system.config
    assert (config.window_s, config.lookback_s, config.start) == (86400, 300, "2008-01-01 00:00:00")
    assert (config.concurrency, config.website_id, config.timeout_s, config.reads.retries) == (4, 1, 60, 3)
    assert "k3y-value" not in repr(config) and "k3y-value" not in repr(system.client)


def test_the_vendored_catalogue_is_what_the_script_makes_of_openmages_api_xml(tmp_path):
    if not list(SPECS.glob("*.api.xml")):
        pytest.skip(f"No copy of the api.xml files in {SPECS}.")
    spec = importlib.util.spec_from_file_location("extract", ROOT / "scripts" / "extract_magento1_faults.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.main([str(SPECS), "--output", str(tmp_path / "catalogue.py")]) == 0
    if (SPECS / "Directory.api.xml").exists():
        assert (tmp_path / "catalogue.py").read_text() == Path(catalogue.__file__).read_text()
    else:
        # The shared copy predates Directory's api.xml (directory_country/directory_region, taken from
        # OpenMage's file when the catalogue was generated): every other module must still match exactly.
        made = _module_from(tmp_path / "catalogue.py")
        ours = {name: value for name, value in catalogue.RESOURCES.items() if not name.startswith("directory_")}
        assert made.RESOURCES == ours
        assert made.ALIASES == {alias: name for alias, name in catalogue.ALIASES.items()
                                if not name.startswith("directory_")}
        assert made.GLOBAL_FAULTS == catalogue.GLOBAL_FAULTS
    assert catalogue.ALIASES["product_stock"] == "cataloginventory_stock_item"
    assert catalogue.RESOURCES["customer"]["faults"][102] == ("not_exists", "Customer not exists.")


def _module_from(path):
    spec = importlib.util.spec_from_file_location("made_catalogue", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("module", [system, values, windows, faults, regions])
def test_the_docstring_examples_hold(module):
    result = doctest.testmod(module)
    assert (result.failed, result.attempted > 0) == (0, True)


# Sessions -----------------------------------------------------------------------------------------

def test_one_login_serves_every_call_and_an_expired_session_logs_in_again_once(shop):
    shop.add_customer("ada@example.com")
    system = make_system(shop)
    for _ in range(3):
        assert len(system.client.call("customer.list", {})) == 1
    assert shop.logins == 1

    shop.expire_sessions()
    assert len(system.client.call("customer.list", {})) == 1

    assert shop.logins == 2
    # The expired session's call (fault 5), a login, then the same call on the new session.
    methods = [xmlrpc.client.loads(request.body)[1] for request in shop.requests]
    assert methods == ["login", "call", "call", "call", "call", "login", "call"]


def test_threads_sharing_a_session_log_in_once_per_expiry_and_never_reuse_a_dead_or_ended_one():
    threads, rounds = 8, 6
    with Magento1Emulator(faults=Faults(latency_s=0.01)) as slow:
        slow.add_customer("ada@example.com")
        system = make_system(slow, CONCURRENCY=threads)
        barrier = threading.Barrier(threads)

        def work(number: int) -> int:
            done = 0
            for round_ in range(rounds):
                barrier.wait(timeout=30)
                if number == 0 and round_ in (2, 4):
                    slow.expire_sessions()  # every call now in flight meets fault 5
                done += len(system.client.call("customer.list", {}))
            return done

        with ThreadPoolExecutor(threads) as pool:
            assert list(pool.map(work, range(threads))) == [rounds] * threads
        system.client.end_session()
        assert slow.logins == 3  # the first, and one per expiry, however many threads saw it
        # Only calls already in flight when the first fault 5 came back may still carry the dead
        # session: at most one per other thread and expiry, and each is sent again on the new one.
        assert slow.counts["client_errors"] <= 2 * (threads - 1)
        assert slow.ended_sessions and slow.violations == []  # nothing was sent on the ended session


def test_a_call_on_an_ended_session_is_refused_and_counted_as_a_client_error(shop):
    proxy = xmlrpc.client.ServerProxy(shop.endpoint)
    session = proxy.login("sync", API_KEY)
    assert proxy.endSession(session) is True
    with pytest.raises(xmlrpc.client.Fault) as raised:
        proxy.call(session, "customer.list", [{}])
    assert (raised.value.faultCode, raised.value.faultString) == (5, "Session expired. Try to relogin.")
    assert shop.counts["client_errors"] == 1
    assert shop.violations == ["A call on a session the client had ended (endSession)."]
    shop.violations.clear()


def test_a_session_older_than_the_shops_timeout_is_renewed(shop):
    shop.session_ttl_s = 60
    system = make_system(shop)
    system.client.call("customer.list", {})
    shop.clock.advance(61)
    system.client.call("customer.list", {})
    assert shop.logins == 2
    assert len(sessions_sent(shop)) == 2


def test_a_session_that_expires_again_right_after_a_new_login_is_an_auth_error(shop):
    shop.session_ttl_s = -1  # every session is already too old
    with pytest.raises(AuthError) as raised:
        make_system(shop).client.call("customer.create", {"email": "ada@example.com"})
    assert str(raised.value) == (
        "Magento 1 answered customer.create with fault 5 (session_expired): Session expired. Try to relogin. "
        "It expired again right after a new login: check the shop's API session timeout (System > "
        "Configuration > Magento Core API).")
    assert shop.logins == 2 and shop.tables.customers == {}


def test_a_wrong_api_key_is_an_auth_error_with_fault_2_and_the_key_is_not_in_it(shop):
    environ = {**shop.environ("shop"), **STUB_BROKER, "PIPELINE_SHOP_API_KEY": "wrong-key-123"}
    with pytest.raises(AuthError) as raised:
        Magento1System.from_env("shop", environ).client.call("customer.list", {})
    assert str(raised.value) == "Magento 1 answered login with fault 2 (access_denied): Access denied."
    assert raised.value.status == 2
    # Refused credentials are not tried again, and nothing else was sent.
    assert len(shop.requests) == 1 and shop.logins == 0


def test_the_session_id_and_the_key_reach_no_message_and_no_log_line(shop, caplog):
    caplog.set_level(logging.DEBUG, logger="pipeline")
    shop.session_ttl_s = 60
    system = make_system(shop)
    errors = []
    for _ in range(3):
        try:
            system.client.call("customer.info", 404)
        except NotFoundError as error:
            errors.append(str(error))
        shop.clock.advance(61)
    secrets = sessions_sent(shop) | {API_KEY}
    assert len(secrets) == 4 and len(errors) == 3
    text = caplog.text + "\n".join(errors)
    assert "logging in again" in caplog.text
    assert not [secret for secret in secrets if secret in text]


# Faults -------------------------------------------------------------------------------------------

def test_resource_faults_carry_their_code_name_and_message(shop):
    client = make_system(shop).client
    with pytest.raises(NotFoundError) as raised:
        client.call("customer.info", 102)
    assert str(raised.value) == "Magento 1 answered customer.info with fault 102 (not_exists): Customer not exists."
    assert raised.value.status == 102
    # The same code is another fault of another resource; aliases resolve to their resource.
    with pytest.raises(NotFoundError, match=re.escape("fault 101 (product_not_exists): Product not exists.")):
        client.call("product.info", "NOPE", None, None, "sku")
    with pytest.raises(NotFoundError, match=re.escape("order.info with fault 100 (not_exists): Requested order not "
                                                      "exists.")):
        client.call("order.info", "999")


def test_a_custom_fault_message_is_kept_and_data_faults_are_fatal(shop):
    shop.add_customer("ada@example.com")
    with pytest.raises(FatalError) as raised:
        make_system(shop).client.call("customer.create", {"email": "ADA@example.com", "website_id": 1})
    assert str(raised.value) == ("Magento 1 answered customer.create with fault 100 (data_invalid): This customer "
                                 "email already exists.")
    assert not isinstance(raised.value, (NotFoundError, RetryableError))


def test_global_faults_invalid_paths_and_denied_resources(shop):
    shop.denied = {"sales_order_invoice"}
    client = make_system(shop).client
    with pytest.raises(FatalError, match=re.escape("customer.frobnicate with fault 3 (resource_path_invalid): "
                                                   "Invalid api path.")):
        client.call("customer.frobnicate")
    with pytest.raises(AuthError, match=re.escape("order_invoice.list with fault 2 (access_denied): Access "
                                                  "denied.")):
        client.call("order_invoice.list", {})
    assert shop.violations == ["customer.frobnicate: not a Magento 1 API path."]
    shop.violations.clear()


def test_a_deadlock_is_retryable_and_other_internal_errors_are_not(shop):
    client = make_system(shop, read_retries=0).client
    shop.fault_next("customer.create", 1, "SQLSTATE[40001]: Serialization failure: 1213 Deadlock found when "
                                          "trying to get lock; try restarting transaction")
    with pytest.raises(RetryableError, match=r"fault 1 \(internal\): SQLSTATE\[40001\]"):
        client.call("customer.create", {"email": "ada@example.com", "website_id": 1})
    shop.fault_next("customer.create", 1, "Call to a member function getId() on null")
    with pytest.raises(FatalError) as raised:
        client.call("customer.create", {"email": "ada@example.com", "website_id": 1})
    assert not isinstance(raised.value, RetryableError)


@pytest.mark.parametrize("faults, status", [(Faults(error_rate=1.0, error_status=503), 503),
                                            (Faults(error_rate=1.0, error_status=500), 500),
                                            (Faults(throttle_rate=1.0, retry_after_s=7), 429)])
def test_server_errors_are_retryable_and_reads_are_retried_in_place_first(shop, faults, status):
    client = make_system(shop).client
    client.call("customer.list", {})  # logged in
    shop.faults = faults
    with pytest.raises(RetryableError) as raised:
        client.call("customer.list", {})
    assert str(raised.value) == f"Magento 1 answered HTTP {status} to customer.list at {shop.endpoint}."
    assert raised.value.status == status
    assert raised.value.retry_after == (7 if status == 429 else None)
    # The login and a call before the faults, then 1 + 3 read retries; a Retry-After longer than
    # a worker should wait in place goes to the pipeline's retries at once.
    assert len(shop.requests) == 2 + (4 if status != 429 else 1)


def test_dropped_connections_are_retryable_and_writes_are_sent_once(shop):
    client = make_system(shop).client
    client.call("customer.list", {})
    shop.faults = Faults(drop_rate=1.0)
    with pytest.raises(RetryableError) as raised:
        client.call("customer.list", {})
    assert str(raised.value) == f"Magento 1 call customer.list to {shop.endpoint} failed: RemoteDisconnected."
    with pytest.raises(RetryableError, match="customer.create .* failed: RemoteDisconnected"):
        client.call("customer.create", {"email": "ada@example.com", "website_id": 1})
    assert shop.counts["dropped"] == 4 + 1


def test_an_answer_lost_after_a_write_is_not_sent_again_by_the_transport(shop):
    client = make_system(shop).client
    shop.drop_after_once("customer.create")
    with pytest.raises(RetryableError, match="failed: RemoteDisconnected"):
        client.call("customer.create", {"email": "ada@example.com", "website_id": 1})
    # The shop did create the customer; xmlrpc.client alone would have sent the create again.
    assert len(shop.calls_of("customer.create")) == 1 and len(shop.tables.customers) == 1


def test_a_slow_shop_times_out_as_a_retryable_error(shop):
    client = make_system(shop, timeout_s=1).client
    client.call("customer.list", {})
    shop.faults = Faults(latency_s=1.2)
    with pytest.raises(RetryableError, match=r"customer.create to .* failed: TimeoutError\."):
        client.call("customer.create", {"email": "ada@example.com", "website_id": 1})
    # The emulator answers a closed connection a moment later: let its broken pipe happen in this test.
    time.sleep(0.4)


def test_a_wrong_endpoint_is_fatal_not_a_missing_record(shop):
    environ = {**shop.environ("shop"), **STUB_BROKER, "PIPELINE_SHOP_URL": shop.url + "/shop/api/xmlrpc/"}
    with pytest.raises(FatalError) as raised:
        Magento1System.from_env("shop", environ).client.call("customer.list", {})
    assert not isinstance(raised.value, NotFoundError)
    assert str(raised.value) == (f"Magento 1 answered HTTP 404 to login at {shop.url}/shop/api/xmlrpc/. Check the "
                                 "connection's URL (the XML-RPC endpoint ends in /api/xmlrpc/).")


# The emulator's filters ------------------------------------------------------------------------------

def test_the_emulator_applies_only_the_first_operator_and_compares_like_mysql(shop):
    for hour in range(1, 5):
        shop.add_customer(f"c{hour}@example.com", updated_at=f"2024-01-01 0{hour}:00:00")
    client = make_system(shop).client
    # Varien applies "gt" alone: "lt" is ignored, which is why windows use from/to.
    assert len(client.call("customer.list", {"updated_at": {"gt": "2024-01-01 01:00:00",
                                                            "lt": "2024-01-01 03:00:00"}})) == 3
    assert len(client.call("customer.list", {"updated_at": {"from": "2024-01-01 02:00:00",
                                                            "to": "2024-01-01 03:00:00"}})) == 2
    assert [c["email"] for c in client.call("customer.list", {"email": "C2@EXAMPLE.COM"})] == ["c2@example.com"]
    assert len(client.call("customer.list", {"customer_id": {"in": ["1", "3"]}})) == 2


def test_the_emulator_answers_multicall_with_a_fault_entry_per_failed_call(shop):
    shop.add_customer("ada@example.com")
    proxy = xmlrpc.client.ServerProxy(shop.endpoint)
    session = proxy.login("sync", API_KEY)
    results = proxy.multiCall(session, [["customer.info", [999]], ["customer.list", [{}]]])
    assert results[0] == {"isFault": True, "faultCode": 102, "faultMessage": "Customer not exists."}
    assert [customer["email"] for customer in results[1]] == ["ada@example.com"]


# Extraction ---------------------------------------------------------------------------------------

def seed_boundary_customers(shop: Magento1Emulator) -> dict[str, str]:
    stamps = {"c0": "00:00:00", "c1": "01:00:00", "c2": "01:30:00", "c3": "02:00:00", "c4": "05:59:59",
              "c5": "06:00:00"}
    for name, stamp in stamps.items():
        shop.add_customer(f"{name}@example.com", updated_at=f"2024-01-01 {stamp}")
    return stamps


def test_a_pull_covers_the_range_in_windows_and_boundary_records_come_once(shop):
    seed_boundary_customers(shop)
    system = make_system(shop, start="2024-01-01 00:00:00", window_s=3600)

    records, cursor = extract_all(system, "customer", page_size=2)

    assert [r["email"] for r in records] == [f"c{n}@example.com" for n in range(6)]
    day = "2024-01-01 "
    assert windows_read(shop, "customer.list") == [
        (day + "00:00:00", day + "01:00:00"), (day + "01:00:00", day + "02:00:00"),
        (day + "02:00:00", day + "03:00:00"), (day + "03:00:00", day + "04:00:00"),
        # an empty window doubles the next one; the last stops at now
        (day + "04:00:00", day + "06:00:00")]
    # The cursor: the end of the last window, and what the next pull's look-back will read again.
    assert json.loads(cursor) == {"end": day + "06:00:00", "seen": {"5": day + "05:59:59", "6": day + "06:00:00"}}


def test_the_next_pull_delivers_changes_new_and_late_records_once(shop):
    seed_boundary_customers(shop)
    system = make_system(shop, start="2024-01-01 00:00:00", window_s=3600)
    _, cursor = extract_all(system, "customer", page_size=2)
    shop.tables.customers[5]["updated_at"] = "2024-01-01 06:30:00"  # c4 changed
    shop.add_customer("new@example.com", updated_at="2024-01-01 06:10:00")
    shop.add_customer("late@example.com", updated_at="2024-01-01 05:58:00")  # committed after the pull
    system.extractor.now = lambda: "2024-01-01 07:00:00"

    records, cursor = extract_all(system, "customer", since=cursor, page_size=2)

    assert sorted(r["email"] for r in records) == ["c4@example.com", "late@example.com", "new@example.com"]
    assert windows_read(shop, "customer.list")[-2:] == [("2024-01-01 05:55:00", "2024-01-01 06:55:00"),
                                                        ("2024-01-01 06:55:00", "2024-01-01 07:00:00")]
    again, _ = extract_all(system, "customer", since=cursor)
    assert again == []


def test_a_full_pull_reads_everything_again_and_refs_read_only_the_named(shop):
    seed_boundary_customers(shop)
    system = make_system(shop, start="2024-01-01 00:00:00", window_s=3600)
    extract_all(system, "customer")
    records, _ = extract_all(system, "customer", since=None)
    assert len(records) == 6
    named, cursor = extract_all(system, "customer", refs=["C2@example.com", "c5@example.com"])
    assert sorted(r["email"] for r in named) == ["c2@example.com", "c5@example.com"] and cursor is None


def test_years_of_quiet_history_cost_few_windows(shop):
    shop.add_customer("only@example.com", updated_at="2023-06-01 12:00:00")
    system = make_system(shop, now="2024-01-01 00:00:00", start="2018-01-01 00:00:00")

    records, cursor = extract_all(system, "customer")

    assert [r["email"] for r in records] == ["only@example.com"]
    # 2191 days of one-day windows would be 2191 calls; growing windows take 73.
    assert len(windows_read(shop, "customer.list")) == 73
    assert Cursor.parse(cursor).end == "2024-01-01 00:00:00"


def test_a_crowded_window_halves_the_next_one(shop):
    for n in range(9):
        shop.add_customer(f"c{n}@example.com", updated_at=f"2024-01-01 00:{n:02d}:00")
    system = make_system(shop, start="2024-01-01 00:00:00", window_s=3600)
    extract_all(system, "customer", page_size=2)
    first, second = windows_read(shop, "customer.list")[:2]
    assert first == ("2024-01-01 00:00:00", "2024-01-01 01:00:00")
    assert second == ("2024-01-01 01:00:00", "2024-01-01 01:30:00")


def test_a_cursor_this_system_did_not_write_is_a_config_error():
    with pytest.raises(ConfigError, match=re.escape("Invalid Magento 1 cursor 'last tuesday': expected the JSON "
                                                    "cursor of a pull or a UTC time")):
        Cursor.parse("last tuesday")
    assert Cursor.parse("2024-05-01T12:00:00+02:00").end == "2024-05-01 10:00:00"


def test_orders_come_out_whole_with_their_string_values_typed(shop):
    shop.add_order(increment_id="000000042", customer_email="jane@example.com", updated_at="2024-01-01 01:00:00",
                   items=[{"sku": "SKU-1", "qty_ordered": 2, "price": 12.5, "name": "Mug"}],
                   shipping_address={"postcode": "01234", "street": ["Main St 1", "Floor 2"]})
    [order], cursor = extract_all(make_system(shop, start="2024-01-01 00:00:00"), "order")

    assert (order["increment_id"], order["order_id"], order["grand_total"]) == ("000000042", 1, 30)
    assert (order["created_at"], order["customer_is_guest"]) == ("2024-01-01T01:00:00+00:00", False)
    assert order["shipping_address"]["street"] == ["Main St 1", "Floor 2"]
    assert order["shipping_address"]["postcode"] == "01234"
    item = order["items"][0]
    assert (item["item_id"], item["sku"], item["qty_ordered"], item["price"], item["parent_item_id"]) == (
        1, "SKU-1", 2, 12.5, None)
    assert type(item["qty_ordered"]) is int and type(order["subtotal"]) is int  # "25.0000": whole
    assert order["payment"]["method"] == "checkmo" and order["status_history"] == []
    assert Cursor.parse(cursor).end == T0


def test_products_come_out_as_info_returns_them_and_customers_typed(shop):
    shop.add_product("SKU-1", price=12.5, status=2, updated_at="2024-01-01 01:00:00")
    shop.add_customer("ada@example.com", dob="1980-02-03 00:00:00", gender=2, updated_at="2024-01-01 01:00:00",
                      addresses=[{"firstname": "Ada", "lastname": "Lovelace", "street": ["12 Analytical St"],
                                  "city": "London", "region_id": 0, "country_id": "GB", "default_billing": True}])
    system = make_system(shop, start="2024-01-01 00:00:00")

    [product], _ = extract_all(system, "product")
    [customer], _ = extract_all(system, "customer")

    assert (product["product_id"], product["sku"], product["price"], product["status"]) == (1, "SKU-1", 12.5, 2)
    assert (product["set"], product["websites"], product["updated_at"]) == (4, [1], "2024-01-01T01:00:00+00:00")
    assert (customer["customer_id"], customer["dob"], customer["gender"], customer["is_active"]) == (
        1, "1980-02-03", 2, True)
    [address] = customer["addresses"]  # customer_address.list, per customer
    assert (address["customer_address_id"], address["street"], address["region_id"]) == (1, ["12 Analytical St"], 0)
    assert (address["is_default_billing"], address["is_default_shipping"]) == (True, False)
    assert shop.calls_of("catalog_product.info") == [["1", None, None, "id"]]


def test_stock_comes_out_for_the_named_skus_or_every_product(shop):
    shop.add_product("SKU-1", qty=5)
    shop.add_product("SKU-2", qty=0, is_in_stock=False)
    system = make_system(shop)
    every, _ = extract_all(system, "inventory")
    named, _ = extract_all(system, "inventory", refs=["SKU-2@default"])
    assert every == [{"product_id": 1, "sku": "SKU-1", "qty": 5.0, "is_in_stock": True},
                     {"product_id": 2, "sku": "SKU-2", "qty": 0.0, "is_in_stock": False}]
    assert named == every[1:]


# Loads --------------------------------------------------------------------------------------------

def customer_item(email: str, first: str = "Ada", **native) -> LoadItem:
    return LoadItem(email, {"email": email, "first_name": first, "last_name": "Lovelace", "gender": "female"},
                    native)


def test_customers_are_created_then_updated_by_email_within_their_website(shop):
    system = make_system(shop)
    assert system.load("customer", [customer_item("ada@example.com")]) == [None]
    assert system.load("customer", [customer_item("ada@example.com", "Augusta", taxvat="GB123")]) == [None]
    assert system.load("customer", [customer_item("ada@example.com", website_id=2)]) == [None]

    first, other_website = shop.tables.customers.values()
    assert (first["firstname"], first["gender"], first["taxvat"], first["website_id"]) == ("Augusta", "2", "GB123",
                                                                                          "1")
    assert other_website["website_id"] == "2"
    assert len(shop.calls_of("customer.create")) == 2 and len(shop.calls_of("customer.update")) == 1


def test_the_emulator_answers_address_calls_with_openmages_faults_and_validation(shop):
    client = make_system(shop).client
    customer = client.call("customer.create", {"email": "ada@example.com", "firstname": "Ada", "lastname": "L",
                                               "website_id": 1})
    with pytest.raises(NotFoundError, match=r"customer_address.create with fault 101 \(customer_not_exists\)"):
        client.call("customer_address.create", 999, {"firstname": "Ada"})
    with pytest.raises(NotFoundError, match=r"fault 102 \(not_exists\): Address not exists."):
        client.call("customer_address.update", 999, {"city": "London"})
    with pytest.raises(FatalError, match="fault 100 \\(data_invalid\\): Please enter the street.\n"
                                         "Please enter the telephone number.\nPlease enter the state/province."):
        client.call("customer_address.create", customer, {"firstname": "Ada", "lastname": "L", "city": "Boston",
                                                          "postcode": "02110", "country_id": "US"})
    address = client.call("customer_address.create", customer, {
        "firstname": "Ada", "lastname": "L", "street": ["1 Main St", "Flat 2"], "city": "London", "postcode": "N1",
        "country_id": "GB", "telephone": "0", "is_default_billing": True})
    assert client.call("customer_address.info", address)["street"] == "1 Main St\nFlat 2"
    assert client.call("customer_address.list", customer)[0]["is_default_billing"] is True
    assert client.call("customer_address.delete", address) is True
    assert client.call("customer_address.list", customer) == []


def test_a_customers_addresses_are_made_to_match_and_a_repeated_load_writes_none(shop):
    system = make_system(shop)
    home = {"first_name": "Ada", "last_name": "L", "street": ["1 Main St"], "city": "London", "postcode": "N1",
            "country_code": "GB", "telephone": "0", "default_billing": True, "default_shipping": True}
    work = {**home, "street": ["2 Work Rd"], "default_billing": False, "default_shipping": False}
    item = customer_item("ada@example.com")

    def load(*addresses: dict) -> list:
        return system.load("customer", [LoadItem(item.key, {**item.data, "addresses": list(addresses)}, {})])

    assert load(home, work) == [None]
    assert load(home, work) == [None]
    assert [len(shop.calls_of(f"customer_address.{m}")) for m in ("create", "update", "delete")] == [2, 0, 0]
    assert load({**home, "telephone": "1"}) == [None]  # work gone, home's phone changed

    [customer] = shop.tables.customers.values()
    assert [(a["street"], a["telephone"]) for a in customer["addresses"]] == [("1 Main St", "1")]
    assert customer["default_billing"] == customer["addresses"][0]["entity_id"]
    assert [len(shop.calls_of(f"customer_address.{m}")) for m in ("create", "update", "delete")] == [2, 1, 1]


def test_the_directory_lists_countries_and_regions_with_openmages_shape_and_faults(shop):
    client = make_system(shop).client
    assert {"country_id": "US", "iso2_code": "US", "iso3_code": "USA", "name": "United States"} in \
        client.call("directory_country.list")
    assert client.call("region.list", "DEU") == [{"region_id": "82", "code": "BAY", "name": "Bayern"},
                                                 {"region_id": "88", "code": "BER", "name": "Berlin"}]
    assert client.call("directory_region.list", "GB") == []
    with pytest.raises(NotFoundError, match=r"fault 101 \(country_not_exists\): Country not exists\.$"):
        client.call("directory_region.list", "ZZ")
    with pytest.raises(NotFoundError, match=r"fault 101 \(country_not_exists\): Invalid country code: USAX\.$"):
        client.call("directory_region.list", "USAX")


def test_address_regions_resolve_to_region_ids_read_once_per_country_per_connection(shop):
    system = make_system(shop)
    home = {"first_name": "Ada", "last_name": "L", "street": ["1 Main St"], "city": "Austin", "postcode": "73301",
            "country_code": "US", "region": "texas", "telephone": "0"}
    items = [LoadItem(email, {**customer_item(email).data, "addresses": [{**home, "region": region}]}, {})
             for email, region in (("a@example.com", "texas"), ("b@example.com", "CA"), ("c@example.com", "Oz"))]

    outcomes = system.load("customer", items)
    assert outcomes[:2] == [None, None] and isinstance(outcomes[2], RecordError)
    assert "region 'Oz' is not one of the shop's regions of US" in str(outcomes[2])
    stored = [(a["region_id"], a["region"]) for c in shop.tables.customers.values() for a in c["addresses"]]
    assert stored == [("57", "Texas"), ("12", "California")]
    assert system.load("customer", items[:1]) == [None]  # matched as stored: nothing written
    assert shop.calls_of("directory_region.list") == [["US"]]
    assert len(shop.calls_of("customer_address.update")) == 0


def product_item(sku: str, **native) -> LoadItem:
    return LoadItem(sku, {"sku": sku, "name": "Mug", "price": "12.50", "status": "enabled"}, native)


def test_products_are_updated_by_sku_or_created_with_what_a_create_needs(shop):
    shop.add_product("SKU-1", price=10)
    system = make_system(shop)
    outcomes = system.load("product", [product_item("SKU-1"), product_item("SKU-2", weight=1, tax_class_id=2),
                                       product_item("SKU-3")])

    assert outcomes[:2] == [None, None]
    assert shop.tables.products["SKU-1"]["price"] == "12.5000"
    created = shop.tables.products["SKU-2"]
    assert (created["description"], created["short_description"], created["visibility"]) == ("Mug", "Mug", "4")
    assert str(outcomes[2]) == ('Magento 1 answered catalog_product.create with fault 102 (data_invalid): '
                                'Attribute "tax_class_id" is invalid.\nAttribute "weight" is invalid.')
    assert shop.calls_of("catalog_product.create")[0][:3] == ["simple", 4, "SKU-2"]


def test_stock_is_set_by_sku_and_unknown_skus_or_other_sources_fail_alone(shop):
    shop.add_product("SKU-1", qty=5)
    outcomes = make_system(shop).load("inventory", [
        LoadItem("SKU-1@default", {"sku": "SKU-1", "source_code": "default", "quantity": "0"}, {}),
        LoadItem("NOPE@default", {"sku": "NOPE", "source_code": "default", "quantity": "3"}, {}),
        LoadItem("SKU-1@eu", {"sku": "SKU-1", "source_code": "eu", "quantity": "3"}, {})])

    assert outcomes[0] is None
    assert shop.tables.products["SKU-1"]["stock"] == {"item_id": "1", "qty": "0.0000", "is_in_stock": "0"}
    assert isinstance(outcomes[1], NotFoundError)
    assert str(outcomes[1]).endswith("fault 101 (not_exists): Product not exists.")
    assert isinstance(outcomes[2], RecordError)
    assert str(outcomes[2]) == ("Inventory record 'SKU-1@eu' names source 'eu', but Magento 1 keeps one stock per "
                                "product (source 'default').")


def paid_order(shop: Magento1Emulator) -> dict:
    return shop.add_order(increment_id="100000007", items=[{"sku": "SKU-1", "qty_ordered": 2, "price": 10},
                                                           {"sku": "SKU-2", "qty_ordered": 1, "price": 5}])


def document(entity: str, key: str, lines=None, **data) -> LoadItem:
    return LoadItem(key, {f"{entity}_number": key, "order_number": "100000007", "lines": lines, **data}, {})


def test_an_invoice_is_created_once_however_often_it_is_delivered(shop):
    paid_order(shop)
    system = make_system(shop)
    partial = [{"sku": "SKU-1", "qty": "1"}]
    assert system.load("invoice", [document("invoice", "INV-1", partial), document("invoice", "INV-2", partial)]) \
        == [None, None]
    assert system.load("invoice", [document("invoice", "INV-1", partial)]) == [None]

    # Two genuine partial invoices of the same quantity stay two; the redelivery added none.
    assert len(shop.tables.invoices) == 2
    assert [i["comments"][0]["comment"] for i in shop.tables.invoices.values()] == ["pipeline: invoice INV-1",
                                                                                 "pipeline: invoice INV-2"]
    assert shop.tables.orders[1]["items"][0]["qty_invoiced"] == "2.0000"


def test_a_shipment_whose_answer_was_lost_gets_its_tracks_on_the_retry_and_stays_one(shop):
    paid_order(shop)
    system = make_system(shop)
    item = document("shipment", "SH-1", [{"sku": "SKU-1", "qty": "2"}],
                    tracks=[{"carrier_code": "ups", "title": "UPS", "track_number": "1Z1"},
                            {"carrier_code": "custom", "track_number": "T-2"}])
    shop.drop_after_once("sales_order_shipment.create")

    [lost] = system.load("shipment", [item])
    assert isinstance(lost, RetryableError)
    assert system.load("shipment", [item]) == [None]
    assert system.load("shipment", [item]) == [None]

    [shipment] = shop.tables.shipments.values()
    assert [(t["carrier_code"], t["title"], t["track_number"]) for t in shipment["tracks"]] == [
        ("ups", "UPS", "1Z1"), ("custom", "custom", "T-2")]
    assert [(i["sku"], i["qty"]) for i in shipment["items"]] == [("SKU-1", "2.0000")]
    assert len(shop.calls_of("sales_order_shipment.addTrack")) == 2


def test_credit_memos_are_created_once_and_an_adjustment_refunds_no_item(shop):
    paid_order(shop)
    system = make_system(shop)
    assert system.load("invoice", [document("invoice", "INV-1")]) == [None]  # everything
    refund = document("credit_memo", "CM-1", [{"sku": "SKU-2", "qty": "1"}], shipping_amount="0")
    adjustment = document("credit_memo", "CM-2", [], adjustment_positive="3.50")
    shop.drop_after_once("sales_order_creditmemo.create")

    assert isinstance(system.load("credit_memo", [refund])[0], RetryableError)
    assert system.load("credit_memo", [refund, adjustment, refund]) == [None, None, None]

    first, second = shop.tables.creditmemos.values()
    assert [(i["sku"], i["qty"]) for i in first["items"]] == [("SKU-2", "1.0000")]
    assert (second["items"], second["grand_total"]) == ([], "3.5000")
    assert shop.calls_of("sales_order_creditmemo.create")[1][1] == {
        "qtys": [{"order_item_id": 1, "qty": 0}, {"order_item_id": 2, "qty": 0}], "shipping_amount": 0,
        "adjustment_positive": 3.5}


def test_a_refund_without_a_shipping_amount_refunds_the_rest_of_the_shipping_as_magento_does(shop):
    order = paid_order(shop)  # 5.00 of shipping, in EUR
    assert make_system(shop).load("invoice", [document("invoice", "INV-1")]) == [None]
    item = order["items"][0]["item_id"]
    proxy = xmlrpc.client.ServerProxy(shop.endpoint)
    session = proxy.login("sync", API_KEY)

    def refund(**data):
        return proxy.call(session, "sales_order_creditmemo.create",
                          ["100000007", {"qtys": [{"order_item_id": item, "qty": 1}], **data}])

    refund(shipping_amount=2)
    with pytest.raises(xmlrpc.client.Fault) as raised:
        refund(shipping_amount=4)
    assert (raised.value.faultCode, raised.value.faultString) == (
        1, "Maximum shipping amount allowed to refund is: €3.00")
    refund()
    memos = sorted(shop.tables.creditmemos.values(), key=lambda memo: int(memo["entity_id"]))
    assert [(memo["shipping_amount"], memo["grand_total"]) for memo in memos] == [
        ("2.0000", "12.0000"), ("3.0000", "13.0000")]


def test_documents_of_a_missing_order_or_sku_fail_alone_with_their_names(shop):
    paid_order(shop)
    outcomes = make_system(shop).load("invoice", [
        LoadItem("INV-9", {"invoice_number": "INV-9", "order_number": "999"}, {}),
        document("invoice", "INV-1", [{"sku": "NOPE", "qty": "1"}])])
    assert isinstance(outcomes[0], NotFoundError)
    assert str(outcomes[0]) == "Order '999' of invoice 'INV-9' does not exist in Magento 1."
    assert isinstance(outcomes[1], RecordError)
    assert str(outcomes[1]) == "Invoice 'INV-1': order '100000007' has no item with SKU 'NOPE'."
    assert shop.tables.invoices == {}
