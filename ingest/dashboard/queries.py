"""What the dashboard reads: one SQL file per question under queries/, run on the
read-only serving copy. Queries read marts only. A rate is written `{rate:<metric_id>}`
in a query and becomes the sum of the metric's numerator over the sum of its
denominator, as the release's marts.dim_metric_definitions define them (no rate is
averaged, none is defined here)."""

from __future__ import annotations

import re
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
    "marts.rpt_agency_monthly_performance",
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
