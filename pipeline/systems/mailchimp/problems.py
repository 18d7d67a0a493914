"""Mailchimp's error documents (``application/problem+json``) as our error classes and messages.

Every error Mailchimp answers carries ``type``, ``title``, ``status``, ``detail`` and ``instance``,
and validation errors add ``errors: [{field, message}]`` (CONTRACTS 3.6). Messages are built
from ``title``, ``detail`` and ``errors``; the status decides the class, never ``type``.
"""

from __future__ import annotations

import json
import logging

import requests

from pipeline.errors import AuthError, FatalError, NotFoundError, RemoteError, RetryableError

logger = logging.getLogger(__name__)

SYSTEM = "mailchimp"


def describe(problem: object) -> str:
    """One readable line from a problem document: ``title: detail`` and each field error.

    >>> describe({"title": "Invalid Resource", "detail": "Your merge fields were invalid.",
    ...           "errors": [{"field": "ADDRESS", "message": "Please enter a complete address"}]})
    'Invalid Resource: Your merge fields were invalid. ADDRESS: Please enter a complete address.'
    """
    if not isinstance(problem, dict):
        return "no problem document in the answer."
    title, detail = (str(problem.get(name) or "").strip() for name in ("title", "detail"))
    text = _sentence(f"{title}: {detail}" if title and detail else title or detail or "no details")
    for error in problem.get("errors") or []:
        if isinstance(error, dict):
            text += " " + _sentence(f"{error.get('field') or 'body'}: {error.get('message') or 'invalid'}")
    return text


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else text + "."


def parse_message(response: requests.Response) -> str:
    """HttpClient's reader of Mailchimp error answers."""
    try:
        problem = response.json()
    except ValueError:
        return f"{response.reason or 'Error'} (the answer was not a problem document)."
    if isinstance(problem, dict):
        # The instance is Mailchimp's request id: what its support asks for. Logged, kept out of
        # error texts so that equal failures read the same.
        logger.info("Mailchimp answered %s %r to %s (instance %s).", problem.get("status"),
                    problem.get("title"), response.request.method if response.request else "?",
                    problem.get("instance"))
    return describe(problem)


def error_for_status(status: int, text: str) -> RemoteError:
    """Our error class for a Mailchimp status; the same rules as ``pipeline.systems.http.error_for``.

    Used for the results of batch operations, which come without an HTTP response of their own.
    """
    if status == 429 or status >= 500:
        return RetryableError(text, system=SYSTEM, status=status)
    if status in (401, 403):
        return AuthError(text, system=SYSTEM, status=status)
    if status == 404:
        return NotFoundError(text, system=SYSTEM, status=status)
    return FatalError(text, system=SYSTEM, status=status)


def operation_error(status: int, response: str, *, batch_id: str, method: str, path: str) -> RemoteError:
    """The error of one failed batch operation, naming the batch so that an operator can find it."""
    try:
        problem = json.loads(response) if response else None
    except ValueError:
        problem = None
    return error_for_status(status, f"{SYSTEM} answered HTTP {status} to {method} {path} in batch "
                                    f"{batch_id}: {describe(problem)}")
