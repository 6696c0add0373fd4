"""Report figures: what the extraction must guarantee (fail) and what a report must
satisfy to agree with itself (warn: a finding for the register, never a dropped report).

The consistency queries are generated from expectations/report_rules.yml, i.e. from the
catalog's structure, not written per report.
"""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations import report_consistency as rc
from expectations.suites._check import Check

TABLE = "fct_report_figures"
FINDING = "reports contain slips; publish both values in the register, keep the report"


def _rows(query: str, description: str) -> gxe.UnexpectedRowsExpectation:
    return gxe.UnexpectedRowsExpectation(unexpected_rows_query=query, description=description)


def checks() -> list[Check]:
    return [
        Check("figure_id_unique", "fail",
              gxe.ExpectColumnValuesToBeUnique(column="figure_id"),
              "each extracted figure is one row"),
        Check("metric_not_null", "fail",
              gxe.ExpectColumnValuesToNotBeNull(column="metric_id"),
              "a figure without a metric cannot be queried"),
        Check("percent_in_range", "fail",
              _rows("select * from {batch} where figure_unit = 'percent' "
                    "and (figure_value < 0 or figure_value > 100)", "percentages between 0 and 100"),
              "a percentage outside 0-100 is an extraction error, not a report finding"),
        Check("levels_sum_to_total", "warn",
              _rows(rc.part_whole("level"), "province + district + commune + multi-level = total"),
              FINDING),
        Check("sectors_sum_to_total", "warn",
              _rows(rc.part_whole("sector"), "vertical sectors add up to the vertical total"),
              FINDING),
        Check("service_levels_sum_to_total", "warn",
              _rows(rc.part_whole("service_level"), "service levels 3 + 4 = online-enabled total"),
              FINDING),
        Check("kinds_sum_to_total", "warn",
              _rows(rc.part_whole("kind"), "the kinds of a metric add up to its total"),
              FINDING),
        Check("percent_matches_counts", "warn",
              _rows(rc.ratio(), "a printed percentage = its counts, within its printed rounding"),
              FINDING),
        Check("complements_add_up", "warn",
              _rows(rc.complement(), "on time + late = resolved; shares of a whole sum to 100"),
              FINDING),
        Check("fraction_within_whole", "warn",
              _rows(rc.fraction_within_whole(), "x <= y in an x/y figure"),
              FINDING),
    ]
