"""Magento 1's answers as our error classes: XML-RPC faults, HTTP statuses, broken connections.

Faults arrive with HTTP 200 and carry a code and a message; the code's name depends on the
resource (101 is ``filters_invalid`` for customers, ``product_not_exists`` for products), so it
is looked up in the vendored catalogue for the resource called. Messages never carry request
arguments: the session id travels in every call, and the API key in ``login``.
"""

from __future__ import annotations

import re
import xmlrpc.client
from collections.abc import Iterable

from pipeline.errors import AuthError, FatalError, NotFoundError, RemoteError, RetryableError
from pipeline.redaction import redact, redact_url
from pipeline.systems.http import parse_retry_after
from pipeline.systems.magento1.catalogue import ALIASES, GLOBAL_FAULTS, RESOURCES

SYSTEM = "magento1"
SESSION_EXPIRED = 5
ACCESS_DENIED = 2
#: Fault names meaning "the record is not there": upserts create on them.
NOT_FOUND = frozenset({"not_exists", "product_not_exists", "order_not_exists", "customer_not_exists",
                       "country_not_exists"})
#: Fault 1 wraps any PHP exception; these ones pass when the same call is sent again later.
TRANSIENT = re.compile(r"Deadlock found|Lock wait timeout|Serialization failure|MySQL server has gone away",
                       re.IGNORECASE)


class SessionExpiredError(AuthError):
    """Fault 5: the session timed out (or the shop forgot it); a new login is worth one try."""


def resource_of(api_path: str) -> str:
    """The resource of ``resource.method``, aliases resolved (``order.info`` -> ``sales_order``)."""
    resource = api_path.split(".", 1)[0]
    return ALIASES.get(resource, resource)


def fault_name(api_path: str, code: int) -> str:
    """The catalogue's name of fault ``code`` of this call (``unknown`` when neither side knows it)."""
    known = RESOURCES.get(resource_of(api_path), {}).get("faults", {}).get(code) or GLOBAL_FAULTS.get(code)
    return known[0] if known else "unknown"


def error_for_fault(fault: xmlrpc.client.Fault, api_path: str, secrets: Iterable[str] = ()) -> RemoteError:
    """The error class of a fault answered to ``api_path``, with the fault's code, name and message.

    >>> str(error_for_fault(xmlrpc.client.Fault(102, "Customer not exists."), "customer.info"))
    'Magento 1 answered customer.info with fault 102 (not_exists): Customer not exists.'
    """
    code = int(fault.faultCode)
    name = fault_name(api_path, code)
    message = redact(str(fault.faultString or "").strip(), secrets)
    text = f"Magento 1 answered {api_path} with fault {code} ({name}): {_sentence(message)}"
    if code == SESSION_EXPIRED:
        return SessionExpiredError(text, system=SYSTEM, status=code)
    if code == ACCESS_DENIED:
        return AuthError(text, system=SYSTEM, status=code)
    if name in NOT_FOUND:
        return NotFoundError(text, system=SYSTEM, status=code)
    if code == 1 and TRANSIENT.search(message):
        return RetryableError(text, system=SYSTEM, status=code)
    return FatalError(text, system=SYSTEM, status=code)


def error_for_status(error: xmlrpc.client.ProtocolError, api_path: str, url: str) -> RemoteError:
    """The error class of an answer that was not HTTP 200 (faults come with 200)."""
    status = int(error.errcode)
    text = f"Magento 1 answered HTTP {status} to {api_path} at {redact_url(url)}."
    if status == 429 or status >= 500:
        headers = {str(k).lower(): v for k, v in dict(error.headers or {}).items()}
        return RetryableError(text, system=SYSTEM, status=status,
                              retry_after=parse_retry_after(headers.get("retry-after")))
    if status in (401, 403):
        return AuthError(text + " Is there HTTP authentication in front of the shop?", system=SYSTEM,
                         status=status)
    # Never a NotFoundError: a 404 is a wrong URL, and upserts would take it for "no such record".
    return FatalError(text + " Check the connection's URL (the XML-RPC endpoint ends in /api/xmlrpc/).",
                      system=SYSTEM, status=status)


def error_for_connection(error: BaseException, api_path: str, url: str) -> RetryableError:
    """Refused, reset, timed out or cut short: worth another try."""
    return RetryableError(f"Magento 1 call {api_path} to {redact_url(url)} failed: {type(error).__name__}.",
                          system=SYSTEM)


def error_for_body(api_path: str, url: str) -> FatalError:
    """An HTTP 200 whose body is not XML-RPC: a proxy's or maintenance page, nothing to retry blindly."""
    return FatalError(f"Magento 1 answered {api_path} at {redact_url(url)} with a body that is not XML-RPC.",
                      system=SYSTEM)


def _sentence(message: str) -> str:
    if not message:
        return "(no message)."
    return message if message[-1] in ".!?" else message + "."
