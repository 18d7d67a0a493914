"""The emulators' fixtures reach any test through the installed pytest plugin, with no import."""

from __future__ import annotations

import xmlrpc.client

import pytest
import requests

from pipeline.testing.server import Emulator, Response, route


def test_every_emulator_fixture_is_available_by_name(rest_emulator, magento2_emulator, netsuite_emulator,
                                                     mailchimp_emulator, magento1_emulator):
    for emulator in (rest_emulator, magento2_emulator, netsuite_emulator, mailchimp_emulator, magento1_emulator):
        assert emulator.url.startswith("http://127.0.0.1:")
    assert requests.get(rest_emulator.url + "/customer", timeout=5).status_code == 401  # it checks auth


def test_no_emulator_environ_chooses_the_broker(magento2_emulator, mailchimp_emulator, magento1_emulator,
                                                netsuite_emulator):
    # A worker's broker is its own: an emulator's variables must never switch it to stub://.
    for environ in (magento2_emulator.environ("shop"), mailchimp_emulator.environ("mc"),
                    magento1_emulator.environ("shop"), netsuite_emulator.env("erp")):
        assert environ and all(name.startswith("PIPELINE_") and name != "PIPELINE_BROKER_URL" for name in environ)


class _Buggy(Emulator):
    @route("GET", r"/boom")
    def boom(self, request):
        return Response(200, {"answer": {}["missing"]})


def test_an_exception_inside_a_handler_answers_500_and_is_recorded_as_an_emulator_fault():
    with _Buggy() as emulator:
        answer = requests.get(emulator.url + "/boom", timeout=5)
        assert answer.status_code == 500  # an answer, never a dropped connection a client would retry
        assert emulator.emulator_faults == ["GET /boom: KeyError: 'missing'"]
        with pytest.raises(AssertionError, match=r"_Buggy saw 1 contract problem\(s\):\n  emulator fault: "
                                                 r"GET /boom: KeyError: 'missing'"):
            emulator.assert_contract_kept()


def test_a_vendor_emulators_handler_bug_answers_in_the_vendors_500_envelope(magento1_emulator):
    # An order row the handler cannot read: the emulator's bug, not a Magento fault code.
    magento1_emulator.tables.orders[1] = {"entity_id": "1", "increment_id": "100000001"}
    answer = requests.post(magento1_emulator.endpoint, timeout=5, data=xmlrpc.client.dumps(
        (magento1_emulator_session(magento1_emulator), "sales_order.info", ["100000001"]), "call"))
    assert (answer.status_code, answer.headers["Content-Type"]) == (500, "text/html; charset=UTF-8")
    assert magento1_emulator.emulator_faults == ["POST /api/xmlrpc/: KeyError: 'shipping_address'"]
    magento1_emulator.emulator_faults.clear()


def magento1_emulator_session(emulator) -> str:
    return xmlrpc.client.ServerProxy(emulator.endpoint).login("sync", "s3cret-api-key-0001")
