"""The files system reads every readable line, and fails each bad one alone, naming its file and line."""

from __future__ import annotations

import pytest

from pipeline.errors import ConfigError
from pipeline.systems.base import INVALID_RECORD
from pipeline.systems.files import FilesSystem

GOOD = '{"Email": "a@example.com", "First": "A"}'


def read(tmp_path, name: str, content: bytes, **environ) -> list[dict]:
    folder = tmp_path / "customer"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(content)
    system = FilesSystem.from_env("erp", {"PIPELINE_ERP_DIR": str(tmp_path), **environ})
    return [record for page in system.extract("customer", since=None, refs=None, page_size=100)
            for record in page.records]


def errors(records: list[dict]) -> list[str]:
    return [record[INVALID_RECORD] for record in records if INVALID_RECORD in record]


def test_every_bad_json_line_fails_alone_with_its_line_number(tmp_path):
    lines = [GOOD, "5", "null", "true", "[1, 2]", '"text"', '{"Email": ' + "[" * 5000 + "]" * 5000 + "}",
             '{"Email": "nan@example.com", "Score": NaN}', '{"Email": ', "", GOOD.replace("a@", "b@")]
    records = read(tmp_path, "c.jsonl", ("\n".join(lines) + "\n").encode())

    assert errors(records) == [
        "c.jsonl line 2: a JSON number where a record (a JSON object) belongs.",
        "c.jsonl line 3: a JSON null where a record (a JSON object) belongs.",
        "c.jsonl line 4: a JSON boolean where a record (a JSON object) belongs.",
        "c.jsonl line 5: a JSON list where a record (a JSON object) belongs.",
        "c.jsonl line 6: a JSON string where a record (a JSON object) belongs.",
        "c.jsonl line 7: nested too deeply to read (about 1,000 levels or more).",
        "c.jsonl line 8: NaN is not a JSON number; write it as a string or leave the field out.",
        "c.jsonl line 9: not valid JSON (Expecting value).",
    ]
    assert [r["Email"] for r in records if INVALID_RECORD not in r] == ["a@example.com", "b@example.com"]
    assert records[1]["_line"] == "5"  # the line itself is kept for the operator


def test_integers_beyond_64_bits_are_kept_exactly_as_strings_and_infinite_floats_as_written(tmp_path):
    records = read(tmp_path, "c.jsonl",
                   b'{"Id": 123456789012345678901234567890, "Small": 18446744073709551615, "F": 1e999, "G": 1.5}\n')

    assert records == [{"Id": "123456789012345678901234567890", "Small": 18446744073709551615, "F": "1e999",
                        "G": 1.5}]


def test_undecodable_bytes_name_the_line_and_the_setting_to_change(tmp_path):
    content = GOOD.encode() + b'\n{"Email": "b\xe9b@example.com"}\n' + GOOD.encode() + b"\n"

    records = read(tmp_path, "c.jsonl", content)

    assert errors(records) == ["c.jsonl line 2: byte 0xe9 at character 13 is not valid utf-8; if the file is in "
                               "another encoding, set the connection's ENCODING."]
    assert records[1]["_line"] == '{"Email": "b\ufffdb@example.com"}'
    assert read(tmp_path, "c.jsonl", content, PIPELINE_ERP_ENCODING="latin-1")[1] == {"Email": "béb@example.com"}


def test_a_csv_byte_order_mark_does_not_stick_to_the_first_column(tmp_path):
    records = read(tmp_path, "c.csv", "\ufeffCustomerId,Email\r\nC-1,a@example.com\r\n".encode())

    assert records == [{"CustomerId": "C-1", "Email": "a@example.com"}]


def test_every_bad_csv_row_fails_alone_with_its_line_number(tmp_path):
    rows = ["Id;Email;Note", "1;a@example.com;fine", "2;b@example.com;x;extra", "3;c@example.com",
            "4;d@example.com;" + "x" * 140_000, '5;e@example.com;"two\nlines"', "", "6;f@example.com;fine"]
    content = "\n".join(rows).encode() + b"\n7;g\xe9@example.com;latin\n8;h@example.com;last\n"

    records = read(tmp_path, "c.csv", content, PIPELINE_ERP_DELIMITER=";")

    assert errors(records) == [
        "c.csv line 3: 4 cells where the header has 3 (Id, Email, Note).",
        "c.csv line 4: 2 cells where the header has 3 (Id, Email, Note).",
        "c.csv line 5: a cell is longer than 131,072 characters, the CSV field limit.",
        "c.csv line 10: byte 0xe9 at character 4 is not valid utf-8; if the file is in another encoding, set the "
        "connection's ENCODING.",
    ]
    good = [r for r in records if INVALID_RECORD not in r]
    assert [r["Id"] for r in good] == ["1", "5", "6", "8"]
    assert good[1]["Note"] == "two\nlines"


def test_a_csv_header_that_cannot_be_read_fails_the_file_as_one_record(tmp_path):
    records = read(tmp_path, "c.csv", b"Id,Email,Id\n1,a@example.com,2\n")

    assert errors(records) == ["c.csv line 1: the header names 'Id' more than once; no row of this file was read."]


@pytest.mark.parametrize(("name", "value", "message"), [
    ("ENCODING", "utf-9", "PIPELINE_ERP_ENCODING='utf-9' is not an encoding Python knows"),
    ("DELIMITER", ";;", "PIPELINE_ERP_DELIMITER=';;' must be one character"),
])
def test_bad_connection_variables_are_named(tmp_path, name, value, message):
    with pytest.raises(ConfigError, match=message):
        FilesSystem.from_env("erp", {"PIPELINE_ERP_DIR": str(tmp_path), f"PIPELINE_ERP_{name}": value})


def test_tab_separated_files_are_read_with_the_tab_delimiter(tmp_path):
    records = read(tmp_path, "c.csv", b"Id\tEmail\n1\ta@example.com\n", PIPELINE_ERP_DELIMITER="tab")

    assert records == [{"Id": "1", "Email": "a@example.com"}]
