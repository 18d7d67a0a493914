"""Vendor emulators and pytest fixtures, for our tests and integration authors' own."""
