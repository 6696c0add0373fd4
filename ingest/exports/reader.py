"""Read one export file into DuckDB temp tables of varchar columns, one per table in it.

Python only looks at the first lines (encoding, delimiter, title and header rows); DuckDB
reads a CSV's body, so large CSVs stream instead of passing through a Python loop. An
XLSX is read sheet by sheet with openpyxl and handed to DuckDB as one Arrow table per
sheet. Each sheet with a recognisable header is a separate table.
"""

from __future__ import annotations

import csv
import io
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import duckdb
import pyarrow as pa

from ingest.exports.encodings import (
    EncodingError,
    detect_file_encoding,
    fix_cell,
    repair_legacy_text,
    transcode,
)
from ingest.exports.headers import FoundHeader, HeaderMap, find_header

HEAD_BYTES = 64 * 1024  # enough for title rows plus the header
HEAD_ROWS = 30  # the header must appear within this many rows
SPARE_COLUMNS = 8  # catch rows with more values than headers instead of truncating them
CHUNK = 1 << 20
DELIMITERS = (",", ";", "\t", "|")


class ExportError(ValueError):
    """A whole file cannot be read (empty, unknown encoding, no recognisable header)."""


@dataclass(frozen=True)
class ReadExport:
    """One table of a file in DuckDB: temp table `table` with columns c0..c{width-1} in
    file order (rowid order); blank and total rows are still in it."""

    table: str
    header: HeaderMap
    encoding: str
    width: int  # number of value columns c0..c{width-1}, spare ones included
    shape: str = "dossiers"
    sheet: str | None = None  # XLSX sheet name; None for CSV
    title: str = ""  # text of the rows above the header


def detect_encoding(path: Path) -> str:
    """'utf-8-sig', 'utf-8', 'cp1258', 'tcvn3' or 'vni'; ExportError when none fits."""
    with open(path, "rb") as handle:
        if not handle.read(4).strip():
            raise ExportError(f"{path}: file is empty")
    try:
        return detect_file_encoding(path)
    except EncodingError as error:
        raise ExportError(f"{path}: {error}") from error


def _no_header(path: Path) -> ExportError:
    return ExportError(
        f"{path}: no recognisable dossier header or Bieu II.06a header in the first "
        f"{HEAD_ROWS} rows (a dossier header names at least the dossier code and the received "
        "date, see header_aliases.yml; an aggregate header names the field and at least 3 "
        "counts, see aggregate_aliases.yml)"
    )


def _find_csv_header(path: Path, text: str) -> tuple[str, int, FoundHeader]:
    """Delimiter, physical lines up to and including the header, and the header."""
    for delimiter in DELIMITERS:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        rows: list[list[str]] = []
        lines: list[int] = []
        try:
            for row in reader:
                rows.append(row)
                lines.append(reader.line_num)
                if len(rows) > HEAD_ROWS:
                    break
        except csv.Error:
            continue
        found = find_header(rows)
        if found:
            return delimiter, lines[found.rows - 1], found
    raise _no_header(path)


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path, table: str,
              workdir: Path) -> list[ReadExport]:
    encoding = detect_encoding(path)
    source = path
    if encoding not in ("utf-8", "utf-8-sig"):
        # DuckDB reads UTF-8 only: transcode in chunks to a scratch file (NFC comes later, in SQL).
        source = workdir / "transcoded.csv"
        transcode(path, source, encoding)
    with open(source, encoding="utf-8-sig", errors="replace", newline="") as handle:
        head = handle.read(HEAD_BYTES)
    delimiter, skip, found = _find_csv_header(path, head)
    width = len(found.header.names) + SPARE_COLUMNS
    columns = ", ".join(f"'c{i}': 'varchar'" for i in range(width))
    try:
        con.execute(
            f"create or replace temp table {table} as "
            f"select * from read_csv(?, delim=?, quote='\"', escape='\"', header=false, "
            f"skip=?, columns={{{columns}}}, auto_detect=false, null_padding=true, "
            f"strict_mode=false)",
            [str(source), delimiter, skip],
        )
    except duckdb.Error as error:
        raise ExportError(f"{path}: unreadable CSV body: {error}") from error
    return [ReadExport(table, found.header, encoding, width, found.shape, None, found.title)]


def _cell_text(value: object) -> str | None:
    """XLSX cell as text: dates as ISO, whole floats without '.0' (codes, counts)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _sheet_rows(sheet) -> list[list[str | None]]:
    """All rows of a sheet as text; text typed in a legacy font (TCVN3, VNI) converted."""
    rows = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    sample = [c for row in rows[:500] for c in row if c and not c.isascii()]
    legacy = repair_legacy_text(sample)
    if legacy:
        rows = [[fix_cell(c, legacy) if c and not c.isascii() else c for c in row]
                for row in rows]
    return rows


def _read_xlsx(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> list[ReadExport]:
    """Every sheet with a header of either shape, in workbook order; the file's shape is the
    first such sheet's, sheets of the other shape are left out."""
    import openpyxl  # only XLSX needs it

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for broken files
        raise ExportError(f"{path}: unreadable XLSX: {error}") from error
    reads: list[ReadExport] = []
    try:
        for sheet in book.worksheets:
            rows = _sheet_rows(sheet)
            found = find_header(rows[: HEAD_ROWS + 2])
            if found is None or (reads and found.shape != reads[0].shape):
                continue
            width = len(found.header.names) + SPARE_COLUMNS
            body = rows[found.rows:]
            columns = {
                f"c{i}": pa.array([(r[i] if i < len(r) else None) for r in body], pa.string())
                for i in range(width)
            }
            name = f"{table}_{len(reads)}"
            con.register("_xlsx_arrow", pa.table(columns))
            con.execute(f"create or replace temp table {name} as select * from _xlsx_arrow")
            con.unregister("_xlsx_arrow")
            reads.append(ReadExport(name, found.header, "xlsx", width, found.shape,
                                    sheet.title, found.title))
    finally:
        book.close()
    if not reads:
        raise _no_header(path)
    return reads


def read_export(
    con: duckdb.DuckDBPyConnection, path: Path, table: str = "_export_src"
) -> list[ReadExport]:
    """Load the file's rows below its header(s) as text into temp tables (row order kept)."""
    if not path.is_file():
        raise ExportError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise ExportError(f"{path}: file is empty")
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _read_xlsx(con, path, table)
    if suffix in (".csv", ".txt", ".tsv"):
        with tempfile.TemporaryDirectory(prefix="cchc-export-") as workdir:
            return _read_csv(con, path, table, Path(workdir))
    raise ExportError(f"{path}: unsupported file type {suffix!r} (expected .csv or .xlsx)")
