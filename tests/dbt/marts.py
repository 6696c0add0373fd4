"""Shared by the cross-engine tests (test_targets.py: DuckDB and Postgres; test_spark.py:
DuckDB and Spark): load the sample, read the marts of each engine, compare them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb

from ingest import warehouse
from ingest.exports import landed_exports, load_export
from ingest.reports import load_report
from tests.conftest import SAMPLE_REPORT, SAMPLES

MART_TOTALS = """
    select
        (select count(*) from marts.fct_dossiers),
        (select count(*) from marts.fct_report_figures),
        (select sum(dossiers_received) from marts.rpt_agency_monthly_performance),
        (select sum(dossiers_on_time) from marts.rpt_agency_monthly_performance),
        (select sum(dossiers_late) from marts.rpt_agency_monthly_performance),
        (select count(*) from marts.rpt_report_vs_exports)
"""

# More numbers that must agree between the engines: dimensions (incl. the date spine and
# the SCD2 versions dossiers are keyed to), every reporting mart, and the reconciliation.
MORE_MART_NUMBERS = """
    select
        (select count(*) from marts.dim_agencies),
        (select count(*) from marts.dim_dates),
        (select count(distinct reporting_year) from marts.dim_dates),
        (select count(*) from marts.dim_procedures where is_online_enabled),
        (select count(*) from marts.dim_metrics),
        (select count(distinct agency_key) from marts.fct_dossiers),
        (select count(*) from marts.fct_dossiers where not is_agency_version_valid),
        (select sum(processing_days) from marts.fct_dossiers),
        (select count(*) from marts.fct_dossier_aggregates),
        (select sum(dossiers_paid_online) from marts.rpt_agency_monthly_performance),
        (select sum(dossiers_with_fee) from marts.rpt_agency_monthly_performance),
        (select sum(dossiers_postal) from marts.rpt_agency_monthly_performance),
        (select sum(dossiers_due) from marts.rpt_agency_monthly_performance),
        (select sum(dossiers_received) from marts.rpt_province_year_scorecard),
        (select sum(dossiers_resolved) from marts.rpt_province_year_scorecard),
        (select sum(procedures_with_online_dossiers) from marts.rpt_province_year_scorecard),
        (select sum(dossiers_online) from marts.rpt_procedure_digitisation),
        (select count(*) from marts.rpt_procedure_digitisation where has_online_dossiers),
        (select sum(numerator) from marts.rpt_decision_766_indicators),
        (select sum(denominator) from marts.rpt_decision_766_indicators),
        (select round(100 * sum(points)) from marts.rpt_decision_766_indicators),
        (select sum(exports_numerator) from marts.rpt_report_vs_exports),
        (select round(100 * sum(abs(difference))) from marts.rpt_report_vs_exports)
"""

# Differ per run by design: which dbt run wrote a row, and when.
VOLATILE_COLUMNS = {"dbt_invocation_id", "dbt_updated_at", "source_updated_at", "loaded_through_at"}


def load_sample(path: Path, months: range = range(1, 13)) -> None:
    """The sample report and the sample exports of the given months of 2020, into raw."""
    with warehouse.connect(path) as con:
        load_report(con, SAMPLE_REPORT)
        for month in months:
            for export in landed_exports(SAMPLES / "exports", f"2020-{month:02d}"):
                load_export(con, export)


def as_ints(row: tuple) -> tuple:
    return tuple(None if v is None else int(v) for v in row)


def duckdb_fetch(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    with warehouse.connect(path, read_only=True) as con:  # raw attached, for raw.* queries
        return con.execute(sql, params or []).fetchall()


def postgres_fetch(dsn: str, sql: str, params: list | None = None) -> list[tuple]:
    import psycopg2

    with psycopg2.connect(dsn) as con, con.cursor() as cur:
        cur.execute(sql, params or None)
        return cur.fetchall()


def mart_numbers(duck_path: Path, postgres_dsn: str, sql: str) -> tuple[tuple, tuple]:
    """One row of numbers from the DuckDB file and from Postgres, as integers."""
    return as_ints(duckdb_fetch(duck_path, sql)[0]), as_ints(postgres_fetch(postgres_dsn, sql)[0])


def _normal(value: object) -> object:
    """Values as every engine's driver can agree on them: numbers to 6 decimals (a
    Spark decimal, a DuckDB double), timestamps to the microsecond, the rest as is."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Decimal | float):
        rounded = round(float(value), 6)
        return int(rounded) if rounded.is_integer() else rounded
    if isinstance(value, int | str | dt.date):
        return value
    return str(value)


def mart_contents(fetch) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every table of the `marts` schema: its columns (sorted, volatile ones left out)
    and all its rows, normalised and sorted. `fetch(sql, params)` runs a query."""
    tables = [t for (t,) in fetch(
        "select table_name from information_schema.tables "
        "where table_schema = 'marts' and table_type = 'BASE TABLE' order by table_name", None)]
    contents = {}
    for table in tables:
        columns = sorted(
            c for (c,) in fetch(
                "select column_name from information_schema.columns "
                "where table_schema = 'marts' and table_name = %s", [table])
            if c not in VOLATILE_COLUMNS
        )
        rows = fetch(f"select {', '.join(columns)} from marts.{table}", None)
        normal = sorted((tuple(_normal(v) for v in row) for row in rows), key=repr)
        contents[table] = (columns, normal)
    return contents


def duckdb_marts(path: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return mart_contents(
            lambda sql, params: con.execute(sql.replace("%s", "?"), params or []).fetchall())


def postgres_marts(dsn: str) -> dict[str, tuple[list[str], list[tuple]]]:
    import psycopg2

    with psycopg2.connect(dsn) as con, con.cursor() as cur:
        def fetch(sql: str, params: list | None) -> list[tuple]:
            cur.execute(sql, params)
            return cur.fetchall()

        return mart_contents(fetch)


def differences(left: dict, right: dict, limit: int = 3) -> list[str]:
    """What differs between two mart_contents results, briefly (empty when equal)."""
    found = []
    for table in sorted(set(left) | set(right)):
        if table not in left or table not in right:
            found.append(f"{table}: only in {'left' if table in left else 'right'}")
            continue
        (lcols, lrows), (rcols, rrows) = left[table], right[table]
        if lcols != rcols:
            found.append(f"{table}: columns {sorted(set(lcols) ^ set(rcols))} differ")
            continue
        if lrows != rrows:
            lset, rset = set(lrows), set(rrows)
            only_left = sorted(lset - rset, key=repr)[:limit]
            only_right = sorted(rset - lset, key=repr)[:limit]
            found.append(
                f"{table} ({len(lrows)} vs {len(rrows)} rows), columns {lcols}:\n"
                f"  only left: {only_left}\n  only right: {only_right}"
            )
    return found
