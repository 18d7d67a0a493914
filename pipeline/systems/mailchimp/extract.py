"""Reading audience members out of Mailchimp, page by page (entity ``customer``).

Pages come from ``GET /lists/{id}/members`` sorted by ``last_changed`` ascending, ``count`` at a
time, ``offset`` moving until ``total_items`` (CONTRACTS 3.3). Offsets shift when a member that
was already read changes and moves to the end, which would skip the member after it. So the pull
freezes its window at its start (``before_last_changed``): a member that changes leaves the
window, ``total_items`` drops, and the pull reads the window again, skipping what it delivered.
Changes made during the pull belong to the next one.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from urllib.parse import quote

from pipeline.errors import NotFoundError
from pipeline.systems.base import Page
from pipeline.systems.mailchimp.client import MailchimpClient, subscriber_hash
from pipeline.systems.mailchimp.cursor import Cursor, Window

logger = logging.getLogger(__name__)

#: Mailchimp's largest ``count`` (CONTRACTS 3.7).
MAX_COUNT = 1000
#: Passes over a window that kept shrinking before the pull settles for what it read.
MAX_PASSES = 3


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def members_path(list_id: str) -> str:
    return f"/lists/{quote(list_id, safe='')}/members"


def extract_members(client: MailchimpClient, list_id: str, *, since: str | None, refs: Sequence[str] | None,
                    page_size: int, lookback_s: int,
                    clock: Callable[[], dt.datetime] = utc_now) -> Iterator[Page]:
    """Members changed since the cursor ``since`` (all when None), each version delivered once."""
    if refs:
        yield from _by_email(client, list_id, refs, page_size)
        return
    window = Window(Cursor.parse(since), lookback_s)
    # The window ends a second after the pull starts: times are to the second, and the bound is strict.
    frozen = (clock() + dt.timedelta(seconds=1)).astimezone(dt.timezone.utc).replace(microsecond=0)
    params = {"sort_field": "last_changed", "sort_dir": "ASC", "count": max(1, min(page_size, MAX_COUNT)),
              "before_last_changed": frozen.isoformat()}
    if window.start:
        params["since_last_changed"] = window.start
    for attempt in range(1, MAX_PASSES + 1):
        first_total, last_total = yield from _pass(client, list_id, params, window)
        if last_total >= first_total:
            return
        logger.info("Mailchimp audience %r changed during the pull (%d -> %d members in the window); "
                    "reading it again (pass %d).", list_id, first_total, last_total, attempt + 1)


def _pass(client: MailchimpClient, list_id: str, params: dict, window: Window):
    offset, first_total, total = 0, None, 0
    while True:
        body = client.get(members_path(list_id), {**params, "offset": offset})
        members = [_without_links(member) for member in body.get("members") or []]
        total = int(body.get("total_items") or 0)
        first_total = total if first_total is None else first_total
        fresh = [member for member in members if window.is_new(member)]
        if fresh:
            yield Page(records=fresh, cursor=window.cursor())
        offset += len(members)
        if not members or offset >= total:
            return first_total, total


def _by_email(client: MailchimpClient, list_id: str, refs: Sequence[str], page_size: int) -> Iterator[Page]:
    found = []
    for email in refs:
        try:
            found.append(_without_links(client.get(f"{members_path(list_id)}/{subscriber_hash(email)}")))
        except NotFoundError:
            continue
    for start in range(0, len(found), page_size):
        yield Page(records=found[start:start + page_size])


def _without_links(member: dict) -> dict:
    # Hypermedia links are the bulk of a member and mean nothing to a mapping.
    return {name: value for name, value in member.items() if name != "_links"}
