"""SQL fragments shared by the dossier and the aggregate loaders."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ingest.exports.headers import aggregate_aliases

# Columns added to the raw export tables after their first release (see RAW_DDL): an older
# warehouse file gets them on its next load, appended so the column order matches RAW_DDL.
ADDED_COLUMNS: dict[str, list[str]] = {
    "export_dossiers": ["service_level integer", "source_sheet varchar"],
    "export_aggregates": ["source_sheet varchar"],
    "export_quarantine": ["source_sheet varchar"],
    "load_manifest": ["shape varchar", "rows_blank integer", "rows_total integer",
                      "total_row_check varchar", "duplicates_across_files integer"],
}


def ensure_export_columns(con: duckdb.DuckDBPyConnection) -> None:
    for table, columns in ADDED_COLUMNS.items():
        for column in columns:
            con.execute(f"alter table raw.{table} add column if not exists {column}")


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def json_object(pairs: list[tuple[str, str]]) -> str:
    if not pairs:
        return "cast(null as varchar)"
    return "cast(json_object(" + ", ".join(f"{quote(k)}, {v}" for k, v in pairs) + ") as varchar)"


def blank_condition(width: int) -> str:
    """A row whose every cell is empty (blank rows are skipped, not read)."""
    return " and ".join(f"nullif(trim(c{i}), '') is null" for i in range(width))


def _key(sql: str) -> str:
    plain = f"strip_accents(replace(replace(nfc_normalize({sql}), 'Đ', 'D'), 'đ', 'd'))"
    return f"regexp_replace(lower({plain}), '[^a-z0-9]+', '', 'g')"


def total_condition(width: int) -> str:
    """A total row: its first non-empty cell is 'Tổng cộng' / 'Tong so' / 'Cộng' ... (with
    an optional count after it)."""
    first = "coalesce(" + ", ".join(f"nullif(trim(c{i}), '')" for i in range(min(width, 3))) + ")"
    labels = "|".join(sorted(aggregate_aliases().total_labels, key=len, reverse=True))
    # cheap test first: a total label starts with t/c and is short
    cheap = f"length({first}) < 40 and lower(left(strip_accents({first}), 1)) in ('t', 'c')"
    return (f"case when {cheap} then coalesce(regexp_full_match({_key(first)}, "
            f"'({labels})[0-9]*(hoso)?'), false) else false end")


def reference_views(con: duckdb.DuckDBPyConnection, reference_dir: Path | None) -> tuple[bool, bool]:
    """Temp views _ref_agencies and _ref_procedures over the seed CSVs (read by DuckDB
    inside the statements that use them); (agencies present, procedures present)."""
    found = []
    for view, name, select in (
        ("_ref_agencies", "agencies.csv",
         "agency_code, agency_name, try_cast(valid_from as date) as valid_from, "
         "try_cast(valid_to as date) as valid_to"),
        ("_ref_procedures", "procedures.csv", "procedure_code"),
    ):
        path = Path(reference_dir) / name if reference_dir else None
        if path is None or not path.is_file():
            found.append(False)
            continue
        con.execute(
            f"create or replace temp view {view} as select {select} "
            f"from read_csv({quote(str(path))}, header=true, all_varchar=true)"
        )
        found.append(True)
    return found[0], found[1]
