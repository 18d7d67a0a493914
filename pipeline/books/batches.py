"""The ids under which the books count a batch's share, so a message delivered twice counts once.

A page keeps one batch id from extraction to load (the extract message's id and the page's
number). Each step books the page under an id of its own derived from it; the sender of a
message knows that id and puts it in the message's options (``booked_as``), so whoever books
the message (its step, or ``RunAccounting`` when it fails for good) reads it there instead of
working it out again from the step's arguments.
"""

from __future__ import annotations

from pipeline.systems import fallback_key


def extracted_as(batch: str) -> str:
    """The id of a page's extraction count."""
    return f"{batch}:extract"


def mapped_as(batch: str) -> str:
    """The id of a page's map step (its failures and duplicates)."""
    return f"{batch}:map"


def alone_batch(batch: str, key: str) -> str:
    """The batch id of a record split out of ``batch`` to be retried alone."""
    return f"{batch}/{key}"


def unkeyed(batch: str, index: int) -> str:
    """The name of a record that has no natural key (it could not even be read): where it stood."""
    return f"{batch}#{index}"


def record_name(mapper, source_system: str, record: object, batch: str, index: int) -> str:
    """The key a failed source record is kept under: its natural key, else its source id, else where it stood.

    ``mapper`` is the integration's (``pipeline.mapping.Mapper``: its ``source_key``). The source
    id (``netsuite:103``) keeps a record that always fails under one name from run to run, so it
    has one dead letter instead of one per run.
    """
    return mapper.source_key(record) or fallback_key(source_system, record) or unkeyed(batch, index)
