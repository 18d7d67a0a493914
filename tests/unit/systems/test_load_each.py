"""``load_each``: a batch stops sending when its first records find the target down, and only then."""

from __future__ import annotations

from pipeline.errors import FatalError, NotSentError, RetryableError
from pipeline.systems.base import DOWN_AFTER, LoadItem, load_each

ITEMS = [LoadItem(f"k{n}", {}, {}) for n in range(10)]


def loader(answers: dict[str, Exception]):
    sent = []

    def load_one(item: LoadItem) -> None:
        sent.append(item.key)
        if item.key in answers:
            raise answers[item.key]

    return load_one, sent


def test_a_batch_whose_first_records_find_the_target_down_sends_no_more():
    load_one, sent = loader({item.key: RetryableError("503", status=503, retry_after=4) for item in ITEMS})
    outcomes = load_each(load_one, ITEMS)
    assert sent == ["k0", "k1", "k2"] and DOWN_AFTER == 3
    assert all(isinstance(outcome, NotSentError) and outcome.retry_after == 4 for outcome in outcomes[3:])
    assert len(outcomes) == len(ITEMS)


def test_no_answer_at_all_counts_as_down_too():
    load_one, sent = loader({item.key: RetryableError("refused", status=None) for item in ITEMS})
    load_each(load_one, ITEMS)
    assert len(sent) == DOWN_AFTER


def test_failures_after_a_record_went_through_or_that_are_not_outages_are_sent_one_by_one():
    down = {key: RetryableError("503", status=503) for key in ("k1", "k2", "k3", "k4")}
    load_one, sent = loader(down)  # k0 went through: the target is up, these fail on their own
    outcomes = load_each(load_one, ITEMS)
    assert sent == [item.key for item in ITEMS] and outcomes[0] is None
    throttled = {item.key: RetryableError("429", status=429) for item in ITEMS}
    load_one, sent = loader(throttled)  # a 429 is the target answering: every record is tried
    load_each(load_one, ITEMS)
    assert len(sent) == len(ITEMS)
    refused = {item.key: FatalError("422", status=422) for item in ITEMS}
    load_one, sent = loader(refused)
    load_each(load_one, ITEMS)
    assert len(sent) == len(ITEMS)
