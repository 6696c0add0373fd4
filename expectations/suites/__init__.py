"""One module per checked entity; each exposes TABLE and checks() -> list[Check].

Severity: `fail` blocks publishing (the warehouse itself would be wrong: broken keys,
impossible dates, counts that contradict our own logic); `warn` is published in the
register (the source says something inconsistent: a finding, not a reason to drop it).

No check here repeats a dbt data test (unique, not_null, accepted_values, relationships,
expression_is_true in dbt_project/models/**/_*.yml): `dbt build` fails on those before the
gate runs, so the gate keeps what dbt does not assert. Each module's docstring names what
dbt asserts on its table instead.
"""

from expectations.suites import (
    fct_dossier_aggregates,
    fct_dossiers,
    fct_report_changes,
    fct_report_figures,
    rpt_agency_monthly_performance,
    rpt_report_vs_exports,
)

SUITES = (
    fct_dossiers,
    fct_dossier_aggregates,
    fct_report_figures,
    fct_report_changes,
    rpt_agency_monthly_performance,
    rpt_report_vs_exports,
)
