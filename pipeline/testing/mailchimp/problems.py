"""Mailchimp's problem documents (``application/problem+json``), raised from any handler.

Titles and details are the ones observed from the real API where we have them (CONTRACTS 3.6 and
the public issue threads named beside each); the others are marked [unverified].
"""

from __future__ import annotations

import uuid

from pipeline.testing.server import Response

CONTENT_TYPE = "application/problem+json; charset=utf-8"
ERRORS_DOC = "https://mailchimp.com/developer/marketing/docs/errors/"

#: 400 for a body that fails the schema (drewm/mailchimp-api#179, VingtCinq/python-mailchimp#146).
VALIDATION_DETAIL = ("The resource submitted could not be validated. For field-specific details, "
                     "see the 'errors' array.")
#: 400 for merge field values the audience refuses (ibericode/mailchimp-for-wordpress#545, verbb/formie#2387).
MERGE_DETAIL = "Your merge fields were invalid."
#: 400 for an address Mailchimp will not mail (JustFixNYC/tenants2#1554).
FAKE_EMAIL = "{email} looks fake or invalid, please enter a real email address."
#: 401 for an unknown key, or a key of another data center (the brief; Mailchimp's own wording).
KEY_INVALID = "Your API key may be invalid, or you've attempted to access the wrong datacenter."
KEY_MISSING = "Your request did not include an API key."  # [unverified]
NOT_FOUND = "The requested resource could not be found."
#: [unverified] Mailchimp documents the limit, not the wording.
TOO_MANY = "You have exceeded the limit of 10 simultaneous connections."
#: [unverified]
INTERNAL = "An unexpected internal error has occurred. Please contact Support for more information."
JSON_PARSE = "We encountered an unspecified JSON parsing error."  # [unverified]


class Problem(Exception):
    """An error answer; ``errors`` are ``{field, message}`` pairs of a validation failure."""

    def __init__(self, status: int, title: str, detail: str, errors: list[dict] | None = None) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.errors = status, title, detail, errors

    def document(self, instance: str) -> dict:
        body = {"type": ERRORS_DOC, "title": self.title, "status": self.status, "detail": self.detail,
                "instance": instance}
        if self.errors:
            body["errors"] = self.errors
        return body

    def response(self, dc: str, headers: dict[str, str] | None = None) -> Response:
        # The instance is the request id (CONTRACTS 3.6: equal to X-Request-Id in observed traffic).
        instance = str(uuid.uuid4())
        link = f'<https://{dc}.api.mailchimp.com/schema/3.0/ProblemDetailDocument.json>; rel="describedBy"'
        headers = {"X-Request-Id": instance, "Link": link, **(headers or {})}
        return Response(self.status, self.document(instance), headers, content_type=CONTENT_TYPE)


def invalid(detail: str, errors: list[dict] | None = None) -> Problem:
    return Problem(400, "Invalid Resource", detail, errors)


def not_found() -> Problem:
    return Problem(404, "Resource Not Found", NOT_FOUND)


def key_invalid() -> Problem:
    return Problem(401, "API Key Invalid", KEY_INVALID)


def key_missing() -> Problem:
    return Problem(401, "API Key Missing", KEY_MISSING)


def too_many() -> Problem:
    return Problem(429, "Too Many Requests", TOO_MANY)


def internal(status: int) -> Problem:
    return Problem(status, "Internal Server Error" if status == 500 else "Service Unavailable", INTERNAL)
