"""How the console tells a run's progress: never more than it knows, never a green bar for a failure."""

from __future__ import annotations

from pipeline.books.runs import RunSummary
from pipeline.web.runs import fold_empty, run_view

T0 = 1_800_000_000.0


def summary(run_id="r1", integration="erp_customers", *, extracted=0, loaded=0, skipped=0, failed=0,
            extract_done=True, finished_at=None, started_at=T0, states=None) -> RunSummary:
    return RunSummary(run_id=run_id, integration=integration, mode="changed", started_at=started_at,
                      finished_at=finished_at, extract_done=extract_done,
                      counts={"extracted": extracted, "loaded": loaded, "skipped": skipped, "failed": failed},
                      states=states)


def test_a_run_still_extracting_shows_no_share_and_no_eta():
    # 300 of ~1,000 records extracted, 290 of them loaded: the old page showed 97 %.
    view = run_view(summary(extracted=300, loaded=290, extract_done=False, states={"running": 2}), T0 + 10)

    assert (view["phase"], view["shares"], view["eta_s"]) == ("extracting", None, None)
    assert view["rate_per_s"] == 29.0


def test_an_extracted_run_shows_each_outcome_of_extracted_and_an_eta():
    view = run_view(summary(extracted=1000, loaded=400, skipped=50, failed=50, states={"running": 1}), T0 + 50)

    assert view["phase"] == "processing"
    assert view["shares"] == {"loaded": 0.4, "skipped": 0.05, "failed": 0.05}
    assert (view["rate_per_s"], view["eta_s"]) == (10.0, 50.0)  # 500 left at 10 records/s


def test_a_finished_failed_run_is_not_a_full_green_bar():
    view = run_view(summary(extracted=4, loaded=1, failed=3, finished_at=T0 + 2, states={"done": 3}), T0 + 60)

    assert (view["status"], view["phase"]) == ("partial", "finished")  # finished, with failed records
    assert view["shares"] == {"loaded": 0.25, "skipped": 0.0, "failed": 0.75}
    assert (view["duration_s"], view["eta_s"]) == (2.0, None)


def test_empty_runs_in_a_row_fold_into_one_line_per_integration():
    def view(run_id, integration, extracted, at):
        return run_view(summary(run_id, integration, extracted=extracted, loaded=extracted, started_at=at,
                                finished_at=at + 1, states={"done": 1}), T0 + 9000)

    rows = [view("e4", "a", 0, T0 + 400), view("e3", "a", 0, T0 + 300), view("e2", "a", 0, T0 + 200),
            view("x1", "a", 5, T0 + 150), view("b1", "b", 0, T0 + 100), view("e1", "a", 0, T0)]

    folded = fold_empty(rows)

    assert [(row.get("folded"), row.get("count"), row.get("run_id")) for row in folded] == [
        (True, 3, None), (None, None, "x1"), (None, None, "b1"), (None, None, "e1")]
    assert folded[0]["run_ids"] == ["e4", "e3", "e2"]
    assert (folded[0]["first_started_at"], folded[0]["last_started_at"]) == (T0 + 200, T0 + 400)
