"""Scheduling: cron specs validated before periodiq sees them (``cron``), and what a tick does (``ticks``)."""
