"""Drop folders: CSV and JSON Lines files in a directory, read as a source and written as a target.

Layout under the connection's directory (``PIPELINE_<CONNECTION>_DIR``)::

    <dir>/<entity>/*.csv | *.jsonl      records to extract, oldest file first
    <dir>/<entity>/<entity>-<digest>.jsonl   records loaded (``PIPELINE_<CONNECTION>_FORMAT=csv`` for CSV)

Extraction streams line by line, so memory stays flat whatever the file size; a line that
cannot be read fails alone, naming its file and line (``pipeline.systems.file_rows``). Files are
read in ``PIPELINE_<CONNECTION>_ENCODING`` (default UTF-8, a byte-order mark dropped) and CSV
cells split on ``PIPELINE_<CONNECTION>_DELIMITER`` (default ``,``; ``tab`` for tabs). The cursor is the
modification time and name of the last file read: an incremental pull reads only newer files.
A loaded batch is written atomically to a file named after the digest of its keys, so a
redelivered message rewrites the same file instead of adding a second copy.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from itertools import islice
from pathlib import Path

from pipeline.errors import ConfigError, RetryableError
from pipeline.systems.base import LoadItem, Page, connection_env
from pipeline.systems.file_rows import csv_rows, json_lines

#: File endings the source reads.
READABLE = (".csv", ".jsonl")


class FilesSystem:
    """A directory of CSV / JSON Lines files."""

    name = "files"
    #: Fields of a source record holding its own id (the first present wins): a record without its
    #: natural key is named ``<system>:<id>`` (``pipeline.systems.fallback_key``).
    id_fields = ("id", "Id", "ID")

    def __init__(self, directory: Path, output_format: str = "jsonl", encoding: str = "utf-8",
                 delimiter: str = ",") -> None:
        self.directory = directory
        self.output_format = output_format
        #: Of the files read (files written are UTF-8, without a byte-order mark).
        self.encoding = encoding
        #: Of the CSV files read and written.
        self.delimiter = delimiter

    @classmethod
    def from_env(cls, connection: str, environ: Mapping[str, str]) -> FilesSystem:
        directory = connection_env(connection, environ, "DIR") or os.path.join("var", connection)
        encoding = connection_env(connection, environ, "ENCODING") or "utf-8"
        delimiter = connection_env(connection, environ, "DELIMITER") or ","
        delimiter = {"tab": "\t", "\\t": "\t"}.get(delimiter.lower(), delimiter)
        prefix = f"PIPELINE_{connection.upper()}_"
        problems = []
        try:
            codecs.lookup(encoding)
        except LookupError:
            problems.append(f"{prefix}ENCODING={encoding!r} is not an encoding Python knows (e.g. utf-8, cp1252, "
                            "latin-1).")
        if len(delimiter) != 1 or delimiter in "\"\r\n":
            problems.append(f"{prefix}DELIMITER={delimiter!r} must be one character (e.g. ';', or 'tab').")
        if problems:
            raise ConfigError(f"The files connection {connection!r} is misconfigured: " + " ".join(problems))
        return cls(Path(directory), (connection_env(connection, environ, "FORMAT") or "jsonl").lower(), encoding,
                   delimiter)

    def check(self) -> str:
        """The folder is there and usable; or it does not exist yet (a load creates it)."""
        if not self.directory.exists():
            return f"folder {self.directory} does not exist yet (a load creates it; a pull finds nothing)"
        if not self.directory.is_dir() or not os.access(self.directory, os.R_OK | os.W_OK | os.X_OK):
            raise ConfigError(f"{self.directory} is not a folder this process can read and write.")
        return f"folder {self.directory} is readable and writable"

    def extract(self, entity: str, *, since: str | None, refs: Sequence[str] | None,
                page_size: int) -> Iterator[Page]:
        for path, marker in self._files_since(entity, since):
            rows = self._rows(path)
            while page := list(islice(rows, page_size)):
                yield Page(records=page, cursor=marker)

    def load(self, entity: str, items: Sequence[LoadItem]) -> list[Exception | None]:
        folder = self.directory / entity
        digest = hashlib.sha1("\n".join(sorted(item.key for item in items)).encode()).hexdigest()[:16]
        target = folder / f"{entity}-{digest}.{self.output_format}"
        rows = [{**item.data, **item.native} for item in items]
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._write_atomically(target, rows)
        except OSError as error:
            failure = RetryableError(f"Cannot write {target}: {error.strerror}.", system=self.name)
            return [failure] * len(items)
        return [None] * len(items)

    def _files_since(self, entity: str, since: str | None) -> Iterator[tuple[Path, str]]:
        folder = self.directory / entity
        if not folder.is_dir():
            return
        found = []
        for path in folder.iterdir():
            if path.suffix in READABLE and path.is_file():
                # Zero-padded so that markers compare in time order as strings.
                found.append((f"{path.stat().st_mtime_ns:020d}|{path.name}", path))
        for marker, path in sorted(found):
            if since is None or marker > since:
                yield path, marker

    def _rows(self, path: Path) -> Iterator[dict]:
        # Each line that cannot be read becomes a record of its own that fails alone, naming its line.
        if path.suffix == ".csv":
            return csv_rows(path, self.encoding, self.delimiter)
        return json_lines(path, self.encoding)

    def _write_atomically(self, target: Path, rows: list[dict]) -> None:
        handle = tempfile.NamedTemporaryFile("w", dir=target.parent, delete=False, suffix=".tmp",
                                             newline="", encoding="utf-8")
        with handle:
            if self.output_format == "csv":
                columns = sorted({column for row in rows for column in row})
                writer = csv.DictWriter(handle, fieldnames=columns, delimiter=self.delimiter)
                writer.writeheader()
                for row in rows:
                    writer.writerow({k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in row.items()})
            else:
                for row in rows:
                    handle.write(json.dumps(row, sort_keys=True) + "\n")
        os.replace(handle.name, target)
