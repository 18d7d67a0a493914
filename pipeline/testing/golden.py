"""Golden samples of mapping files, for tests: ``golden_cases`` and ``check_golden`` (see ``pipeline.mapping.golden``).

A project's golden test (``connector init`` and ``connector new`` write it)::

    from pipeline.testing.golden import check_golden, golden_cases

    @pytest.mark.parametrize("case", golden_cases("mappings", "tests/fixtures"), ids=str)
    def test_golden_sample(case, golden_accept):
        check_golden(case, accept=golden_accept)
"""

from pipeline.mapping.golden import PENDING, GoldenCase, check_golden, golden_cases, map_sample

__all__ = ["PENDING", "GoldenCase", "check_golden", "golden_cases", "map_sample"]
