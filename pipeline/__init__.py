"""Connector library: extract -> map -> load between external systems and shops, on Dramatiq."""

__version__ = "0.1.0"
