"""Report figures: what the extraction must guarantee, and what the report must satisfy."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.suites._check import Check

TABLE = "fct_report_figures"

# Levels (province + district + commune + multi-level) must add up to the figure with
# no breakdown (or kind "all"), for every count metric of every report.
LEVELS_SUM_TO_TOTAL = """
with parts as (
    select report_id, metric_id, sum(figure_value) as parts_total, count(*) as parts
    from {batch}
    where level_code is not null and figure_unit = 'count'
        and sector_code is null and unit_name is null and service_level is null
        and coalesce(kind_code, 'all') = 'all' and period_code is null and group_code is null
    group by report_id, metric_id
),
totals as (
    select report_id, metric_id, figure_value as total
    from {batch}
    where level_code is null and figure_unit = 'count'
        and sector_code is null and unit_name is null and service_level is null
        and coalesce(kind_code, 'all') = 'all' and period_code is null and group_code is null
        and coalesce(scope_code, 'local') = 'local'
)
select totals.report_id, totals.metric_id, totals.total, parts.parts_total, parts.parts
from totals
inner join parts
    on totals.report_id = parts.report_id and totals.metric_id = parts.metric_id
where parts.parts > 1 and parts.parts_total <> totals.total
"""


def checks() -> list[Check]:
    return [
        Check("figure_id_unique", "fail",
              gxe.ExpectColumnValuesToBeUnique(column="figure_id"),
              "each extracted figure is one row"),
        Check("metric_not_null", "fail",
              gxe.ExpectColumnValuesToNotBeNull(column="metric_id"),
              "a figure without a metric cannot be queried"),
        Check("percent_in_range", "fail",
              gxe.UnexpectedRowsExpectation(
                  unexpected_rows_query=(
                      "select * from {batch} where figure_unit = 'percent' "
                      "and (figure_value < 0 or figure_value > 100)"),
                  description="percentages between 0 and 100"),
              "a percentage outside 0-100 is an extraction error, not a report finding"),
        Check("levels_sum_to_total", "warn",
              gxe.UnexpectedRowsExpectation(
                  unexpected_rows_query=LEVELS_SUM_TO_TOTAL,
                  description="levels sum to their total"),
              "real reports contain arithmetic slips: publish the finding, keep the report"),
    ]
