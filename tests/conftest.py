"""Fixtures shared by every test: paths, and a Redis key prefix of this test run's own."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import redis

ROOT = Path(__file__).resolve().parent.parent
MAPPINGS = ROOT / "mappings"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CI = os.environ.get("CI") == "true"


@pytest.fixture
def redis_client():
    """The machine's Redis, skipped locally when it is down, a failure in CI."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        if CI:
            raise
        pytest.skip("No Redis on " + REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def namespace(redis_client):
    """A key prefix of this test's own; only its keys are deleted afterwards (never FLUSHALL)."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    yield prefix
    keys = list(redis_client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        redis_client.delete(*keys)
