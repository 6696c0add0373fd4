"""Report figures: what the extraction must guarantee (fail) and what a report must
satisfy to agree with itself (warn: a finding for the register, never a dropped report).

The checks are defined once, in expectations/report_consistency.py (figure_checks(): the
consistency queries are generated from expectations/report_rules.yml, i.e. from the
catalog's structure, not written per report); this module turns them into GX
expectations. `cchc check-report` runs the same definitions without GX.

Key checks (rc.ColumnCheck: figure_id unique, metric_id not null) are dbt tests in the
warehouse, so the gate leaves them to dbt; check-report, which runs no dbt, runs them.
"""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations import report_consistency as rc
from expectations.suites._check import Check

TABLE = "fct_report_figures"
FINDING = rc.FINDING


def expectation(check: rc.RowCheck | rc.ColumnCheck):
    """The GX expectation of one shared check definition."""
    if isinstance(check, rc.ColumnCheck):
        if check.test == "unique":
            return gxe.ExpectColumnValuesToBeUnique(column=check.column)
        return gxe.ExpectColumnValuesToNotBeNull(column=check.column)
    return gxe.UnexpectedRowsExpectation(unexpected_rows_query=check.sql,
                                         description=check.description)


def checks() -> list[Check]:
    return [Check(c.name, c.severity, expectation(c), c.why) for c in rc.figure_checks()
            if not isinstance(c, rc.ColumnCheck)]
