"""Read one export file into a DuckDB temp table of varchar columns.

Python only looks at the first lines (encoding, delimiter, header row); DuckDB reads the
body, so large CSVs stream instead of passing through a Python loop.
"""

from __future__ import annotations

import codecs
import csv
import io
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import duckdb
import pyarrow as pa

from ingest.exports.headers import HeaderMap, map_header

HEAD_BYTES = 64 * 1024  # enough for title rows plus the header
HEAD_ROWS = 30  # the header must appear within this many rows
SPARE_COLUMNS = 8  # catch rows with more values than headers instead of truncating them
CHUNK = 1 << 20


class ExportError(ValueError):
    """A whole file cannot be read (empty, unknown encoding, no recognisable header)."""


@dataclass(frozen=True)
class ReadExport:
    """What `read_export` put in DuckDB: table `table` with columns source_row, c0..cN."""

    table: str
    header: HeaderMap
    encoding: str
    width: int  # number of value columns c0..c{width-1}, spare ones included


def detect_encoding(path: Path) -> str:
    """'utf-8-sig', 'utf-8' or 'cp1258' (Windows-1258); ExportError when none decodes."""
    with open(path, "rb") as handle:
        first = handle.read(4)
        if not first.strip():
            raise ExportError(f"{path}: file is empty")
        if first.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        for encoding in ("utf-8", "cp1258"):
            handle.seek(0)
            decoder = codecs.getincrementaldecoder(encoding)()
            try:
                for block in iter(lambda: handle.read(CHUNK), b""):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
                return encoding
            except UnicodeDecodeError:
                continue
    raise ExportError(f"{path}: unknown text encoding (neither UTF-8 nor Windows-1258)")


def _find_csv_header(path: Path, text: str) -> tuple[str, int, HeaderMap]:
    """Delimiter, physical lines up to and including the header, and the header map."""
    for delimiter in (",", ";", "\t", "|"):
        lines = io.StringIO(text, newline="")
        reader = csv.reader(lines, delimiter=delimiter)
        for number, row in enumerate(reader, 1):
            if number > HEAD_ROWS:
                break
            header = map_header(row)
            if header:
                return delimiter, reader.line_num, header
    raise ExportError(
        f"{path}: no recognisable dossier header in the first {HEAD_ROWS} rows "
        "(need at least the dossier code and the received date, see header_aliases.yml)"
    )


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path, table: str, workdir: Path) -> ReadExport:
    encoding = detect_encoding(path)
    with open(path, encoding=encoding, errors="replace", newline="") as handle:
        head = handle.read(HEAD_BYTES)
    delimiter, skip, header = _find_csv_header(path, head)
    source = path
    if encoding == "cp1258":
        # DuckDB reads UTF-8 only: transcode in chunks to a scratch file (NFC comes later, in SQL).
        source = workdir / "transcoded.csv"
        with open(path, encoding="cp1258", newline="") as src, open(
            source, "w", encoding="utf-8", newline=""
        ) as dst:
            for block in iter(lambda: src.read(CHUNK), ""):
                dst.write(block)
    width = len(header.names) + SPARE_COLUMNS
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
    return ReadExport(table, header, encoding, width)


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


def _read_xlsx(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> ReadExport:
    """First sheet with a dossier header; blank rows dropped (they are not data rows)."""
    import openpyxl  # only XLSX needs it

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for broken files
        raise ExportError(f"{path}: unreadable XLSX: {error}") from error
    try:
        for sheet in book.worksheets:
            rows = sheet.iter_rows(values_only=True)
            header = None
            for number, row in enumerate(rows, 1):
                if number > HEAD_ROWS:
                    break
                header = map_header(row)
                if header:
                    break
            if header is None:
                continue
            width = len(header.names) + SPARE_COLUMNS
            columns: list[list[str | None]] = [[] for _ in range(width)]
            for row in rows:
                cells = [_cell_text(v) for v in row]
                if not any(c is not None and c.strip() for c in cells):
                    continue
                cells = (cells + [None] * width)[:width]
                for i, cell in enumerate(cells):
                    columns[i].append(cell)
            arrow = pa.table({f"c{i}": pa.array(col, pa.string()) for i, col in enumerate(columns)})
            con.register("_xlsx_arrow", arrow)
            con.execute(f"create or replace temp table {table} as select * from _xlsx_arrow")
            con.unregister("_xlsx_arrow")
            return ReadExport(table, header, "xlsx", width)
    finally:
        book.close()
    raise ExportError(f"{path}: no sheet with a recognisable dossier header")


def read_export(
    con: duckdb.DuckDBPyConnection, path: Path, table: str = "_export_src"
) -> ReadExport:
    """Load the file's data rows as text into temp table `table` (row order kept)."""
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
