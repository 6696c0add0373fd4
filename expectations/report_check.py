"""Check one report without loading it, in well under a second.

The report is extracted and its figures and change statements are put in an in-memory
DuckDB as `marts.fct_report_figures` and `marts.fct_report_changes`, the tables the
pipeline's dbt models build, with the same columns; then every check of the report
suites runs on them, from the same definitions the GX gate reads
(expectations/report_consistency.py: figure_checks() and change_checks(), the same SQL
with `{batch}` replaced by the table). No warehouse, no dbt, no Great Expectations: this
module imports neither GX, dbt, Airflow nor pandas (`cchc check-report` answers in a
fraction of a second instead of many).

The results have the GX runner's shape (observed, metrics, expected), so a check means
the same thing, with the same name and outcome, in both places:

- `figure_id_unique` and `metric_not_null` (GX column expectations in the gate) run as
  their plain-SQL equivalents. On a fresh extraction they cannot fail (figure_id is the
  report id and the figure's sequence number; every figure's metric comes from a rule
  checked against the catalog), but they stay in the list so both paths report the same
  checks.
- `change_agrees_with_previous_report` compares a change statement with the previous
  year's report in marts.fct_report_figures. Here that table holds this report only (as
  in the temporary warehouse check-report used to build), so the query runs and finds
  nothing: it is reported as a success with no offending rows. Load both years and run
  the gate (`cchc run`) to compare a report with its predecessor.

A report whose province (or year) cannot be read is still checked: its figures have a
null province_name (report_year), which no consistency rule reads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from expectations import report_consistency as rc
from expectations.results import metrics_in, observed
from ingest.reports.extract import extract_report
from ingest.reports.model import ReportExtraction

# GX returns at most this many offending rows per check (great_expectations.constants
# MAX_RESULT_RECORDS); the count is always complete.
MAX_RESULT_RECORDS = 200

FIGURES_TABLE = "marts.fct_report_figures"
CHANGES_TABLE = "marts.fct_report_changes"

# The columns of marts.fct_report_figures / fct_report_changes (dbt_project/models/marts/
# core/), in order, with their types; tests/expectations/test_report_check.py compares
# them with the tables dbt builds.
FIGURE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("figure_id", "varchar"),
    ("report_id", "varchar"),
    ("province_name", "varchar"),
    ("report_year", "integer"),
    ("metric_id", "varchar"),
    ("figure_value", "double"),
    ("figure_text_value", "varchar"),
    ("figure_denominator", "double"),
    ("printed_decimals", "integer"),
    ("figure_unit", "varchar"),
    ("level_code", "varchar"),
    ("sector_code", "varchar"),
    ("scope_code", "varchar"),
    ("unit_name", "varchar"),
    ("service_level", "varchar"),
    ("group_code", "varchar"),
    ("rating_code", "varchar"),
    ("kind_code", "varchar"),
    ("period_code", "varchar"),
    ("about_province_name", "varchar"),
    ("ministry_name", "varchar"),
    ("stat_code", "varchar"),
    ("qualifiers_json", "varchar"),
    ("source_line", "integer"),
    ("source_text", "varchar"),
)
# Columns of the marts that dbt derives and no report check reads: the fast path leaves them
# out (a check that starts reading one fails here loudly, "column not found").
# (province_name is the ASCII name here; the marts publish it with diacritics, the ASCII
# form in the *_ascii columns: no check reads either but to join a report's figures with
# its own or its predecessor's, which agree within one path.)
# The province codes of the time and of today (int_province_lineage) only place figures on
# the map; no check reads them either.
MART_ONLY_COLUMNS = {"is_headline_figure", "province_name_ascii", "about_province_name_ascii",
                     "province_code", "current_province_code", "current_province_name",
                     "current_province_name_ascii", "is_whole_current_province"}
CHANGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("change_id", "varchar"),
    ("report_id", "varchar"),
    ("province_name", "varchar"),
    ("report_year", "integer"),
    ("metric_id", "varchar"),
    ("qualifiers_json", "varchar"),
    ("figure_value", "double"),
    ("change_delta", "double"),
    ("implied_previous_value", "double"),
    ("change_ratio", "double"),
    ("ratio_bound", "varchar"),
    ("source_line", "integer"),
    ("source_text", "varchar"),
)
# raw.report_figures column (ingest/reports/load.py) -> mart column, as the staging model
# stg_reports__figures renames them.
_RAW_TO_MART = {
    "metric": "metric_id", "value": "figure_value", "value_text": "figure_text_value",
    "unit": "figure_unit", "qualifiers": "qualifiers_json", "q_level": "level_code",
    "q_sector": "sector_code", "q_scope": "scope_code", "q_unit": "unit_name",
    "q_service_level": "service_level", "q_group": "group_code", "q_rating": "rating_code",
    "q_kind": "kind_code", "q_period": "period_code", "q_province": "about_province_name",
    "q_ministry": "ministry_name", "q_stat": "stat_code", "denominator": "figure_denominator",
    "decimals": "printed_decimals", "line": "source_line",
}


def figure_records(extraction: ReportExtraction) -> list[tuple[Any, ...]]:
    """The extraction's figures as rows of marts.fct_report_figures (FIGURE_COLUMNS)."""
    from ingest.reports.load import _FIGURE_COLUMNS, _figure_rows

    province, year = _document_keys(extraction)
    rows = []
    for raw in _figure_rows(extraction):
        record = {_RAW_TO_MART.get(column, column): value
                  for column, value in zip(_FIGURE_COLUMNS, raw, strict=True)}
        record["figure_id"] = f"{record['report_id']}-{record['figure_seq']}"
        record["province_name"], record["report_year"] = province, year
        rows.append(tuple(record[name] for name, _ in FIGURE_COLUMNS))
    return rows


def change_records(extraction: ReportExtraction) -> list[tuple[Any, ...]]:
    """The extraction's change statements as rows of marts.fct_report_changes."""
    province, year = _document_keys(extraction)
    return [
        (f"{extraction.report_id}-{seq}", extraction.report_id, province, year, change.metric,
         json.dumps(change.qualifiers, sort_keys=True), change.value, change.delta,
         change.value - change.delta, change.ratio, change.ratio_bound, change.line, change.text)
        for seq, change in enumerate(extraction.changes, 1)
    ]


def _document_keys(extraction: ReportExtraction) -> tuple[str | None, int | None]:
    doc = extraction.document
    year = doc.get("report_year")
    return doc.get("province") or None, int(year) if year else None


def report_tables(extraction: ReportExtraction) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB holding the report's marts.fct_report_figures and _changes."""
    con = duckdb.connect(":memory:")
    con.execute("create schema marts")
    for table, columns, rows in (
        (FIGURES_TABLE, FIGURE_COLUMNS, figure_records(extraction)),
        (CHANGES_TABLE, CHANGE_COLUMNS, change_records(extraction)),
    ):
        con.execute(f"create table {table} ({', '.join(f'{n} {t}' for n, t in columns)})")
        if rows:  # one statement (executemany costs a round trip per row)
            row = f"({', '.join('?' for _ in columns)})"
            con.execute(f"insert into {table} values {', '.join(row for _ in rows)}",
                        [value for values in rows for value in values])
    return con


def _run(con: duckdb.DuckDBPyConnection, check: rc.RowCheck | rc.ColumnCheck, table: str) -> dict:
    """One check as the GX runner reports it: rule, severity, success, metrics, ..."""
    cursor = con.execute(check.sql.format(batch=table))
    names = [column[0] for column in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    if isinstance(check, rc.ColumnCheck):
        # GX's BASIC result of a column map expectation: counts and a sample of values.
        (total,) = con.execute(
            f"select count({check.column}) from {table}" if check.test == "unique"
            else f"select count(*) from {table}").fetchone()
        details = {
            "unexpected_count": len(rows),
            "unexpected_percent": 100.0 * len(rows) / total if total else None,
            "partial_unexpected_list": [row[check.column] for row in rows[:20]],
        }
        expected = check.expectation_type
    else:
        details = {"observed_value": len(rows),
                   "details": {"unexpected_rows": rows[:MAX_RESULT_RECORDS]}}
        expected = check.description
    return {
        "rule": check.name,
        "severity": check.severity,
        "success": not rows,
        "metrics": metrics_in(details),
        "expected": expected,
        "observed": observed(details),
        "message": check.why,
    }


def check_extraction(extraction: ReportExtraction, report: str) -> dict:
    """Every report check on one extraction: {"report": ..., "checks": [...]}."""
    suites = ((FIGURES_TABLE, rc.figure_checks()), (CHANGES_TABLE, rc.change_checks()))
    # The GX runner reports the column checks of every suite first, then the row checks.
    ordered = [(table, check) for table, checks in suites for check in checks
               if isinstance(check, rc.ColumnCheck)]
    ordered += [(table, check) for table, checks in suites for check in checks
                if isinstance(check, rc.RowCheck)]
    with report_tables(extraction) as con:
        return {"report": report, "checks": [_run(con, check, table) for table, check in ordered]}


def check_report_file(path: Path, *, province: str | None = None, year: int | None = None) -> dict:
    """Extract `path` and run the report checks on its figures; ReportError when the
    report cannot be read. `province`/`year` are given to extract_report (for a report
    whose text does not state them)."""
    extraction = extract_report(path, province=province, year=year)
    return check_extraction(extraction, str(path))
