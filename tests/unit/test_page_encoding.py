"""A page is encoded once: the check that it can travel makes the bytes its message carries."""

from __future__ import annotations

import orjson
from dramatiq import Message
from dramatiq.encoder import JSONEncoder

from pipeline.flow.encoding import EncodedPage, OrjsonEncoder, message_class
from pipeline.flow.sendable import sendable
from pipeline.systems.base import INVALID_RECORD

RECORDS = [{"id": 1, "email": "a@example.com", "tags": ["x", "y"]}, {"id": 2, "email": None, "total": 1.5}]


def _message(records) -> Message:
    return message_class(OrjsonEncoder())("normal", "map", (), {"records": records, "batch": "b:0"}, {},
                                          message_id="m", message_timestamp=0)


def test_a_sendable_page_carries_its_encoding_and_its_message_reads_the_same_as_a_plain_lists():
    page = sendable(list(RECORDS), "page 1 of test", lambda record: None)
    assert isinstance(page, EncodedPage) and page == RECORDS and page.json == orjson.dumps(RECORDS)
    assert _message(page).encode() == _message(list(RECORDS)).encode()
    assert Message.decode(_message(page).encode()).kwargs["records"] == RECORDS


def test_the_message_takes_the_pages_bytes_as_they_are_instead_of_encoding_it_again():
    # Bytes that differ from the records prove which one went into the message.
    page = EncodedPage(RECORDS, b'[{"id":"from the page"}]')
    assert orjson.loads(_message(page).encode())["kwargs"]["records"] == [{"id": "from the page"}]


def test_any_other_encoder_sees_a_plain_list():
    page = EncodedPage(RECORDS, b'[{"id":"from the page"}]')
    assert orjson.loads(JSONEncoder().encode({"kwargs": {"records": page}}))["kwargs"]["records"] == RECORDS


def test_a_page_with_a_record_that_cannot_travel_is_not_encoded_whole_and_that_record_fails_alone():
    page = sendable([RECORDS[0], {"id": 2, "big": 2**70}], "page 1 of test", lambda record: str(record["id"]))
    assert not isinstance(page, EncodedPage)
    assert page[0] == RECORDS[0] and "the record '2' cannot be sent" in page[1][INVALID_RECORD]
    assert _message(page).encode()  # the page, as replaced, travels
