"""Write one report's extraction into the raw schema, replacing what it supersedes.

A report is identified by its content hash (report_id). Loading the same bytes again, or
a corrected version for the same province and year, first deletes the old rows from all
four raw tables, inside the same transaction as the insert: readers never see a report
half replaced, and a failure leaves the previous version in place.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb

from ingest import warehouse
from ingest.reports.extract import extract_report
from ingest.reports.model import ReportError, ReportExtraction

RAW = warehouse.RAW_SCHEMA
# What the landing zone accepts; the extractor knows more spellings (.jpeg, .tiff).
LANDED_SUFFIXES = {".txt", ".pdf", ".png", ".jpg", ".tif"}
# Qualifiers with a raw column of their own (q_<name>); all of them are also in the JSON.
# service_level is a code ("3", "4", "full", "partial", "basic"), stored as text.
_Q_COLUMNS = ("level", "sector", "scope", "unit", "service_level", "group", "rating", "kind", "period",
              "province", "ministry", "stat")


# The order figure rows are built in; the same columns as raw.report_figures (a test checks).
_FIGURE_COLUMNS = (
    "report_id",
    "figure_seq",
    "metric",
    "value",
    "value_text",
    "unit",
    "qualifiers",
    *(f"q_{name}" for name in _Q_COLUMNS),
    "denominator",
    "decimals",
    "line",
    "source_text",
)
# Rows are built in the raw tables' column order (ingest/warehouse.py RAW_DDL).
_MENTION_COLUMNS = warehouse.raw_columns("report_mentions")
_CHANGE_COLUMNS = warehouse.raw_columns("report_changes")


def _change_rows(extraction: ReportExtraction) -> list[tuple[Any, ...]]:
    return [
        (extraction.report_id, seq, c.metric, json.dumps(c.qualifiers, sort_keys=True), c.value,
         c.delta, c.ratio, c.ratio_bound, c.line, c.text)
        for seq, c in enumerate(extraction.changes, 1)
    ]


def _insert_frame(
    con: duckdb.DuckDBPyConnection, table: str, columns: tuple[str, ...], rows: list[tuple]
) -> None:
    """Insert all rows with one statement (DuckDB scans the pandas frame directly)."""
    if not rows:
        return
    import pandas as pd  # only loading needs it; extracting and checking a report do not

    frame = pd.DataFrame(rows, columns=list(columns)).astype(object)
    frame = frame.where(frame.notna(), None)
    view = f"_load_{table}"
    con.register(view, frame)
    try:
        names = ", ".join(columns)
        con.execute(f"insert into {RAW}.{table} ({names}) select {names} from {view}")
    finally:
        con.unregister(view)


def landed_reports(reports_landing: Path, year: int) -> list[Path]:
    """Report files landed for `year`: reports_landing/<province>/<year>/*, sorted."""
    root = Path(reports_landing)
    if not root.is_dir():
        return []
    found = [
        path for path in root.glob(f"*/{year}/*") if path.is_file() and path.suffix.lower() in LANDED_SUFFIXES
    ]
    return sorted(found)


def _figure_rows(extraction: ReportExtraction) -> list[tuple[Any, ...]]:
    rows = []
    for seq, figure in enumerate(extraction.figures, start=1):
        record = figure.to_json()
        value, value_text = record["value"], None
        if isinstance(value, str):
            value, value_text = None, value
        qualifiers = record["qualifiers"]
        q_values = [None if qualifiers.get(name) is None else str(qualifiers[name])
                    for name in _Q_COLUMNS]
        rows.append(
            (
                extraction.report_id,
                seq,
                figure.metric,
                None if value is None else float(value),
                value_text,
                figure.unit,
                json.dumps(qualifiers, ensure_ascii=False, sort_keys=True),
                *q_values,
                figure.denominator,
                figure.decimals,
                figure.line,
                figure.text,
            )
        )
    return rows


def _mention_rows(extraction: ReportExtraction) -> list[tuple[Any, ...]]:
    return [
        (
            extraction.report_id,
            seq,
            float(m.value),
            m.unit,
            m.raw_text,
            m.line,
            m.sentence,
            m.section,
            m.metric,
        )
        for seq, m in enumerate(extraction.mentions, start=1)
    ]


def load_report(con: duckdb.DuckDBPyConnection, source: Path | ReportExtraction) -> dict[str, Any]:
    """Load one report (a path or an extraction) into raw.report_*; returns a summary."""
    extraction = source if isinstance(source, ReportExtraction) else extract_report(Path(source))
    doc = extraction.document
    province, year = doc.get("province"), doc.get("report_year")
    if not province or not year:
        missing = "province" if not province else "report year"
        raise ReportError(
            f"{extraction.source_file}: cannot load: no {missing} found in the report text or its landing "
            "path; land the file under reports/<province>/<year>/, or give it as --province/--year "
            "(cchc extract-report, check-report) or as the param province/year of the DAG cchc_yearly_reports"
        )

    warehouse.ensure_raw_schema(con)
    figures = _figure_rows(extraction)
    mentions = _mention_rows(extraction)
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with warehouse.transaction(con):
        old = [
            row[0]
            for row in con.execute(
                f"""select report_id from {RAW}.report_documents
                    where report_id = ? or (province = ? and report_year = ?)
                    order by report_id""",
                [extraction.report_id, province, year],
            ).fetchall()
        ]
        if old:
            placeholders = ", ".join("?" for _ in old)
            for table, key in (
                ("report_figures", "report_id"),
                ("report_changes", "report_id"),
                ("report_mentions", "report_id"),
                ("report_documents", "report_id"),
                ("load_manifest", "file_sha256"),
            ):
                con.execute(f"delete from {RAW}.{table} where {key} in ({placeholders})", old)
        con.execute(
            f"""insert into {RAW}.report_documents
                (report_id, source_file, province, report_number, issued_date, report_year,
                 period_start, period_end, title, legal_references, line_count, loaded_at)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                extraction.report_id,
                extraction.source_file,
                province,
                doc.get("report_number"),
                doc.get("issued_date"),
                int(year),
                doc.get("period_start"),
                doc.get("period_end"),
                doc.get("title"),
                json.dumps(doc.get("legal_references") or [], ensure_ascii=False),
                int(doc.get("line_count") or 0),
                loaded_at,
            ],
        )
        # Bulk inserts through a registered frame: one statement per table.
        _insert_frame(con, "report_figures", _FIGURE_COLUMNS, figures)
        _insert_frame(con, "report_mentions", _MENTION_COLUMNS, mentions)
        _insert_frame(con, "report_changes", _CHANGE_COLUMNS, _change_rows(extraction))
        rows = len(figures) + len(mentions)
        con.execute(
            f"""insert into {RAW}.load_manifest
                (file_sha256, source_file, source_kind, partitions, rows_read, rows_loaded,
                 rows_quarantined, loaded_at)
                values (?, ?, 'report', ?, ?, ?, 0, ?)""",
            [
                extraction.report_id,
                extraction.source_file,
                json.dumps([f"{province}/{year}"], ensure_ascii=False),
                rows,
                rows,
                loaded_at,
            ],
        )
    return {
        "report_id": extraction.report_id,
        "province": province,
        "report_year": int(year),
        "figures": len(figures),
        "mentions": len(mentions),
        # Every report whose rows were deleted, the same report_id included on a re-load.
        "replaced": old,
    }
