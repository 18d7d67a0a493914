"""Mailchimp routes that remove members: archive, and permanent deletion (a mixin of the emulator).

``DELETE /lists/{list_id}/members/{hash}`` archives (204; the member stays, status ``archived``);
``POST /lists/{list_id}/members/{hash}/actions/delete-permanent`` erases (204; the member is gone,
and a later ``PUT`` of the address is refused with 400 "Forgotten Email Not Subscribed", as
Mailchimp refuses to re-import an erased contact until they re-subscribe themselves). An unknown
member is a 404 either way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from pipeline.testing.mailchimp.members import Audience, subscriber_hash
from pipeline.testing.mailchimp.problems import Problem
from pipeline.testing.server import Request, Response, route

#: Mailchimp's answer to re-adding an erased address ([unverified] the exact detail wording).
FORGOTTEN = ("{email} was permanently deleted and cannot be re-imported. The contact must re-subscribe to "
             "get back on the list.")


class MemberRemovalRoutes:
    """Archive and permanently delete audience members."""

    # What the emulator provides.
    _audience: Callable[[str], Audience]
    now: Callable[[], str]

    @property
    def forgotten(self) -> dict[str, set[str]]:
        """List id -> subscriber hashes permanently deleted (never to be imported again)."""
        if not hasattr(self, "_forgotten"):
            self._forgotten = defaultdict(set)
        return self._forgotten

    @route("DELETE", r"/lists/(?P<list_id>[^/]+)/members/(?P<member>[^/]+)")
    def archive_member(self, request: Request, list_id: str, member: str) -> Response:
        record = self._audience(list_id).member(_hash(member))
        if record["status"] != "archived":
            record.update(status="archived", last_changed=self.now())
        return Response(204)

    @route("POST", r"/lists/(?P<list_id>[^/]+)/members/(?P<member>[^/]+)/actions/delete-permanent")
    def delete_member_permanently(self, request: Request, list_id: str, member: str) -> Response:
        audience = self._audience(list_id)
        record = audience.member(_hash(member))
        del audience.members[record["id"]]
        self.forgotten[list_id].add(record["id"])
        return Response(204)

    def refuse_forgotten(self, list_id: str, body: dict) -> None:
        """Raise Mailchimp's 400 when ``body`` would bring back an erased address."""
        email = str(body.get("email_address") or "")
        if subscriber_hash(email) in self.forgotten.get(list_id, ()):
            raise Problem(400, "Forgotten Email Not Subscribed", FORGOTTEN.format(email=email))


def _hash(member: str) -> str:
    # The path takes the subscriber hash, or the address itself (CONTRACTS 3.2).
    return subscriber_hash(member) if "@" in member else member.lower()
