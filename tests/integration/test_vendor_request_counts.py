"""Every vendor request's outcome is counted per budget in Redis, for the console's /metrics."""

from __future__ import annotations


from pipeline.errors import RetryableError
from pipeline.systems.concurrency import concurrency_budget
from pipeline.systems.mailchimp.client import MailchimpClient
from pipeline.testing.mailchimp import MailchimpEmulator
from pipeline.testing.server import Faults
from tests.conftest import REDIS_URL


def test_a_budgets_slots_count_answers_429s_5xx_and_dropped_requests(redis_client, namespace):
    faults = Faults(throttle_rate=0.3, error_rate=0.2, drop_rate=0.1, seed=7)
    with MailchimpEmulator(faults=faults) as chimp:
        budget = concurrency_budget("mailchimp:us6:test", 4, {"REDIS_URL": REDIS_URL, "PIPELINE_NAMESPACE": namespace})
        client = MailchimpClient(chimp.base_url, chimp.api_key, limiter=budget)
        for _ in range(40):
            try:
                client.get(f"/lists/{chimp.list_id}")
            except RetryableError:
                pass
        counts = {k.decode(): int(v) for k, v in redis_client.hgetall(f"{namespace}:vendor:mailchimp:us6:test").items()}

    assert redis_client.smembers(f"{namespace}:budgets") == {b"mailchimp:us6:test"}
    assert sum(counts.values()) == 40
    assert counts.get("429", 0) == chimp.counts["throttled"] > 0
    assert counts.get("5xx", 0) == chimp.counts["errors"] > 0
    assert counts.get("unanswered", 0) == chimp.counts["dropped"] > 0
    assert counts["2xx"] == 40 - chimp.counts["throttled"] - chimp.counts["errors"] - chimp.counts["dropped"]


def test_the_embedded_modes_budget_counts_nothing_and_still_works():
    budget = concurrency_budget("x", 1, {"PIPELINE_BROKER_URL": "stub://"})
    with budget() as slot:
        slot.answered(200)  # no Redis: a no-op, not an error
