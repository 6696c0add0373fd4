"""Report figures: what the extraction must guarantee (fail) and what a report must
satisfy to agree with itself (warn: a finding for the register, never a dropped report).

The checks are defined once, in expectations/report_consistency.py (figure_checks(): the
consistency queries are generated from expectations/report_rules.yml, i.e. from the
catalog's structure, not written per report); this module lists the gate's share of
them. `cchc check-report` runs the same definitions without GX.

Key checks (rc.ColumnCheck: figure_id unique, metric_id not null) are dbt tests in the
warehouse, so the gate leaves them to dbt; check-report, which runs no dbt, runs them.
"""

from __future__ import annotations

from expectations import report_consistency as rc
from expectations.suites._check import Check

TABLE = "fct_report_figures"
FINDING = rc.FINDING


def gate_checks(checks: tuple[rc.Check, ...]) -> list[Check]:
    """The gate's checks of one shared list: its row checks (key checks are dbt's)."""
    return [Check(c.name, c.severity, c.why, rows_query=c.sql, description=c.description)
            for c in checks if not isinstance(c, rc.ColumnCheck)]


def checks() -> list[Check]:
    return gate_checks(rc.figure_checks())
