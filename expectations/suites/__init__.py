"""One module per checked entity; each exposes TABLE and checks() -> list[Check].

Severity: `fail` blocks publishing (the warehouse itself would be wrong: broken keys,
impossible dates, counts that contradict our own logic); `warn` is published in the
register (the source says something inconsistent: a finding, not a reason to drop it).
"""

from expectations.suites import fct_dossiers, fct_report_figures, rpt_agency_monthly_performance

SUITES = (fct_dossiers, fct_report_figures, rpt_agency_monthly_performance)
