"""Change statements ("tang 958 ... gap hon 06 lan"): the printed change agrees with its
own multiple, and with the previous year's report when that report is loaded."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.suites._check import Check

TABLE = "fct_report_changes"
FINDING = "reports contain slips; publish both values in the register, keep the report"

# value / (value - delta) against the printed multiple: "hon" = more than, "gan" =
# nearly (within a quarter below), none = the multiple rounded.
MULTIPLE_AGREES = """
with stated as (
    select
        *,
        figure_value / nullif(implied_previous_value, 0) as actual_ratio
    from {batch}
    where change_ratio is not null
)
select
    report_id,
    metric_id as metrics,
    change_ratio as expected,
    round(actual_ratio, 2) as observed,
    round(actual_ratio - change_ratio, 2) as difference,
    case when ratio_bound is null then 0.5 else 0 end as tolerance,
    cast(source_line as varchar) as source_lines
from stated
where actual_ratio is null
    or (ratio_bound = 'more' and actual_ratio < change_ratio)
    or (ratio_bound = 'nearly' and (actual_ratio >= change_ratio or actual_ratio < 0.75 * change_ratio))
    or (ratio_bound is null and abs(actual_ratio - change_ratio) > 0.5)
"""

# The previous year's report, when loaded, must hold value - delta for the same metric.
PREVIOUS_YEAR_AGREES = """
select
    changes.report_id,
    changes.metric_id as metrics,
    changes.implied_previous_value as expected,
    previous.figure_value as observed,
    previous.figure_value - changes.implied_previous_value as difference,
    0 as tolerance,
    cast(changes.source_line as varchar) || ',' || cast(previous.source_line as varchar) as source_lines
from {batch} as changes
inner join marts.fct_report_figures as previous
    on previous.province_name = changes.province_name
    and previous.report_year = changes.report_year - 1
    and previous.metric_id = changes.metric_id
    and previous.qualifiers_json = changes.qualifiers_json
where previous.figure_value <> changes.implied_previous_value
"""


def checks() -> list[Check]:
    return [
        Check("change_agrees_with_its_multiple", "warn",
              gxe.UnexpectedRowsExpectation(unexpected_rows_query=MULTIPLE_AGREES,
                                            description="value / (value - change) = the printed multiple"),
              FINDING),
        Check("change_agrees_with_previous_report", "warn",
              gxe.UnexpectedRowsExpectation(unexpected_rows_query=PREVIOUS_YEAR_AGREES,
                                            description="value - change = last year's report"),
              FINDING),
    ]
