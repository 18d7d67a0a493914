"""Audiences and their members, as Mailchimp keeps and answers them (schema ``List_Members``).

``PUT .../members/{hash}`` is an upsert: a new address gets ``status_if_new``; an existing member
keeps its status unless ``status`` is sent, and gets the merge fields sent (others are kept).
``PATCH`` changes an existing member only, its address included.
``last_changed`` moves only when something changed, so repeating a load changes nothing.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import itertools
import re
from collections import Counter
from dataclasses import dataclass, field

from pipeline.testing.mailchimp.problems import (
    FAKE_EMAIL,
    MERGE_DETAIL,
    VALIDATION_DETAIL,
    Problem,
    invalid,
    not_found,
)

#: The merge fields of a new audience, by tag (Mailchimp's defaults plus the ones the connector fills).
DEFAULT_MERGE_FIELDS = {"FNAME": "text", "LNAME": "text", "ADDRESS": "address", "PHONE": "phone",
                        "BIRTHDAY": "birthday"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_BIRTHDAY = re.compile(r"^(0[1-9]|1[0-2])/(0[1-9]|[12][0-9]|3[01])$")
#: Fields of the PUT body copied onto the member as they are.
_PLAIN = ("email_type", "language", "vip", "ip_signup", "timestamp_signup", "ip_opt", "timestamp_opt")


def subscriber_hash(email: str) -> str:
    return hashlib.md5(email.lower().encode()).hexdigest()


@dataclass
class Audience:
    id: str
    name: str = "Newsletter"
    #: Tag -> type (text, phone, address, birthday); tags in ``required`` must be given to new members.
    merge_fields: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_MERGE_FIELDS))
    required: set[str] = field(default_factory=set)
    members: dict[str, dict] = field(default_factory=dict)
    #: Subscriber hash -> how many times the member was created / changed.
    creations: Counter = field(default_factory=Counter)
    writes: Counter = field(default_factory=Counter)
    #: Addresses Mailchimp refuses as fake (its 400 "looks fake or invalid").
    rejected_emails: set[str] = field(default_factory=set)
    _tag_ids: itertools.count = field(default_factory=lambda: itertools.count(1001))

    def info(self) -> dict:
        return {"id": self.id, "name": self.name, "stats": {"member_count": len(self.members)}}

    def member(self, member_hash: str) -> dict:
        found = self.members.get(member_hash.lower())
        if found is None:
            raise not_found()
        return found

    def upsert(self, member_hash: str, body: dict, now: str) -> dict:
        email = str(body["email_address"]).strip()
        self._check_email(email, member_hash)
        key = subscriber_hash(email)
        existing = self.members.get(key)
        merge = self._merge_fields(body.get("merge_fields") or {}, new=existing is None)
        record = copy.deepcopy(existing) if existing else self._new(key, email, body["status_if_new"], now)
        record["merge_fields"].update(merge)
        record.update({name: body[name] for name in _PLAIN if name in body})
        if existing is not None and body.get("status"):
            record["status"] = body["status"]
        if record != existing:
            record["last_changed"] = now
            self.members[key] = record
            self.writes[key] += 1
            self.creations[key] += existing is None
        return self.members[key]

    def patch(self, member_hash: str, body: dict, now: str) -> dict:
        """``PATCH .../members/{hash}``: what is sent changes, on an existing member only.

        A new ``email_address`` changes the member's address: the member (its history, tags and
        status) is then found under the new address's hash. An address another member has is
        refused, as is one that looks fake.
        """
        existing = self.member(member_hash)
        record = copy.deepcopy(existing)
        email = str(body.get("email_address") or existing["email_address"]).strip()
        key = subscriber_hash(email)
        if key != existing["id"]:
            if not _EMAIL.match(email) or email.lower() in self.rejected_emails:
                raise invalid(FAKE_EMAIL.format(email=email))
            if key in self.members:
                # [unverified] title and wording, after POST's "Member Exists" answer.
                raise Problem(400, "Member Exists", f"{email} is already a list member.")
            record.update(id=key, email_address=email)
        record["merge_fields"].update(self._merge_fields(body.get("merge_fields") or {}, new=False))
        record.update({name: body[name] for name in _PLAIN if name in body})
        if body.get("status"):
            record["status"] = body["status"]
        if record != existing:
            record["last_changed"] = now
            del self.members[existing["id"]]
            self.members[key] = record
            self.writes[key] += 1
        return record

    def set_tags(self, member_hash: str, tags: list[dict], now: str) -> None:
        record = self.member(member_hash)
        names = {tag["name"]: tag for tag in record["tags"]}
        for tag in tags:
            if tag["status"] == "active" and tag["name"] not in names:
                names[tag["name"]] = {"id": next(self._tag_ids), "name": tag["name"]}
            elif tag["status"] == "inactive":
                names.pop(tag["name"], None)
        if list(names.values()) != record["tags"]:
            record.update(tags=list(names.values()), tags_count=len(names), last_changed=now)
            self.writes[record["id"]] += 1

    def listing(self, query: dict[str, str]) -> dict:
        """``GET /lists/{id}/members``: filtered, sorted, then ``count`` from ``offset``."""
        rows = list(self.members.values())
        since, before = query.get("since_last_changed"), query.get("before_last_changed")
        # Strict bounds, as Mailchimp describes them ("changed after" / "before" the time).
        rows = [row for row in rows if (not since or row["last_changed"] > _utc(since))
                and (not before or row["last_changed"] < _utc(before))]
        if query.get("status"):
            rows = [row for row in rows if row["status"] == query["status"]]
        sort = query.get("sort_field") or "last_changed"
        rows.sort(key=lambda row: (row.get(sort) or "", row["id"]), reverse=query.get("sort_dir") == "DESC")
        count, offset = int(query.get("count") or 10), int(query.get("offset") or 0)
        return {"members": copy.deepcopy(rows[offset:offset + count]), "list_id": self.id,
                "total_items": len(rows), "_links": []}

    def _check_email(self, email: str, member_hash: str) -> None:
        if not _EMAIL.match(email) or email.lower() in self.rejected_emails:
            raise invalid(FAKE_EMAIL.format(email=email))
        if member_hash.lower() not in (subscriber_hash(email), email.lower()):
            # [unverified] wording; the path accepts the hash or the address itself (CONTRACTS 3.2).
            message = "The email address does not match the subscriber hash."
            raise invalid(VALIDATION_DETAIL, [{"field": "email_address", "message": message}])

    def _merge_fields(self, values: dict, *, new: bool) -> dict:
        schema_errors, merge_errors = [], []
        for tag, value in values.items():
            kind = self.merge_fields.get(tag)
            if kind is None:
                continue  # Mailchimp ignores merge tags the audience does not have [unverified]
            if not isinstance(value, dict if kind == "address" else str):
                schema_errors.append({"field": f"merge_fields.{tag}",
                                      "message": "Data did not match any of the schemas described in anyOf."})
            elif problem := _merge_problem(kind, value):
                merge_errors.append({"field": tag, "message": problem})
        if new:
            merge_errors += [{"field": tag, "message": "Please enter a value"}
                             for tag in sorted(self.required) if not values.get(tag)]
        if schema_errors:
            raise invalid(VALIDATION_DETAIL, schema_errors)
        if merge_errors:
            raise invalid(MERGE_DETAIL, merge_errors)
        return {tag: value for tag, value in values.items()}

    def _new(self, key: str, email: str, status: str, now: str) -> dict:
        return {"id": key, "email_address": email, "unique_email_id": key[:10], "contact_id": key,
                "full_name": "", "web_id": int(key[:6], 16), "email_type": "html", "status": status,
                "merge_fields": {tag: "" for tag in self.merge_fields}, "interests": {},
                "stats": {"avg_open_rate": 0, "avg_click_rate": 0}, "ip_signup": "", "timestamp_signup": "",
                "ip_opt": "", "timestamp_opt": now if status == "subscribed" else "", "member_rating": 2,
                "last_changed": now, "language": "", "vip": False, "email_client": "",
                "location": {"latitude": 0, "longitude": 0, "gmtoff": 0, "dstoff": 0, "country_code": "",
                             "timezone": ""},
                "source": "API - Generic", "tags_count": 0, "tags": [], "list_id": self.id}


def _merge_problem(kind: str, value: object) -> str | None:
    # [unverified] the birthday wording; the address one is observed (verbb/formie#2387).
    if kind == "address" and not all(str(value.get(part) or "").strip() for part in ("addr1", "city", "zip")):
        return "Please enter a complete address"
    if kind == "birthday" and value and not _BIRTHDAY.match(value):
        return "Please enter a valid birthday (MM/DD)"
    return None


def _utc(value: str) -> str:
    """A query time as stored times read (``+00:00``, to the second), so that strings compare."""
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        problem = {"field": "", "message": f"Not an ISO 8601 time: {value!r}"}
        raise invalid(VALIDATION_DETAIL, [problem]) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat()
