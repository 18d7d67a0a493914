"""Faults as Magento 1 raises them, and the registry of emulated ``resource.method`` handlers.

``fault(resource, name, message)`` follows ``Mage_Api_Model_Server_Handler_Abstract::_fault``: a
name the resource does not declare falls back to the global faults *without* the custom message,
and an unknown name becomes fault 0 "Unknown Error". (So ``catalog_product.list`` with a bad filter
answers fault 0: the product API raises ``filters_invalid``, which it does not declare.)
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline.systems.magento1.catalogue import GLOBAL_FAULTS, RESOURCES

#: "resource.method" (aliases resolved) -> handler(shop, *args).
HANDLERS: dict[str, Callable] = {}


class ApiFault(Exception):
    """An XML-RPC fault the emulator answers (HTTP 200, ``faultCode``, ``faultString``)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _by_name(faults: dict[int, tuple[str, str]], name: str) -> tuple[int, str] | None:
    return next(((code, message) for code, (known, message) in faults.items() if known == name), None)


def fault(resource: str | None, name: str, message: str | None = None) -> ApiFault:
    """The fault ``name`` of ``resource`` (None: a global fault), with Magento's fallbacks."""
    if resource is not None:
        found = _by_name(RESOURCES.get(resource, {}).get("faults", {}), name)
        if found is None:
            return fault(None, name)
    else:
        found = _by_name(GLOBAL_FAULTS, name)
        if found is None:
            return fault(None, "unknown")
    code, configured = found
    return ApiFault(code, configured if message is None else message)


def internal(message: str) -> ApiFault:
    """An exception no resource caught: the handler's fault 1 with the exception's text."""
    return fault(None, "internal", message)


def api(path: str) -> Callable[[Callable], Callable]:
    """Register a handler of ``path``; its arguments are the PHP method's, after the shop."""
    def register(handler: Callable) -> Callable:
        HANDLERS[path] = handler
        return handler
    return register
