"""Magento's error envelope, ``{"message": <template>, "parameters": ...}``, raised from any handler."""

from __future__ import annotations

import time

from pipeline.testing.server import Response

#: Magento answers errors with this content type (``Webapi\Rest\Response``).
CONTENT_TYPE = "application/json; charset=UTF-8"

NO_ROUTE = "Request does not match any route."
NOT_AUTHORIZED = "The consumer isn't authorized to access %resources."
NO_SUCH_ENTITY = "The entity that was requested doesn't exist. Verify the entity and try again."
NO_SUCH_FIELD = "No such entity with %fieldName = %fieldValue"
REQUIRED_FIELD = '"%fieldName" is required. Enter and try again.'
REQUIRED_QUERY = "%fieldName is a required field."
UNSUPPORTED_FIELD = '"%fieldName" is not supported. Correct the field name and try again.'
WRONG_TYPE = 'The "%value" value\'s type is invalid. The "%type" type was expected. Verify and try again.'
INVALID_VALUE = 'Invalid value of "%value" provided for the %fieldName field.'


class MagentoError(Exception):
    """A Magento error answer; ``parameters`` fill the template's ``%name`` (object) or ``%1`` (list)."""

    def __init__(self, status: int, message: str, parameters: dict | list | None = None,
                 errors: list[dict] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.parameters, self.errors = status, message, parameters, errors

    def response(self) -> Response:
        body: dict = {"message": self.message}
        if self.parameters is not None:
            body["parameters"] = self.parameters
        if self.errors:
            body["errors"] = self.errors
        return Response(self.status, body, content_type=CONTENT_TYPE)


def not_found(message: str = NO_SUCH_ENTITY, parameters: dict | list | None = None) -> MagentoError:
    return MagentoError(404, message, parameters)


def bad_request(message: str, parameters: dict | list | None = None) -> MagentoError:
    return MagentoError(400, message, parameters)


#: ``ErrorProcessor::INTERNAL_SERVER_ERROR_MSG``: what production mode answers for an exception that
#: is not a ``LocalizedException`` (an SQL error, a PHP error), instead of its message.
INTERNAL_ERROR = "Internal Error. Details are available in Magento log file. Report ID: %s"


def report_id() -> str:
    """``uniqid("webapi-")``: the prefix, then the time as 8 hex digits of seconds and 5 of microseconds."""
    now = time.time()
    return f"webapi-{int(now):08x}{int(now % 1 * 1_000_000):05x}"


def internal_error(status: int) -> Response:
    r"""Production mode's answer to an unexpected exception (Magento 2.4 source):
    ``Framework\Webapi\ErrorProcessor::maskException`` logs it under ``_critical``'s report id and
    masks message and code (0); ``Webapi\Rest\Response::_renderMessages`` then renders only
    ``message`` (``code`` is left out when 0, ``trace`` outside developer mode)."""
    return Response(status, {"message": INTERNAL_ERROR % report_id()}, content_type=CONTENT_TYPE)
