"""Change statements ("tang 958 ... gap hon 06 lan"): the printed change agrees with its
own multiple, and with the previous year's report when that report is loaded.

The checks and their SQL are defined once, in expectations/report_consistency.py
(change_checks()); this module lists the gate's share of them. Key checks
(rc.ColumnCheck) are dbt tests in the warehouse and left to dbt.
"""

from __future__ import annotations

from expectations import report_consistency as rc
from expectations.suites._check import Check
from expectations.suites.fct_report_figures import gate_checks

TABLE = "fct_report_changes"
FINDING = rc.FINDING
MULTIPLE_AGREES = rc.MULTIPLE_AGREES
PREVIOUS_YEAR_AGREES = rc.PREVIOUS_YEAR_AGREES


def checks() -> list[Check]:
    return gate_checks(rc.change_checks())
