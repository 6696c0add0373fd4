"""Reconciliation: what a report says against what the agencies' exports add up to.

The tolerance of each metric is defined once (ingest/metric_definitions.yml) and is a
column of the mart, so analysts, the dashboard and this check read the same number."""

from __future__ import annotations

from expectations.suites._check import Check

TABLE = "rpt_report_vs_exports"


def checks() -> list[Check]:
    query = """
        select
            report_id,
            metric_id as metrics,
            report_value as expected,
            exports_value as observed,
            difference,
            tolerance,
            cast(source_line as varchar) as source_lines
        from {batch}
        where is_compared and not is_within_tolerance
    """
    return [
        Check("report_matches_exports", "warn",
              "two sources disagreeing is the finding the register exists for; which one is "
              "wrong needs a person, so it is listed, not blocking",
              rows_query=query,
              description="report figure = exports' recomputation within the metric's tolerance"),
    ]
