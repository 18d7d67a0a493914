"""Reading CSV and JSON Lines files record by record, where every line that cannot be read fails alone.

A line that is not a record becomes an *unreadable record* (``INVALID_RECORD``) naming the file
and line and saying what is wrong; the map step fails it like any invalid record, it is kept
with its error and an excerpt of the line, and the lines around it are read as usual:

* JSON Lines: broken JSON, a value that is not an object (``5``, ``null``, a list), nesting too
  deep to read, ``NaN``/``Infinity``;
* CSV: a row with more or fewer cells than the header, a cell over the CSV field limit;
* both: bytes that are not valid in the file's encoding.

A UTF-8 byte-order mark is dropped (Excel writes one; it would otherwise stick to the first
column's name). Integers too large for 64 bits are kept as their exact digits, as strings:
the message encoder refuses them, and a float would round them.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path

from pipeline.systems.base import INVALID_RECORD

#: The CSV module's field limit: a longer cell is refused, not read.
CELL_LIMIT = csv.field_size_limit()
#: Characters of a bad line kept with its error, for an operator to see what it was.
EXCERPT = 500
#: How Python decodes bytes invalid in the encoding with ``errors="surrogateescape"``.
_UNDECODABLE = re.compile("[\udc80-\udcff]")
#: What orjson (the message encoder) can send.
_INT_RANGE = (-(2 ** 63), 2 ** 64 - 1)


def codec(encoding: str) -> str:
    """The codec to open a file with: UTF-8 drops a byte-order mark if there is one."""
    return "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding


def json_lines(path: Path, encoding: str = "utf-8") -> Iterator[dict]:
    """The records of a JSON Lines file, one per non-blank line, bad lines as unreadable records."""
    with path.open(encoding=codec(encoding), errors="surrogateescape") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield _json_record(line, f"{path.name} line {number}", encoding)


def csv_rows(path: Path, encoding: str = "utf-8", delimiter: str = ",") -> Iterator[dict]:
    """The rows of a CSV file with a header line, as header -> cell dicts, bad rows as unreadable records."""
    with path.open(encoding=codec(encoding), errors="surrogateescape", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            header = next(reader, None)
        except csv.Error as error:
            header, problem = None, f"the header cannot be read ({error})"
        else:
            problem = _header_problem(header, encoding) if header is not None else None
        if problem:
            # Without a header no row means anything: one unreadable record for the whole file.
            yield unreadable(f"{path.name} line 1: {problem}; no row of this file was read.", "")
            return
        if header is None:
            return
        yield from _csv_records(reader, header, path.name, encoding)


def _csv_records(reader, header: list[str], name: str, encoding: str) -> Iterator[dict]:
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            text = str(error)
            if "field limit" in text:
                text = f"a cell is longer than {CELL_LIMIT:,} characters, the CSV field limit"
            yield unreadable(f"{name} line {start}: {text}.", "")
            continue
        if not row or row == [""]:
            continue  # a blank line
        where = f"{name} line {start}"
        excerpt = reader.dialect.delimiter.join(row)
        bad = _undecodable(excerpt, encoding)
        if bad:
            yield unreadable(f"{where}: {bad}", excerpt)
        elif len(row) != len(header):
            yield unreadable(f"{where}: {len(row)} cells where the header has {len(header)} "
                             f"({', '.join(header)}).", excerpt)
        else:
            yield dict(zip(header, row))


def _header_problem(header: list[str], encoding: str) -> str | None:
    bad = _undecodable(",".join(header), encoding)
    if bad:
        return bad.rstrip(".")
    seen: set[str] = set()
    twice: list[str] = []
    for column in header:
        if column in seen and column not in twice:
            twice.append(column)
        seen.add(column)
    if twice:
        return f"the header names {', '.join(map(repr, twice))} more than once"
    if any(not column.strip() for column in header):
        return "the header has an empty column name"
    return None


def _json_record(line: str, where: str, encoding: str) -> dict:
    bad = _undecodable(line, encoding)
    if bad:
        return unreadable(f"{where}: {bad}", line)
    try:
        value = json.loads(line, parse_int=_exact_int, parse_float=_finite_float, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        return unreadable(f"{where}: not valid JSON ({error.msg}).", line)
    except RecursionError:
        return unreadable(f"{where}: nested too deeply to read (about 1,000 levels or more).", line)
    except ValueError as error:  # raised by the hooks below
        return unreadable(f"{where}: {error}", line)
    if not isinstance(value, dict):
        kind = "null" if value is None else {bool: "boolean", list: "list", str: "string"}.get(type(value), "number")
        return unreadable(f"{where}: a JSON {kind} where a record (a JSON object) belongs.", line)
    return value


def unreadable(error: str, text: str) -> dict:
    """An unreadable record: its error, and the start of its line (undecodable bytes shown as U+FFFD)."""
    record = {INVALID_RECORD: error}
    if text.strip():
        record["_line"] = _UNDECODABLE.sub("\ufffd", text.rstrip("\r\n")[:EXCERPT])
    return record


def _undecodable(text: str, encoding: str) -> str | None:
    found = _UNDECODABLE.search(text)
    if not found:
        return None
    byte = ord(found.group()) - 0xDC00
    return (f"byte 0x{byte:02x} at character {found.start() + 1} is not valid {encoding}; if the file is in "
            "another encoding, set the connection's ENCODING.")


def _exact_int(digits: str) -> int | str:
    value = int(digits)
    # Beyond 64 bits: the exact digits, as a string (to_decimal and the entities read them exactly).
    return value if _INT_RANGE[0] <= value <= _INT_RANGE[1] else digits


def _finite_float(text: str) -> float | str:
    value = float(text)
    return value if math.isfinite(value) else text  # 1e999: kept as written, never as infinity


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number; write it as a string or leave the field out.")
