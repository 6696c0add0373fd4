"""Read one export file into DuckDB temp tables of varchar columns, one per table in it.

Python only looks at the first lines (encoding, delimiter, title and header rows); DuckDB
reads a CSV's body straight from the file (a legacy-encoded CSV is first transcoded to a
scratch UTF-8 file in 1 MiB chunks), so a large CSV never passes through Python. A
workbook (XLSX, or XLS from Excel 97-2003) is read sheet by sheet with calamine and handed
to DuckDB in Arrow batches; each sheet with a recognisable header is a separate table.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import chain, islice
from pathlib import Path

import duckdb

from ingest.exports.encodings import (
    EncodingError,
    detect_file_encoding,
    fix_cell,
    repair_legacy_text,
    transcode,
)
from ingest.exports.headers import FoundHeader, HeaderMap, find_header
from ingest.warehouse import quote_literal

HEAD_BYTES = 64 * 1024  # enough for title rows plus the header
HEAD_ROWS = 30  # the header must appear within this many rows
SPARE_COLUMNS = 8  # catch rows with more values than headers instead of truncating them
SHEET_BATCH_ROWS = 50_000  # workbook rows handed to DuckDB per Arrow batch
LEGACY_SAMPLE_ROWS = 500  # workbook rows judged for legacy-font text
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")
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
    sheet: str | None = None  # workbook sheet name; None for CSV
    title: str = ""  # text of the rows above the header


def detect_encoding(path: Path, whole_file: bool = True) -> str:
    """'utf-8-sig', 'utf-8', 'cp1258', 'tcvn3' or 'vni'; ExportError when none fits."""
    with open(path, "rb") as handle:
        if not handle.read(4).strip():
            raise ExportError(f"{path}: file is empty")
    try:
        return detect_file_encoding(path, whole_file)
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


@dataclass(frozen=True)
class CsvLayout:
    """What a CSV's first lines say: where its rows are (source: the file, or its UTF-8
    transcoding), how they are delimited, how many lines the title and header take."""

    path: Path
    source: Path
    encoding: str
    delimiter: str
    skip: int
    found: FoundHeader

    @property
    def width(self) -> int:
        return len(self.found.header.names) + SPARE_COLUMNS

    def read(self, table: str) -> ReadExport:
        return ReadExport(table, self.found.header, self.encoding, self.width, self.found.shape,
                          None, self.found.title)


def sniff_csv(path: Path, workdir: Path, whole_file: bool = False) -> CsvLayout:
    """The CSV's layout. Without `whole_file`, a file whose first MiB is UTF-8 is taken as
    UTF-8 (DuckDB checks the rest as it reads, see read_csv_file); a legacy encoding is
    transcoded to a scratch file in `workdir` (NFC comes later, in SQL)."""
    encoding = detect_encoding(path, whole_file=whole_file)
    source = path
    if encoding not in ("utf-8", "utf-8-sig"):
        handle, name = tempfile.mkstemp(prefix="transcoded-", suffix=".csv", dir=workdir)
        os.close(handle)
        source = Path(name)
        transcode(path, source, encoding)
    with open(source, encoding="utf-8-sig", errors="replace", newline="") as handle:
        head = handle.read(HEAD_BYTES)
    delimiter, skip, found = _find_csv_header(path, head)
    return CsvLayout(path, source, encoding, delimiter, skip, found)


def _csv_rows(layout: CsvLayout, sources: str, filename: bool = False) -> str:
    """SELECT of the rows below the header as varchar c0..c{width-1} (plus `filename`);
    `sources` is SQL for the file or the list of files."""
    columns = ", ".join(f"'c{i}': 'varchar'" for i in range(layout.width))
    return (f"select * from read_csv({sources}, delim={quote_literal(layout.delimiter)}, quote='\"', "
            f"escape='\"', header=false, skip={int(layout.skip)}, columns={{{columns}}}, "
            f"auto_detect=false, null_padding=true, max_line_size={MAX_LINE_BYTES}, "
            f"strict_mode=false{', filename=true' if filename else ''})")


def read_csv_files(con: duckdb.DuckDBPyConnection, layouts: list[CsvLayout], table: str) -> None:
    """Temp table `table` of the rows of several UTF-8 CSVs of one layout (delimiter,
    title lines, header), in file order, with each row's `filename`: one parallel read.
    Raises duckdb.Error when a file needs more care (invalid UTF-8 past its first MiB,
    quoted line breaks): read those one by one with read_csv_file."""
    sources = "[" + ", ".join(quote_literal(str(layout.source)) for layout in layouts) + "]"
    con.execute(f"create or replace temp table {table} as "
                f"{_csv_rows(layouts[0], sources, filename=True)}")


def read_csv_file(con: duckdb.DuckDBPyConnection, layout: CsvLayout, table: str,
                  workdir: Path, filename: bool = False,
                  append: bool = False) -> tuple[CsvLayout, int]:
    """Read one CSV's rows into temp table `table` (appended with append=True; with
    filename=True each row carries the file's path as `filename`, as read_csv_files
    gives). Returns the layout it was read with (a file that turned out not to be UTF-8
    past its first MiB is examined whole and read again) and the number of rows."""
    try:
        rows = _read_one(con, layout, table, filename, append)
    except _NotUtf8:
        layout = sniff_csv(layout.path, workdir, whole_file=True)
        try:
            rows = _read_one(con, layout, table, filename, append)
        except _NotUtf8 as error:
            raise ExportError(f"{layout.path}: unreadable CSV body: invalid UTF-8") from error
    if layout.source != layout.path:
        layout.source.unlink(missing_ok=True)  # the transcoded copy is read: free the disk
    return layout, rows


class _NotUtf8(Exception):
    """DuckDB found invalid UTF-8 past the sample that looked like UTF-8."""


def _read_one(con: duckdb.DuckDBPyConnection, layout: CsvLayout, table: str, filename: bool,
              append: bool) -> int:
    rows = _csv_rows(layout, quote_literal(str(layout.source)))
    if filename:
        rows = f"select {quote_literal(str(layout.path))} as filename, * from ({rows})"
    read = (f"insert into {table} " if append else f"create or replace temp table {table} as ") + rows
    try:
        try:
            return con.execute(read).fetchone()[0]
        except duckdb.Error as error:
            if "parallel=false" not in str(error):
                raise
            # Quoted cells with line breaks (notes, addresses): DuckDB's parallel scanner
            # cannot split such a file, its single-threaded one can.
            return con.execute(read.replace("strict_mode=false", "strict_mode=false, "
                                            "parallel=false")).fetchone()[0]
    except duckdb.Error as error:
        if layout.encoding == "utf-8" and "invalid unicode" in str(error).lower():
            raise _NotUtf8 from error
        # DuckDB quotes the offending line whole: a message is no place for megabytes of it.
        message = str(error)
        if len(message) > 2000:
            message = message[:1000] + " […] " + message[-500:]
        raise ExportError(f"{layout.path}: unreadable CSV body: {message}") from error


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path, table: str,
              workdir: Path) -> list[ReadExport]:
    layout, _ = read_csv_file(con, sniff_csv(path, workdir), table, workdir)
    return [layout.read(table)]


def _cell_text(value: object) -> str | None:
    """Workbook cell as text: dates as ISO, whole floats without '.0' (codes, counts); an
    empty cell (calamine gives '') as null."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        # calamine gives a date for a date cell at midnight: read it as midnight (as a
        # datetime cell), not as a bare date, which would mean "by the end of the day"
        return value.strftime("%Y-%m-%d 00:00:00")
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _row_text(row: list) -> list[str | None]:
    return [_cell_text(v) for v in row]


def _legacy_fixer(legacy: str | None) -> Callable[[list], list]:
    """Row -> row with its non-ASCII cells converted from a legacy font (or unchanged)."""
    if legacy is None:
        return lambda row: row
    return lambda row: [fix_cell(c, legacy) if c and not c.isascii() else c for c in row]


def _batches(rows: Iterator[list], size: int) -> Iterator[list[list]]:
    batch: list[list] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert_rows(con: duckdb.DuckDBPyConnection, name: str, width: int,
                 rows: Iterator[list[str | None]]) -> None:
    """Append text rows to temp table `name` (c0..c{width-1}) in Arrow batches, in order."""
    import pyarrow as pa  # only workbooks need it (and it costs ~35 MiB to import)

    con.execute(f"create or replace temp table {name} ("
                + ", ".join(f"c{i} varchar" for i in range(width)) + ")")
    for batch in _batches(rows, SHEET_BATCH_ROWS):
        columns = {f"c{i}": pa.array([(r[i] if i < len(r) else None) for r in batch],
                                     pa.string()) for i in range(width)}
        con.register("_sheet_arrow", pa.table(columns))
        try:
            con.execute(f"insert into {name} select * from _sheet_arrow")
        finally:
            con.unregister("_sheet_arrow")


# Lines DuckDB will read whole. A row past the loader's limit (loader.MAX_ROW_BYTES) is
# quarantined with its row number; only a line beyond this one stops the file.
MAX_LINE_BYTES = 64 << 20

# An XLSX is a zip: what its parts decompress to is known before a byte is inflated. A
# workbook that would inflate beyond this (a zip bomb, or a sheet no one-stop-shop exports)
# is refused, whatever its size on disk. Calamine holds a sheet's cells while it is read
# (about 1.8 times the sheet's XML at its peak): at this limit a load stays under 1 GiB
# for the whole process (bench/bench_load_exports.py measures it). Override with
# CCHC_XLSX_MAX_INFLATED_MIB.
XLSX_MAX_INFLATED_MIB = 384


def _check_inflated_size(path: Path) -> None:
    """Refuse an XLSX whose parts decompress beyond the limit, before reading it."""
    import os
    import zipfile

    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return
    limit = int(os.environ.get("CCHC_XLSX_MAX_INFLATED_MIB", XLSX_MAX_INFLATED_MIB)) << 20
    try:
        with zipfile.ZipFile(path) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        return  # calamine reports a broken workbook with its own words
    if inflated > limit:
        raise ExportError(
            f"{path}: refused: its cells decompress to {inflated / 2**20:,.0f} MiB, beyond the "
            f"{limit >> 20} MiB an export may take (a zip bomb, or not an export). Split the "
            "export, or raise CCHC_XLSX_MAX_INFLATED_MIB if it is genuine.")


def _read_workbook(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> list[ReadExport]:
    """XLSX or XLS (Excel 97-2003), read with calamine: every worksheet with a header of
    either shape, in workbook order; the file's shape is the first such sheet's, sheets of
    the other shape are left out. Rows stream into DuckDB in batches below the header."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum

    _check_inflated_size(path)
    kind = path.suffix.lower().lstrip(".").upper()
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as error:  # calamine raises several types for broken files
        raise ExportError(f"{path}: unreadable {kind}: {error}") from error
    reads: list[ReadExport] = []
    try:
        with book:
            for meta in book.sheets_metadata:
                if meta.typ == SheetTypeEnum.WorkSheet:
                    _read_sheet(con, path, kind, book, meta.name, table, reads)
    except BaseException:
        for read in reads:
            con.execute(f"drop table if exists {read.table}")
        raise
    if not reads:
        raise _no_header(path)
    return reads


def _read_sheet(con: duckdb.DuckDBPyConnection, path: Path, kind: str, book, sheet: str,
                table: str, reads: list[ReadExport]) -> None:
    """One worksheet into temp table {table}_{n} when it has a header of the file's shape."""
    try:
        rows = book.get_sheet_by_name(sheet).iter_rows()
        head = [_row_text(r) for r in islice(rows, LEGACY_SAMPLE_ROWS)]
    except Exception as error:  # calamine raises several types for broken sheets
        raise ExportError(f"{path}: unreadable {kind} sheet {sheet!r}: {error}") from error
    # Text typed in a legacy font (TCVN3, VNI) is converted, judged on the first rows.
    fix = _legacy_fixer(repair_legacy_text([c for r in head for c in r if c and not c.isascii()]))
    head = [fix(r) for r in head]
    found = find_header(head[: HEAD_ROWS + 2])
    if found is None or (reads and found.shape != reads[0].shape):
        return
    width = len(found.header.names) + SPARE_COLUMNS
    name = f"{table}_{len(reads)}"
    reads.append(ReadExport(name, found.header, kind.lower(), width, found.shape, sheet,
                            found.title))
    _insert_rows(con, name, width, chain(head[found.rows:], (fix(_row_text(r)) for r in rows)))


def read_export(con: duckdb.DuckDBPyConnection, path: Path, table: str = "_export_src",
                scratch: Path | None = None) -> list[ReadExport]:
    """Load the file's rows below its header(s) as text into temp tables (row order kept).

    `scratch`: a folder for the transcoded copy of a legacy-encoded CSV (default: a
    temporary folder removed on return)."""
    if not path.is_file():
        raise ExportError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise ExportError(f"{path}: file is empty")
    suffix = path.suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:
        return _read_workbook(con, path, table)
    if suffix in (".csv", ".txt", ".tsv"):
        if scratch is not None:
            return _read_csv(con, path, table, scratch)
        with tempfile.TemporaryDirectory(prefix="cchc-export-") as workdir:
            return _read_csv(con, path, table, Path(workdir))
    raise ExportError(f"{path}: unsupported file type {suffix!r} (expected .csv, .xlsx or .xls)")
