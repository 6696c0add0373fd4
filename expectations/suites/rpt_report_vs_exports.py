"""Reconciliation: what a report says against what the agencies' exports add up to."""

from __future__ import annotations

from pathlib import Path

import great_expectations.expectations as gxe
import yaml

from expectations.suites._check import Check

TABLE = "rpt_report_vs_exports"
TOLERANCES = Path(__file__).resolve().parent.parent / "reconciliation.yml"


def _allowed() -> str:
    """Per-metric allowed |difference| as a SQL case over the tolerances file."""
    tolerances = yaml.safe_load(TOLERANCES.read_text(encoding="utf-8"))["tolerances"]
    cases = []
    for metric, spec in tolerances.items():
        if "relative" in spec:
            cases.append(f"when '{metric}' then abs(report_value) * {float(spec['relative'])}")
        else:
            cases.append(f"when '{metric}' then {float(spec['absolute'])}")
    return "case metric_id " + " ".join(cases) + " else 0 end"


def checks() -> list[Check]:
    query = f"""
        select
            report_id,
            metric_id as metrics,
            report_value as expected,
            exports_value as observed,
            difference,
            {_allowed()} as tolerance,
            cast(source_line as varchar) as source_lines
        from {{batch}}
        where exports_value is null or abs(difference) > {_allowed()}
    """
    return [
        Check("report_matches_exports", "warn",
              gxe.UnexpectedRowsExpectation(
                  unexpected_rows_query=query,
                  description="report figure = exports' recomputation within the metric's tolerance"),
              "two sources disagreeing is the finding the register exists for; which one is "
              "wrong needs a person, so it is listed, not blocking"),
    ]
