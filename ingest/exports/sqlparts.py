"""SQL fragments shared by the dossier and the aggregate loaders."""

from __future__ import annotations

import contextlib
import re
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb

from ingest.exports.headers import aggregate_aliases
from ingest.warehouse import ensure_raw_schema, quote_literal

_STATE: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, dict] = (
    weakref.WeakKeyDictionary())

def connection_state(con: duckdb.DuckDBPyConnection) -> dict:
    """What this module already set up on a connection (temp macros, reference tables,
    added columns): per-connection work done once, not once per file."""
    return _STATE.setdefault(con, {})


def ensure_export_columns(con: duckdb.DuckDBPyConnection) -> None:
    state = connection_state(con)
    if state.get("columns"):
        return
    ensure_raw_schema(con)  # a connection not opened by warehouse.connect gets the migrations
    # rows loaded before the key existed get it (a scan of one narrow column otherwise)
    con.execute(f"update raw.export_dossiers set dossier_code_key = {dossier_code_key('dossier_code')} "
                "where dossier_code_key is null")
    state["columns"] = True


def dossier_code_key(sql: str) -> str:
    """SQL: the narrow key of a dossier code (63 bits of its MD5: stable across DuckDB
    versions, unlike hash(); a false match among ten million codes has odds of ~1e-12)."""
    return f"cast(md5_number({sql}) & 9223372036854775807 as bigint)"


def json_object(pairs: list[tuple[str, str]]) -> str:
    if not pairs:
        return "cast(null as varchar)"
    return "cast(json_object(" + ", ".join(f"{quote_literal(k)}, {v}" for k, v in pairs) + ") as varchar)"


@dataclass(frozen=True)
class CellSql:
    """SQL over a read export's cells c0..c<width-1> (both loaders need the same three)."""

    row_as_read: str       # the row as read, JSON named by the header (surplus: _extra_N)
    unknown_columns: str   # the cells of columns no alias maps, JSON
    has_spare_values: str  # the row has values beyond the header


def cell_sql(names: list[str], canonical: list[str | None], width: int) -> CellSql:
    """NFC is applied to the JSON text as a whole: its quotes and commas never combine
    with a letter, so this equals NFC cell by cell. Merge-patch drops null spare keys,
    so only real surplus values show."""
    n = len(names)
    named = [(name, f"c{i}") for i, name in enumerate(names)]
    spare = [(f"_extra_{i - n + 1}", f"c{i}") for i in range(n, width)]
    unknown = [(name, f"c{i}") for i, name in enumerate(names) if canonical[i] is None]
    return CellSql(
        row_as_read=(f"cchc_nfc(cast(json_merge_patch({json_object(named)}, {json_object(spare)})"
                     " as varchar))"),
        unknown_columns=f"cchc_nfc({json_object(unknown)})",
        has_spare_values="(" + (" or ".join(f"c{i} is not null" for i in range(n, width)) or "false") + ")",
    )


def blank_condition(width: int) -> str:
    """A row whose every cell is empty (blank rows are skipped, not read)."""
    return " and ".join(f"(c{i} is null or trim(c{i}) = '')" for i in range(width))


# Code points NFC never changes, never combines with and never reorders: ASCII and the
# Latin blocks (every precomposed Vietnamese letter), Latin Extended Additional, general
# punctuation (less the two quads) and currency signs (tests/ingest/exports checks this
# against unicodedata). Text made only of them is NFC already, so nfc_normalize, which
# costs about ten times a regular-expression scan on Vietnamese text, runs only on cells
# with another character (a combining mark of NFD text, another script, ...).
NFC_STABLE_RANGES = ((0x0000, 0x02FF), (0x1E00, 0x1EFF), (0x2002, 0x2064), (0x20A0, 0x20C0))
_NFC_SUSPECT = "[^" + "".join(f"\\x{{{a:04X}}}-\\x{{{b:04X}}}" for a, b in NFC_STABLE_RANGES) + "]"
# ASCII text (as many bytes as characters: codes, dates, numbers) skips even the scan.
SHARED_MACROS = f"""
create or replace temp macro cchc_nfc(s) as
    case when strlen(s) = length(s) then s
         when regexp_matches(s, '{_NFC_SUSPECT}') then nfc_normalize(s) else s end;
-- A cell's text: trimmed of spaces (only cells that have them pay for it), NFC, empty as null.
create or replace temp macro cchc_text(s) as nullif(cchc_nfc(
    case when starts_with(s, ' ') or ends_with(s, ' ') then trim(s) else s end), '');
"""


def ensure_macros(con: duckdb.DuckDBPyConnection, name: str, sql: str) -> None:
    """Run the CREATE MACRO statements `sql` once per connection (under `name`)."""
    state = connection_state(con)
    if state.get(("macros", name)) != sql:
        con.execute(sql)
        state[("macros", name)] = sql


def _key(sql: str) -> str:
    plain = f"strip_accents(replace(replace(cchc_nfc({sql}), 'Đ', 'D'), 'đ', 'd'))"
    return f"regexp_replace(lower({plain}), '[^a-z0-9]+', '', 'g')"


def total_condition(width: int) -> str:
    """A total row: its first non-empty cell is 'Tổng cộng' / 'Tong so' / 'Cộng' ... (with
    an optional count after it)."""
    first = "coalesce(" + ", ".join(f"nullif(trim(c{i}), '')" for i in range(min(width, 3))) + ")"
    labels = "|".join(sorted(aggregate_aliases().total_labels, key=len, reverse=True))
    # cheap tests first: a total label starts with t/c and is short; most rows (a dossier
    # code in the first cell, a digit first) fail on their first character
    initials = sorted({label[0] for label in aggregate_aliases().total_labels} | {"t", "c"})
    firsts = ", ".join(quote_literal(c) for c in sorted({*initials, *(c.upper() for c in initials), " ",
                                                 "\t"}))
    quick = f"(c0 is null or c0 = '' or left(c0, 1) in ({firsts}))"
    cheap = f"length({first}) < 40 and lower(left(strip_accents({first}), 1)) in ('t', 'c')"
    return (f"case when {quick} and {cheap} then coalesce(regexp_full_match({_key(first)}, "
            f"'({labels})[0-9]*(hoso)?'), false) else false end")


REFERENCE_TABLES = (
    ("_ref_agencies", "agencies.csv",
     "agency_code, agency_name, try_cast(valid_from as date) as valid_from, "
     "try_cast(valid_to as date) as valid_to"),
    ("_ref_procedures", "procedures.csv", "distinct procedure_code"),
)


# Words agency names are written in several ways ("Ủy ban nhân dân thành phố Nha Trang",
# "UBND TP. Nha Trang", "UBND TP Nha Trang"): one spelling each in the name key.
NAME_FORMS = (("uy ban nhan dan", "ubnd"), ("thanh pho", "tp"), ("thi xa", "tx"),
               ("thi tran", "tt"))


def agency_key_sql(expr: str) -> str:
    """SQL: the matching key of an agency name (no diacritics, case, punctuation or spacing
    differences; the usual abbreviations applied)."""
    key = ("' ' || trim(regexp_replace(strip_accents(replace(lower(" + expr + "), 'đ', 'd')), "
           "'[^a-z0-9]+', ' ', 'g')) || ' '")
    for long, short in NAME_FORMS:
        key = f"replace({key}, ' {long} ', ' {short} ')"
    return f"trim({key})"


def reference_tables(con: duckdb.DuckDBPyConnection,
                     reference_dir: Path | None) -> tuple[bool, bool]:
    """Temp tables _ref_agencies (and _ref_agency_periods: one row per code;
    _ref_agency_names: one row per name key, with the codes that bore it and when) and
    _ref_procedures from the seed CSVs; (agencies present, procedures present). Read once
    per connection and again only when a seed file changes
    (path, size or modification time), so a batch of small files does not re-read them."""
    state = connection_state(con)
    found: list[bool] = []
    for table, name, select in REFERENCE_TABLES:
        path = Path(reference_dir) / name if reference_dir else None
        if path is None or not path.is_file():
            found.append(False)
            continue
        stat = path.stat()
        signature = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
        if state.get(table) != signature:
            con.execute(
                f"create or replace temp table {table} as select {select} "
                f"from read_csv({quote_literal(str(path))}, header=true, all_varchar=true)")
            if table == "_ref_agencies":
                # one row per code with its validity periods, for a plain equi-join
                con.execute(
                    "create or replace temp table _ref_agency_periods as select agency_code, "
                    "list({'valid_from': valid_from, 'valid_to': valid_to}) as periods "
                    "from _ref_agencies group by agency_code")
                con.execute(
                    "create or replace temp table _ref_agency_names as select "
                    f"{agency_key_sql('agency_name')} as name_key, "
                    "list({'agency_code': agency_code, 'valid_from': valid_from, "
                    "'valid_to': valid_to}) as candidates "
                    "from _ref_agencies group by all")
            state[table] = signature
        found.append(True)
    return found[0], found[1]


_UNITS = {"": 1, "b": 1, "bytes": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def _bytes(setting: str) -> int | None:
    match = re.fullmatch(r"\s*([\d.]+)\s*([a-zA-Z]*)\s*", setting)
    if not match or match[2].lower() not in _UNITS:
        return None
    return int(float(match[1]) * _UNITS[match[2].lower()])


@contextlib.contextmanager
def memory_budget(con: duckdb.DuckDBPyConnection, limit: str | None,
                  spill_dir: Path) -> Iterator[None]:
    """Lower DuckDB's memory_limit to `limit` for the duration of a load (never raise it),
    so large files spill to the temp directory instead of growing the process; a connection
    without a temp directory spills to `spill_dir`. The previous settings are restored.
    limit=None: leave the settings alone."""
    if limit is None:
        yield
        return
    current, temp_dir = con.execute(
        "select current_setting('memory_limit'), current_setting('temp_directory')").fetchone()
    wanted, have = _bytes(limit), _bytes(current)
    lower = wanted is not None and (have is None or have > wanted)
    if lower:
        con.execute(f"set memory_limit = {quote_literal(limit)}")
    if not temp_dir:
        con.execute(f"set temp_directory = {quote_literal(str(spill_dir))}")
    try:
        yield
    finally:
        if lower:
            # the setting reads back rounded ("18.8 GiB"): reset the default exactly
            if current == _default_memory_limit():
                con.execute("reset memory_limit")
            else:
                con.execute(f"set memory_limit = {quote_literal(current)}")
        if not temp_dir:
            con.execute("set temp_directory = ''")


@cache
def _default_memory_limit() -> str:
    with duckdb.connect() as fresh:
        return fresh.execute("select current_setting('memory_limit')").fetchone()[0]


# --- Data rows and their numbers ------------------------------------------------------------

SKIP_LIST_MAX = 256  # skipped rows numbered by a list lookup; beyond, by a window


@dataclass(frozen=True)
class TableRows:
    """A read table's rows: all, blank, total, and the rowids of the blank and total rows
    (None when there are more than SKIP_LIST_MAX of them). For a table holding several
    files (a `_file` column), by_file gives each file's (blank, total)."""

    rows: int
    blank: int
    total: int
    skipped: tuple[int, ...] | None
    by_file: dict[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def data(self) -> int:
        return self.rows - self.blank - self.total


def count_rows(con: duckdb.DuckDBPyConnection, table: str, width: int,
               files: dict[str, int] | None = None) -> TableRows:
    """Which rows are blank or total rows (they are skipped, not read): a filter, so the
    conditions stop at the first cell that decides, and only skipped rows come back.
    files: the table holds several files (column `filename`), with their numbers."""
    blank, total = blank_condition(width), total_condition(width)
    rows = con.execute(f"select count(*) from {table}").fetchone()[0]
    file = "filename" if files is not None else "''"
    per_file = con.execute(
        f"select {file}, list(_pos order by _pos), count(*) filter (where _b), count(*) "
        f"from (select {'filename, ' if files is not None else ''}rowid as _pos, ({blank}) as _b "
        f"from {table} where ({blank}) or ({total})) group by all"
    ).fetchall()
    per_file = [row for row in per_file if row[3]]  # no group by: one row, even of nothing
    skipped = sorted(p for _, positions, _, _ in per_file for p in positions)
    blanks = sum(b for _, _, b, _ in per_file)
    skips = len(skipped)
    return TableRows(rows, blanks, skips - blanks,
                     tuple(skipped) if skips <= SKIP_LIST_MAX else None,
                     {files[f]: (b, n - b) for f, _, b, n in per_file} if files is not None else {})


def data_rows(table: str, width: int, rows: TableRows, offset: int,
              file_index: int | None = None, files_table: str | None = None) -> str:
    """SELECT of the table's data rows in file order: _file, source_row (offset + 1, 2, ...)
    and c0..c{width-1}. Rows stay in rowid order and nothing is sorted: a data row's number
    is its position less the skipped rows before it; only a table with very many blank rows
    falls back to numbering by a window over rowid.

    The table is one file, numbered `file_index` in its batch; or several files appended one
    after the other (read_csv_files), each row with its `filename`, and `files_table` gives
    each filename its number (_file) and the rowid it starts at (_start)."""
    columns = ", ".join(f"c{i}" for i in range(width))
    rowids = f"(select rowid as _pos, * from {table})"
    if files_table is not None:
        file, first = "f._file", "f._start"
        source = f"{rowids} t join {files_table} f using (filename)"
    else:
        file, first = f"{int(file_index or 0)} as _file", "0"
        source = rowids
    if rows.skipped is None:
        return (f"select {file}, cast({offset} + row_number() over "
                f"(partition by {first} order by _pos) as integer) as source_row, {columns} "
                f"from {source} "
                f"where not ({blank_condition(width)}) and not ({total_condition(width)})")
    if not rows.skipped:
        return (f"select {file}, cast({offset} + _pos - {first} + 1 as integer) as source_row, "
                f"{columns} from {source}")
    skipped = "[" + ", ".join(str(int(p)) for p in rows.skipped) + "]::bigint[]"
    return (f"select {file}, cast({offset} + _pos - {first} + 1 - len(list_filter({skipped}, "
            f"lambda p: p >= {first} and p < _pos)) as integer) as source_row, {columns} "
            f"from {source} where not list_contains({skipped}, _pos)")
