"""Files full of bad lines, through real workers: every good line loads, every bad one fails alone.

Each bad line is kept as a failure (and a dead letter) whose error names its file and line; its
page mates load as usual and the run finishes.
"""

from __future__ import annotations

import json

from tests.integration.conftest import start_run, wait_for_run
from tests.integration.test_worker_chain import read_loaded

INTEGRATION = "demo_files_customer"


def customer(email: str, **extra) -> dict:
    return {"CustomerId": "C-1", "Email": email, "First": "F", "Last": "L", "GroupId": "1", "Newsletter": "no",
            "Birthday": "01.02.1990", "Modified": "2026-11-02 09:15:00", "Street": "1 Road", "City": "Town",
            "Zip": "1000", "Country": "DE", "Phone": "", **extra}



def test_a_json_lines_file_with_every_kind_of_bad_line(pipeline_env, workers, runs, tmp_path):
    inbox = tmp_path / "inbox" / "customer"
    inbox.mkdir(parents=True)
    deep_but_readable = {"x": 0}
    for _ in range(300):  # readable JSON, but beyond what the message encoder nests (255)
        deep_but_readable = {"x": deep_but_readable}
    lines = [
        json.dumps(customer("good1@example.com")).encode(),
        b"5", b"null", b"true", b"[1, 2]",
        b'{"Email": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        json.dumps(customer("big@example.com")).replace('"C-1"', "123456789012345678901234567890").encode(),
        json.dumps(customer("b\u00e9b@example.com"), ensure_ascii=False).encode("latin-1"),
        json.dumps(customer("deep@example.com", Extra=deep_but_readable)).encode(),
        b'{"Email": "nan@example.com", "Zip": NaN}',
        b'{"Email": "broken@example.com", "First": ',
        json.dumps(customer("good2@example.com")).encode(),
    ]
    (inbox / "mixed.jsonl").write_bytes(b"\xef\xbb\xbf" + b"\n".join(lines) + b"\n")  # with a byte-order mark
    workers.start()

    summary = wait_for_run(runs, start_run(pipeline_env, INTEGRATION), timeout_s=120)

    assert summary.counts == {"extracted": 12, "loaded": 3, "skipped": 0, "failed": 9}
    loaded = read_loaded(tmp_path / "outbox" / "customer")
    assert sorted(loaded) == ["big@example.com", "good1@example.com", "good2@example.com"]
    assert loaded["big@example.com"]["external_id"] == "123456789012345678901234567890"  # exact
    errors = sorted(failure.error for failure in runs.failures(summary.run_id))
    assert errors == sorted([
        "Invalid customer record: mixed.jsonl line 2: a JSON number where a record (a JSON object) belongs.",
        "Invalid customer record: mixed.jsonl line 3: a JSON null where a record (a JSON object) belongs.",
        "Invalid customer record: mixed.jsonl line 4: a JSON boolean where a record (a JSON object) belongs.",
        "Invalid customer record: mixed.jsonl line 5: a JSON list where a record (a JSON object) belongs.",
        "Invalid customer record: mixed.jsonl line 6: nested too deeply to read (about 1,000 levels or more).",
        "Invalid customer record: mixed.jsonl line 8: byte 0xe9 at character 34 is not valid utf-8; if the file "
        "is in another encoding, set the connection's ENCODING.",
        "Invalid customer record: page 1 of files, record 9: the record 'deep@example.com' cannot be sent "
        "(Recursion limit reached).",
        "Invalid customer record: mixed.jsonl line 10: NaN is not a JSON number; write it as a string or leave "
        "the field out.",
        "Invalid customer record: mixed.jsonl line 11: not valid JSON (Expecting value).",
    ])


def test_a_csv_file_with_every_kind_of_bad_row(pipeline_env, workers, runs, tmp_path):
    inbox = tmp_path / "inbox" / "customer"
    inbox.mkdir(parents=True)
    columns = list(customer("x"))
    rows = [";".join(customer(email).values()) for email in ("good1@example.com", "good2@example.com")]
    content = "\n".join([
        ";".join(columns), rows[0],
        rows[0].replace("good1", "extra") + ";one too many",
        ";".join(list(customer("short@example.com").values())[:5]),
        rows[0].replace("good1", "long").replace("Town", "T" * 140_000),
        rows[1],
    ]).encode() + b"\n" + rows[0].replace("good1", "latin").replace("Town", "T\xf6wn").encode("latin-1") + b"\n"
    (inbox / "mixed.csv").write_bytes(b"\xef\xbb\xbf" + content)
    pipeline_env["PIPELINE_DEMO_INBOX_DELIMITER"] = ";"
    workers.start()

    summary = wait_for_run(runs, start_run(pipeline_env, INTEGRATION), timeout_s=120)

    assert summary.counts == {"extracted": 6, "loaded": 2, "skipped": 0, "failed": 4}
    assert sorted(read_loaded(tmp_path / "outbox" / "customer")) == ["good1@example.com", "good2@example.com"]
    errors = sorted(failure.error for failure in runs.failures(summary.run_id))
    assert errors == sorted([
        "Invalid customer record: mixed.csv line 3: 14 cells where the header has 13 (" + ", ".join(columns) + ").",
        "Invalid customer record: mixed.csv line 4: 5 cells where the header has 13 (" + ", ".join(columns) + ").",
        "Invalid customer record: mixed.csv line 5: a cell is longer than 131,072 characters, the CSV field limit.",
        "Invalid customer record: mixed.csv line 7: byte 0xf6 at character 71 is not valid utf-8; if the file is "
        "in another encoding, set the connection's ENCODING.",
    ])
