"""A customer whose email changed in the shop: its member's address is changed, not a second member made.

Members are keyed by address (the subscriber hash), so the usual upsert under the new address
would create a second member and leave the old one on the list under the old address. When the
ledger says the record was last sent under another address (``LoadItem.previous_key``, from
``pipeline.flow.previous_keys``), the old member's address is changed first with ``PATCH
/lists/{list_id}/members/{old hash}`` ``{"email_address": new}`` (Mailchimp changes an existing
member's address this way, keeping its history, tags and status); the upsert that follows then
updates that same member.

Nothing is changed when the old member is not there (never created, removed since, or already
moved by a load delivered again after a crash): the upsert creates or updates the new address's
member as usual, so the change is applied once. When the new address already has a member of its
own, the record fails naming both addresses: whether two members are one person, and whose
history to keep, is for a person to decide in Mailchimp.
"""

from __future__ import annotations

from pipeline.errors import FatalError, NotFoundError, RecordError
from pipeline.systems.mailchimp.client import MailchimpClient, subscriber_hash
from pipeline.systems.mailchimp.lifecycle import member_path, stored_member


def move_member(client: MailchimpClient, list_id: str, old: str, new: str) -> None:
    """Give the member of ``old`` the address ``new``, when there is one to move."""
    if subscriber_hash(old) == subscriber_hash(new) or stored_member(client, list_id, old) is None:
        return
    try:
        client.patch(member_path(list_id, old), {"email_address": new})
    except NotFoundError:
        return  # moved or removed by someone else since our read: the upsert does the rest
    except FatalError as error:
        if error.status == 400 and stored_member(client, list_id, new) is not None:
            raise RecordError(
                f"Customer {new!r} changed email from {old!r}, but audience {list_id!r} already has a member "
                f"{new!r}: the member {old!r} was left in place. Merge or archive one of them in Mailchimp, "
                "then load the customer again.",
                {"email": ["Already a member under the new address."]}) from error
        raise
