"""Agency x month performance: counts our own models derive must agree with each other."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.suites._check import Check

TABLE = "rpt_agency_monthly_performance"

COUNT_COLUMNS = (
    "dossiers_received", "dossiers_online", "dossiers_postal", "dossiers_paid_online",
    "dossiers_resolved", "dossiers_on_time", "dossiers_late",
)


def checks() -> list[Check]:
    non_negative = [
        Check(f"{column}_not_negative", "fail",
              gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0),
              "a negative count is a modelling bug")
        for column in COUNT_COLUMNS
    ]
    return [
        *non_negative,
        Check("on_time_plus_late_is_resolved", "fail",
              gxe.UnexpectedRowsExpectation(
                  unexpected_rows_query=(
                      "select * from {batch} "
                      "where dossiers_on_time + dossiers_late <> dossiers_resolved"),
                  description="on time + late = resolved"),
              "the complement rule; it can only fail if the on-time logic is wrong"),
        Check("online_within_received", "fail",
              gxe.UnexpectedRowsExpectation(
                  unexpected_rows_query=(
                      "select * from {batch} where dossiers_online > dossiers_received"),
                  description="online dossiers <= received"),
              "a part larger than its whole"),
    ]
