"""Agency x month performance: no count our own models derive is negative.

Asserted by dbt instead: on time + late = resolved, online + postal <= received and
paid online <= with a fee (expression_is_true tests in
dbt_project/models/marts/reporting/_reporting__models.yml), the key's uniqueness."""

from __future__ import annotations

from expectations.suites._check import Check

TABLE = "rpt_agency_monthly_performance"

COUNT_COLUMNS = (
    "dossiers_received", "dossiers_online", "dossiers_postal", "dossiers_paid_online",
    "dossiers_resolved", "dossiers_on_time", "dossiers_late",
)


def checks() -> list[Check]:
    return [
        Check(f"{column}_not_negative", "fail", "a negative count is a modelling bug",
              not_negative=column)
        for column in COUNT_COLUMNS
    ]
