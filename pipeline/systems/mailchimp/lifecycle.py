"""Members whose customer is gone from the shop: archived, or permanently deleted on an erasure.

Mailchimp has two ways to remove a member (CONTRACTS 3; the spec's ``deleteListsIdMembersId`` and
``postListsIdMembersHashActionsDeletePermanent``):

* ``DELETE /lists/{list_id}/members/{hash}`` *archives* the member: no more campaigns, the history
  kept, and the address may be added again later. The ``archived`` event.
* ``POST /lists/{list_id}/members/{hash}/actions/delete-permanent`` erases every piece of personal
  data; Mailchimp refuses to import the address again until the person re-subscribes. The
  ``deleted`` event: what an erasure request (GDPR art. 17) needs.

Removal reads the member first (``GET``): a member already archived, or already gone, is reported
as such without a second request, so a load delivered again after a crash changes nothing.

A customer who left the newsletter in the shop (``is_subscribed: false``) is unsubscribed in
Mailchimp: the ``unsubscribed`` event, when the member was ``subscribed`` or ``pending``. Other
statuses are left alone (``transactional`` never subscribed, ``cleaned`` bounced, ``archived``
removed): the shop's "no" must not bring a removed member back. The member is read first, so a
member already unsubscribed is an ordinary upsert; the ``PUT`` carries ``status``, which Mailchimp
applies to an existing member only.

A customer a full run no longer finds in the shop (``on_missing: delete``) is archived, unless the
connection's ``DELETE=permanent`` says every deletion in this shop is an erasure; an explicit
erasure (``connector erase``) always deletes permanently. A member already gone is reported as
such, not failed: the event's outcome is the same, and a repeated request must not fail.
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from pipeline.errors import NotFoundError
from pipeline.systems.lifecycle import Applied
from pipeline.systems.mailchimp.client import MailchimpClient

#: What the connection's ``DELETE`` makes of a customer gone from the shop.
DELETE_MODES = ("archive", "permanent")
#: Entity -> what ``apply_missing`` can do (``erase`` comes from ``connector erase`` only).
MISSING_ACTIONS = {"customer": ("delete", "erase")}


def member_path(list_id: str, email: str) -> str:
    digest = hashlib.md5(email.strip().lower().encode()).hexdigest()
    return f"/lists/{quote(list_id, safe='')}/members/{digest}"


#: Member statuses an unsubscription in the shop changes to ``unsubscribed``.
UNSUBSCRIBABLE = ("subscribed", "pending")


def stored_member(client: MailchimpClient, list_id: str, email: str) -> dict | None:
    try:
        return client.get(member_path(list_id, email))
    except NotFoundError:
        return None


def remove_member(client: MailchimpClient, list_id: str, email: str, permanent: bool) -> Applied:
    """Archive the member with this address, or delete it permanently; once, however often asked."""
    path = member_path(list_id, email)
    event = "deleted" if permanent else "archived"
    before = stored_member(client, list_id, email)
    if before is None:
        return Applied(event, f"Member {email!r} was not in audience {list_id!r}: nothing to {event[:-1]}.")
    if not permanent and before.get("status") == "archived":
        return Applied(event, f"Member {email!r} was already archived in audience {list_id!r}.")
    try:
        if permanent:
            client.call("POST", f"{path}/actions/delete-permanent")
        else:
            client.call("DELETE", path)
    except NotFoundError:
        # Removed by someone else between our read and our request: the outcome is the same.
        return Applied(event, f"Member {email!r} was not in audience {list_id!r}: nothing to {event[:-1]}.")
    how = "permanently deleted from" if permanent else "archived in"
    return Applied(event, f"Member {email!r} {how} audience {list_id!r}.")


def unsubscribe(client: MailchimpClient, list_id: str, email: str) -> Applied | None:
    """Unsubscribe the member of a customer who left the newsletter in the shop; None when nothing changed."""
    member = stored_member(client, list_id, email)
    if member is None or member.get("status") not in UNSUBSCRIBABLE:
        return None
    client.put(member_path(list_id, email), {"email_address": member["email_address"],
                                             "status_if_new": "unsubscribed", "status": "unsubscribed"})
    return Applied("unsubscribed", f"Member {email!r} unsubscribed in audience {list_id!r} (was "
                                   f"{member['status']}): the customer left the newsletter in the shop.")
