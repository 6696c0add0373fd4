"""What the dashboard reads: one SQL file per question under queries/, run on the
read-only serving copy. Queries read marts only. A rate is written `{rate:<metric_id>}`
in a query and becomes the sum of the metric's numerator over the sum of its
denominator, as the release's marts.dim_metric_definitions define them (no rate is
averaged, none is defined here)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import duckdb

from ingest.serving import open_serving

QUERIES = Path(__file__).with_name("queries")
RATE = re.compile(r"\{rate:(?P<metric>[a-z0-9_]+)\}")
AGENCY_LIMIT = 40  # agencies on the agency chart

# What the page reads; a release without one of these was not built by `cchc run`.
REQUIRED_TABLES = (
    "meta.release",
    "marts.dim_metric_definitions",
    "marts.dim_dates",
    "marts.dim_agencies",
    "marts.fct_dossier_activity",
    "marts.rpt_agency_monthly_performance",
    "marts.rpt_district_monthly_performance",
    "marts.rpt_province_year_scorecard",
    "marts.rpt_province_year_metrics",
    "marts.rpt_procedure_digitisation",
    "marts.rpt_decision_766_indicators",
    "marts.rpt_report_vs_exports",
    "marts.rpt_discrepancy_register",
)


class DashboardError(RuntimeError):
    """The serving copy cannot feed the dashboard; the message says what to run."""


def open_release(serving_path: Path) -> duckdb.DuckDBPyConnection:
    """Open the serving copy read-only; raise DashboardError if it is missing or incomplete."""
    if not serving_path.exists():
        raise DashboardError(
            f"no published release at {serving_path}: run `cchc run` first "
            "(it loads, builds, checks and publishes the marts the dashboard reads)")
    try:
        con = open_serving(serving_path)
    except duckdb.Error as exc:
        raise DashboardError(f"cannot open the serving copy {serving_path} ({exc}); "
                             "run `cchc run` to publish a fresh release") from exc
    present = {f"{schema}.{table}" for schema, table in con.execute(
        "select table_schema, table_name from information_schema.tables").fetchall()}
    missing = [table for table in REQUIRED_TABLES if table not in present]
    if missing:
        con.close()
        raise DashboardError(
            f"the release at {serving_path} lacks {', '.join(missing)}: "
            "run `cchc run` to build and publish the marts")
    return con


@cache
def query_text(name: str) -> str:
    return (QUERIES / f"{name}.sql").read_text(encoding="utf-8")


def _rates(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """`{rate:m}` -> 100.0 * sum(numerator) / nullif(sum(denominator), 0) of metric m."""
    wanted = set(RATE.findall(sql))
    if not wanted:
        return sql
    defined = {metric: (numerator, denominator) for metric, numerator, denominator
               in con.execute(query_text("definitions")).fetchall()}
    unknown = wanted - defined.keys()
    if unknown:
        raise DashboardError(f"the release defines no rate {', '.join(sorted(unknown))} "
                             "(marts.dim_metric_definitions): rebuild it with `cchc run`")
    return RATE.sub(lambda match: "100.0 * sum({}) / nullif(sum({}), 0)".format(
        *defined[match["metric"]]), sql)


def rows(con: duckdb.DuckDBPyConnection, name: str, **params: object) -> list[dict]:
    """The rows of queries/<name>.sql as dicts; `params` fill its `$name` placeholders."""
    result = con.execute(_rates(con, query_text(name)), params or None)
    columns = [column[0] for column in result.description]
    return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]


def read_release(con: duckdb.DuckDBPyConnection) -> dict:
    """meta.release as a dict (older releases carry only release_id and tables)."""
    result = con.execute("select * from meta.release")
    columns = [column[0] for column in result.description]
    found = [dict(zip(columns, row, strict=True)) for row in result.fetchall()]
    if not found:
        raise DashboardError("the serving copy has an empty meta.release: run `cchc run` to publish")
    return found[0]


# ------------------------------------------------------------------ one definition of year
# Every chart counts by the province's reporting year (dim_dates and its cut-off, e.g.
# 15 Dec - 14 Dec), as the scorecard does, and reporting months under the same cut-off.
# A period is complete when the months of dossier exports cover each of its days; the
# page marks the others instead of showing a few days as if they were a whole period.


@dataclass(frozen=True)
class Period:
    """A reporting period and how many of its days the dossier exports cover."""

    start: date
    end: date
    days_covered: int

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def is_complete(self) -> bool:
        return self.days_covered >= self.days

    @property
    def coverage(self) -> float:
        return self.days_covered / self.days


def covered_period(start: date, end: date, export_months: list[date]) -> Period:
    """The period `start`-`end` with the days of it that fall in a month of `export_months`."""
    covered = 0
    for month in export_months:
        following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        first, last = max(start, month), min(end, following - timedelta(days=1))
        covered += max(0, (last - first).days + 1)
    return Period(start, end, covered)


def export_months(con: duckdb.DuckDBPyConnection) -> list[date]:
    return [row["month_date"] for row in rows(con, "export_months")]


def district_level_end(con: duckdb.DuckDBPyConnection) -> date | None:
    """The district level's last day (2025-06-30), as the district mart records it; None if
    the districts have not ended. The one source of the reform's date on the page."""
    found = rows(con, "district_level_end")
    return found[0]["district_level_end_date"] if found else None


def reporting_years(con: duckdb.DuckDBPyConnection) -> dict[int, Period]:
    """The reporting years with dossiers, each with its bounds and coverage (the marts')."""
    return {row["reporting_year"]: Period(row["period_start_date"], row["period_end_date"],
                                          row["days_covered"])
            for row in rows(con, "years")}


def focus_year(years: dict[int, Period]) -> int | None:
    """The year the page is about: the latest complete one, else the best covered (latest on a tie)."""
    complete = [year for year, period in years.items() if period.is_complete]
    if complete:
        return max(complete)
    return max(years, key=lambda year: (years[year].days_covered, year), default=None)
