"""Cast, validate and load agency exports into raw (in DuckDB SQL).

Dossier-level files go to raw.export_dossiers, the aggregated form (Bieu II.06a) to
raw.export_aggregates. Every data row of a file ends in exactly one of those or
raw.export_quarantine; the file's counts go to raw.load_manifest. Blank rows and total
rows ("Tong cong") are skipped: they are not data rows, so they are not counted as read
(the manifest counts them apart, in rows_blank and rows_total). Dossier rows belong to the
partition (agency, received month), aggregate rows to (agency, month or quarter) of their
table; a load replaces the partitions it covers, in one transaction, and loading the same
bytes again changes nothing.

The same dossier code in several files: the warehouse keeps every row (dbt keeps the
latest status: later partition month, then later event, then higher status code) and the
load reports how many of the file's dossier codes other files already hold.

Files load in batches (load_exports: a month of landed files, or the files given to
`cchc load-export`), all in one transaction. UTF-8 dossier CSVs of one layout (delimiter,
title lines, header) are read by one parallel read_csv into one text table, cast and
checked by one statement into a typed table (rows numbered from their rowid, nothing
sorted), and inserted by one statement; other files (workbooks, legacy encodings, the
aggregated form) are read and cast one by one, then written with the rest. Partitions are
replaced by equality on (agency, month); duplicates across files are found on a narrow key
column. For a large batch DuckDB's memory is capped (MEMORY_LIMIT) so the rest spills to
disk. Reference tables and macros are set up once per connection
(sqlparts.connection_state). See bench/README.md for the numbers.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingest.exports import aggregates, vocab
from ingest.exports.headers import SHAPE_AGGREGATE, SHAPE_DOSSIERS
from ingest.exports.reader import (
    CsvLayout,
    ExportError,
    ReadExport,
    read_csv_file,
    read_csv_files,
    read_export,
    sniff_csv,
)
from ingest.exports.sqlparts import (
    SHARED_MACROS,
    agency_key_sql,
    cell_sql,
    count_rows,
    data_rows,
    dossier_code_key,
    ensure_export_columns,
    ensure_macros,
    memory_budget,
    reference_tables,
)
from ingest.warehouse import quote_literal, raw_column_types, raw_columns, transaction

# DuckDB's memory during a load: what does not fit spills to its temp directory (next to
# the warehouse file) instead of growing the process. With the XLSX inflate limit (reader.
# XLSX_MAX_INFLATED_MIB) it keeps a load under 1 GiB for the whole process, whatever the
# files' size on disk (bench/README.md).
MEMORY_LIMIT = "512MiB"
# Files of one layout are read and cast together up to this many bytes of CSV (a file
# larger than that alone): each such group's text and typed tables then fit in the memory
# cap instead of spilling (a busy month of a province is about 200-270 MiB).
GROUP_MAX_BYTES = 256 << 20
SOURCE_KINDS = {SHAPE_DOSSIERS: "dossiers", SHAPE_AGGREGATE: "aggregates"}
PERIOD_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
AGGREGATE_PERIOD_RE = re.compile(r"^\d{4}-((0[1-9]|1[0-2])|Q[1-4])$")

# Each date format a column may use. A string parses under at most one of them (strptime
# must consume it whole), so the order only decides cost: the common ones first. DuckDB
# tries a list of formats itself, much faster than a chain of try_strptime calls.
TS_FORMATS = [
    "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d/%m/%Y %H:%M:%S",
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M",
    "%d-%m-%Y %H:%M", "%d-%m-%Y", "%d-%m-%Y %H:%M:%S",
]


# Parsing helpers as SQL macros so the whole file is cast in one statement.
MACROS = f"""
create or replace temp macro cchc_ts(s) as coalesce(
    try_strptime(s, [{", ".join(f"'{f}'" for f in TS_FORMATS)}]),
    -- Excel serial day numbers (workbook cells typed as numbers), plausible range only.
    -- (The number is written once, through a lambda: written twice, DuckDB would compute it
    -- ahead for every row, not only for the cells no format read.)
    list_transform([try_cast(s as double)], lambda x: case when x between 20000 and 80000
        then timestamp '1899-12-30' + to_microseconds(cast(round(x * 86400e6) as bigint)) end)[1]
);
-- A due date without a time means "by the end of that day" (a date with a time has a ':').
create or replace temp macro cchc_due(s) as cchc_ts(s) + case
    when not contains(s, ':') and regexp_full_match(
            s, '\\d{{1,2}}[/-]\\d{{1,2}}[/-]\\d{{4}}|\\d{{4}}-\\d{{2}}-\\d{{2}}')
        then interval 86399 second
    else interval 0 second
end;
create or replace temp macro cchc_fee(s) as case
    when s is null then null
    -- plain numbers ("30000") straight away; they cannot match the patterns below
    when not contains(s, '.') and not contains(s, ',') and try_cast(s as double) is not null
        then try_cast(s as double)
    -- Vietnamese format: thousands dot, decimal comma ("1.100.000", "12,5"); unit suffix dropped
    when regexp_full_match(regexp_replace(s, '\\s*(đ|vnđ|vnd|đồng|dong)$', '', 'i'),
                           '\\d{{1,3}}(\\.\\d{{3}})+(,\\d+)?')
        then try_cast(replace(replace(regexp_replace(s, '\\s*(đ|vnđ|vnd|đồng|dong)$', '', 'i'),
                                      '.', ''), ',', '.') as double)
    when regexp_full_match(regexp_replace(s, '\\s*(đ|vnđ|vnd|đồng|dong)$', '', 'i'),
                           '\\d+(,\\d+)?')
        then try_cast(replace(regexp_replace(s, '\\s*(đ|vnđ|vnd|đồng|dong)$', '', 'i'),
                              ',', '.') as double)
    else try_cast(s as double)
end;
-- A cell label as a vocabulary key (value_vocab.yml): no diacritics, lowercase, single
-- spaces for any run of punctuation and spacing (vocab.label_key does the same in Python).
create or replace temp macro cchc_label(s) as
    trim(regexp_replace(strip_accents(replace(lower(s), 'đ', 'd')), '[^a-z0-9]+', ' ', 'g'));
"""

# Checks in order; a quarantined row carries the first one it fails. A reason names the
# value it could not read where that value is a label ("invalid channel: Qua Zalo"), so the
# load report counts each unknown label (see value_vocab.yml).
LABELLED = {"invalid channel": "t_channel", "invalid status": "t_status",
            "invalid service level": "t_service_level",
            "invalid paid online flag": "t_is_paid_online",
            "unknown agency": "agency_as_read", "ambiguous agency": "agency_as_read",
            "named agency not valid on received date": "agency_as_read"}
# A row (or one cell) this large is no dossier: it is quarantined, the rows after it load.
MAX_ROW_BYTES = 1 << 20
KEPT_CHARS = 4000  # of such a row, the beginning kept in the quarantine
REASONS: list[tuple[str, str]] = [
    ("row too large", f"_row_bytes > {MAX_ROW_BYTES}"),
    ("missing dossier code", "t_dossier_code is null"),
    ("missing received date", "t_received_at is null"),
    ("invalid received date", "received_at is null"),
    ("invalid due date", "t_due_at is not null and due_at is null"),
    ("invalid finished date", "t_finished_at is not null and finished_at is null"),
    ("invalid returned date", "t_returned_at is not null and returned_at is null"),
    ("invalid channel", "t_channel is not null and coalesce(channel not between 1 and 3, true)"),
    ("invalid status", "t_status is not null and coalesce(status not between 1 and 10, true)"),
    ("invalid service level",
     "t_service_level is not null and coalesce(service_level not between 2 and 4, true)"),
    ("due before received", "due_at < received_at"),
    ("finished before received", "finished_at < received_at"),
    ("invalid fee", "t_fee_amount is not null and fee_amount is null"),
    ("invalid paid online flag", "t_is_paid_online is not null and is_paid_online is null"),
    ("more values than headers", "has_spare_values"),
    ("missing agency", "partition_agency is null and agency_as_read is null"),
]
# Against the reference seeds, when they exist (Settings().reference_dir).
# (_agency_periods and _procedure_known come from left joins on the small reference tables:
# a correlated subquery here would make DuckDB materialise the whole file for the join.)
AGENCY_REASONS: list[tuple[str, str]] = [
    ("ambiguous agency", "_agency_periods is null and len(_name_matches) > 1"),
    # a name the reference knows, of units none of which was valid on the date (a district
    # committee named after 2025-06-30)
    ("named agency not valid on received date", "_agency_periods is null and _name_known"),
    ("unknown agency", "_agency_periods is null"),
    ("agency not valid on received date", """not list_bool_or(list_transform(_agency_periods,
        lambda p: coalesce(p.valid_from <= cast(received_at as date), true)
                  and coalesce(p.valid_to >= cast(received_at as date), true)))"""),
]
# A procedure code the catalog does not know is still a real dossier (catalogs change every
# month): it loads, against dbt's unknown procedure member, and the load report lists it.
TEXT_COLUMNS = ["dossier_code", "agency_code", "agency_name", "procedure_code",
                "procedure_name", "field_code", "field_name"]
PARSED_COLUMNS = ["channel", "status", "received_at", "due_at", "finished_at", "returned_at",
                  "is_paid_online", "fee_amount", "service_level"]
DOSSIER_INSERT = raw_columns("export_dossiers")
AGGREGATE_INSERT = raw_columns("export_aggregates")
EXPORT_SUFFIXES = (".csv", ".xlsx", ".xls")
MANIFEST_COLUMNS = raw_columns("load_manifest")
MANIFEST_TYPES = [f"{data_type}[]" for data_type in raw_column_types("load_manifest")]


@dataclass(frozen=True)
class ExportLoadResult:
    """Outcome of loading one file; skipped = the same bytes were already loaded.

    rows_read counts data rows (rows_loaded + rows_quarantined); blank rows and total rows
    are not data rows and are counted in rows_blank and rows_total. total_row_check holds,
    per table of an aggregate file (CSV file name or workbook sheet), whether its total row
    agrees with the column sums. duplicates_across_files: dossier codes of this file that
    other files had already loaded (the warehouse keeps both; dbt picks the latest).
    """

    file: str
    sha256: str
    shape: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    partitions: list[str]
    skipped: bool
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    duplicates_across_files: int = 0
    rows_blank: int = 0
    rows_total: int = 0
    total_row_check: dict[str, dict] = field(default_factory=dict)
    # procedure codes the catalog does not know, with their loaded rows
    unknown_procedures: dict[str, int] = field(default_factory=dict)
    # the file is declared a sample of the full export (generated samples): counts are
    # partial, rates are estimates; None = the full export
    sample_fraction: float | None = None

    def to_json(self) -> dict:
        return asdict(self)


def _text(read: ReadExport, column: str) -> str:
    """SQL for a canonical column's cleaned text: NFC, trimmed, empty as null."""
    position = read.header.position(column)
    if position is None:
        return "cast(null as varchar)"
    return f"cchc_text(c{position})"


def _build_dossiers(con: duckdb.DuckDBPyConnection, read: ReadExport, rows_sql: str,
                    target: str, agency: str | None, period: str | None,
                    refs: tuple[bool, bool]) -> None:
    """Temp table `target`: per data row of `rows_sql` (see sqlparts.data_rows) its file,
    the insert columns, partition keys, the reason (null = loads) and, for quarantined rows
    only, the row as read. One streaming pass: nothing is sorted or kept beyond the columns
    inserted."""
    cells = cell_sql(read.header.names, read.header.canonical, read.width)
    texts = ",\n".join(f"{_text(read, c)} as t_{c}" for c in TEXT_COLUMNS + PARSED_COLUMNS)
    reasons = REASONS + (AGENCY_REASONS if refs[0] else [])
    reason = "case " + " ".join(
        f"when {cond} then {quote_literal(r)}" + (f" || ': ' || {LABELLED[r]}" if r in LABELLED else "")
        for r, cond in reasons) + " end"
    resolved = {  # the agency as a code, whether the row named it by code or by name
        "agency_code": "agency_code_resolved as agency_code",
        # the catalog's short form of a full national code (1.009994.000.00.00.H34 -> 1.009994)
        "procedure_code": ("coalesce(_procedure_known, t_procedure_code) as procedure_code"
                           if refs[1] else "t_procedure_code as procedure_code"),
        "agency_name": "coalesce(t_agency_name, case when agency_code_resolved is distinct from "
                       "t_agency_code then t_agency_code end) as agency_name",
    }
    keep = ", ".join(["_file", "source_row", "partition_agency", "partition_month",
                      f"{dossier_code_key('t_dossier_code')} as dossier_code_key",
                      *(resolved.get(c, f"t_{c} as {c}") for c in TEXT_COLUMNS), *PARSED_COLUMNS,
                      "extra_columns", "source_sheet", "reason",
                      *(["_procedure_known"] if refs[1] else [])])
    if refs[0]:
        # A known code is taken as it is; anything else (a name in the name column, or in
        # the code column: "Don vi xu ly: So Tu phap") is looked up by name among the units
        # valid on the received date.
        named = f"""
            select
                t.*,
                case when _known_code is not null then t_agency_code
                     when len(matches) = 1 then matches[1].agency_code end as agency_code_resolved,
                coalesce(matches, []) as _name_matches
            from (
                select
                    t.*,
                    k.agency_code as _known_code,
                    n.candidates is not null as _name_known,
                    list_filter(n.candidates, lambda c:
                        coalesce(c.valid_from <= cast(t.received_at as date), true)
                        and coalesce(c.valid_to >= cast(t.received_at as date), true)) as matches
                from typed t
                left join _ref_agency_periods k on k.agency_code = t.t_agency_code
                left join _ref_agency_names n
                    on k.agency_code is null
                    -- (the key only for rows whose code is unknown: it is costly)
                    and n.name_key = case when k.agency_code is null then
                        {agency_key_sql("coalesce(t.t_agency_name, t.t_agency_code)")} end
            ) t"""
    else:
        named = "select *, t_agency_code as agency_code_resolved from typed"
    agency_periods = ", a.periods as _agency_periods" if refs[0] else ""
    agency_join = (" left join _ref_agency_periods a on a.agency_code = p.ref_agency"
                   if refs[0] else "")
    procedure_known = (", coalesce(r.procedure_code, s.procedure_code) as _procedure_known"
                       if refs[1] else "")
    procedure_join = (" left join _ref_procedures r on r.procedure_code = p.t_procedure_code"
                      " left join _ref_procedures s on r.procedure_code is null and s.procedure_code"
                      " = regexp_extract(p.t_procedure_code, '^(\\d\\.\\d{6})\\.', 1)"
                      if refs[1] else "")
    con.execute(
        f"""
        create or replace temp table {target} as
        with source as (
            select
                _file,
                source_row,
                {texts},
                {cells.unknown_columns} as extra_columns,
                {cells.has_spare_values} as has_spare_values,
                _row_bytes,
                {", ".join(f"c{i}" for i in range(read.width))}
            from (
                -- a row too large is quarantined and kept as its beginning: its cells are
                -- cut before anything copies them (megabytes per cell, under a memory cap)
                select _file, source_row, _row_bytes, {", ".join(
                    f"case when _row_bytes > {MAX_ROW_BYTES} then left(c{i}, {KEPT_CHARS}) "
                    f"else c{i} end as c{i}" for i in range(read.width))}
                from (select *, {" + ".join(f"coalesce(strlen(c{i}), 0)" for i in range(read.width))}
                      as _row_bytes from ({rows_sql}))
            )
        ),
        typed as (
            select
                *,
                -- the national portal's numeric codes first (no label is a number)
                coalesce(try_cast(t_channel as integer),
                         {vocab.case_sql("channel", "t_channel")}) as channel,
                coalesce(try_cast(t_status as integer),
                         {vocab.case_sql("status", "t_status")}) as status,
                cchc_ts(t_received_at) as received_at,
                cchc_due(t_due_at) as due_at,
                cchc_ts(t_finished_at) as finished_at,
                cchc_ts(t_returned_at) as returned_at,
                {vocab.case_sql("flag", "t_is_paid_online")} as is_paid_online,
                cchc_fee(t_fee_amount) as fee_amount,
                -- "Toàn trình"; "3", "Mức độ 3", "MĐ4": the trailing number
                coalesce({vocab.case_sql("service_level", "t_service_level")},
                         try_cast(regexp_extract(t_service_level, '(\\d+)\\s*$', 1) as integer))
                    as service_level
            from source
        ),
        named as ({named}),
        partitioned as (
            select
                *,
                coalesce(cast(? as varchar), agency_code_resolved, t_agency_code) as partition_agency,
                coalesce(cast(? as varchar), strftime(received_at, '%Y-%m')) as partition_month,
                coalesce(agency_code_resolved, cast(? as varchar)) as ref_agency,
                coalesce(t_agency_code, t_agency_name) as agency_as_read,
                cast(? as varchar) as source_sheet
            from named
        ),
        referenced as (
            select p.*{agency_periods}{procedure_known}
            from partitioned p{agency_join}{procedure_join}
        ),
        checked as (select *, {reason} as reason from referenced)
        -- the row as read, for quarantined rows only
        select {keep},
               case when reason is null then null
                    -- a row too large is kept as its size and its beginning
                    when _row_bytes > {MAX_ROW_BYTES} then cast(json_object(
                        'row_bytes', _row_bytes, 'beginning', left({cells.row_as_read}, {KEPT_CHARS}))
                        as varchar)
                    else {cells.row_as_read} end as raw_values
        from checked
        """,
        [agency, period, agency, read.sheet],
    )


@dataclass(frozen=True)
class ExportFailure:
    """A file that could not be read at all: nothing of it was loaded."""

    file: str
    error: str

    def to_json(self) -> dict:
        return {"file": self.file, "shape": None, "rows_read": 0, "rows_loaded": 0,
                "rows_quarantined": 0, "quarantine_reasons": {}, "error": self.error}


@dataclass
class _File:
    """A file of the batch being loaded: its place in the batch (`index`, the `_file` of
    its rows) and what reading it found."""

    index: int
    path: Path
    sha: str
    lines: int = 0  # physical lines: the empty ones, which DuckDB skips, are found from them
    shape: str = ""
    blank: int = 0
    totals: int = 0
    checks: dict[str, dict] = field(default_factory=dict)


@dataclass
class _Group:
    """UTF-8 dossier CSVs of one layout (delimiter, title lines, header): read in one
    parallel read, cast and checked in one statement."""

    table: str
    files: list[tuple[_File, CsvLayout]] = field(default_factory=list)
    size: int = 0  # bytes of CSV


@dataclass
class _Batch:
    agency: str | None
    period: str | None
    refs: tuple[bool, bool]
    workdir: Path
    typed: list[tuple[str, str]] = field(default_factory=list)  # (shape, temp table)
    scratch: list[str] = field(default_factory=list)  # temp tables to drop at the end
    groups: list[_Group] = field(default_factory=list)
    open_groups: dict[tuple, _Group] = field(default_factory=dict)  # by layout, still filling
    sample_fractions: dict[Path, float] = field(default_factory=dict)


def _read_file(con: duckdb.DuckDBPyConnection, batch: _Batch, file: _File) -> bool:
    """Look at one file: a UTF-8 dossier CSV joins the group of its layout (read and typed
    later, with the group: returns False); anything else (workbooks, legacy encodings, the
    aggregated form) is read into its own tables and typed now (returns True)."""
    own = f"_export_src_{file.index}"
    if file.path.suffix.lower() in (".csv", ".txt", ".tsv"):
        layout = sniff_csv(file.path, batch.workdir)
        file.shape = layout.found.shape
        _check_period(file, batch.period)
        if file.shape == SHAPE_DOSSIERS and layout.encoding in ("utf-8", "utf-8-sig"):
            key = (layout.delimiter, layout.skip, tuple(layout.found.header.names),
                   tuple(layout.found.header.canonical))
            size = file.path.stat().st_size
            group = batch.open_groups.get(key)
            if group is None or group.size + size > GROUP_MAX_BYTES:
                group = batch.open_groups[key] = _Group(f"_export_group_{len(batch.groups)}")
                batch.groups.append(group)
            group.files.append((file, layout))
            group.size += size
            return False
        batch.scratch.append(own)
        layout, rows = read_csv_file(con, layout, own, batch.workdir)
        file.blank += _empty_lines(con, file, layout, rows, own)
        reads = [layout.read(own)]
    else:
        batch.scratch.append(own)
        reads = read_export(con, file.path, table=own, scratch=batch.workdir)
        batch.scratch.extend(r.table for r in reads)
        file.shape = reads[0].shape
        _check_period(file, batch.period)
    _type_file(con, batch, file, reads)
    return True


def _fingerprint(path: Path) -> tuple[str, int]:
    """The file's sha256 and its number of physical lines, in one pass over its bytes."""
    digest, newlines, last = hashlib.sha256(), 0, b""
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            newlines += block.count(b"\n")
            last = block
    return digest.hexdigest(), newlines + (1 if last and not last.endswith(b"\n") else 0)


def _empty_lines(con: duckdb.DuckDBPyConnection, file: _File, layout: CsvLayout, rows: int,
                 table: str, filename: str | None = None) -> int:
    """Empty lines in a CSV's body, which DuckDB's reader skips without a trace: the lines
    below the header that are neither a row nor inside a quoted cell of one. (A row of
    only delimiters is a row: count_rows counts it blank.)"""
    unread = file.lines - layout.skip - rows
    if unread <= 0:
        return 0
    where = f" where filename = {quote_literal(filename)}" if filename is not None else ""
    inside = " + ".join(f"coalesce(len(c{i}) - len(replace(c{i}, chr(10), '')), 0)"
                        for i in range(layout.width))
    quoted = con.execute(f"select coalesce(sum({inside}), 0) from {table}{where}").fetchone()[0]
    return max(unread - int(quoted), 0)


def _check_period(file: _File, period: str | None) -> None:
    if file.shape == SHAPE_DOSSIERS and period is not None and not PERIOD_RE.match(period):
        raise ValueError(f"{file.path}: period must be yyyy-mm for dossier exports, got {period!r}")


def _type_file(con: duckdb.DuckDBPyConnection, batch: _Batch, file: _File,
               reads: list[ReadExport]) -> None:
    """Cast and check a file read into its own tables (one per workbook sheet)."""
    if file.shape == SHAPE_DOSSIERS:
        ensure_macros(con, "dossiers", MACROS)
    offset = 0
    for k, read in enumerate(reads):
        target = f"_export_typed_{file.index}_{k}"
        batch.scratch.append(target)
        rows = count_rows(con, read.table, read.width)
        if file.shape == SHAPE_DOSSIERS:
            _build_dossiers(con, read, data_rows(read.table, read.width, rows, offset, file.index),
                            target, batch.agency, batch.period, batch.refs)
        else:
            part = aggregates.resolve_partition(con, file.path, read, batch.agency, batch.period,
                                                batch.refs[0])
            aggregates.build_typed(con, read, rows, target, offset, part, batch.refs[0], file.index)
            file.checks[_sheet_label(file.path, read)] = aggregates.total_row_check(con, read, target)
        # the source table is no longer needed: free it before the next sheet and the insert
        con.execute(f"drop table if exists {read.table}")
        batch.typed.append((file.shape, target))
        offset += rows.data
        file.blank += rows.blank
        file.totals += rows.total


def _read_group(con: duckdb.DuckDBPyConnection, batch: _Batch, group: _Group,
                failed: Callable[[_File, Exception], None]) -> list[_File]:
    """Read a group's files into its table: in one read, or, when a file needs more care
    (invalid UTF-8 past its first MiB, quoted line breaks), one by one. Returns the files
    read (a file that cannot be read goes to `failed`)."""
    batch.scratch.append(group.table)
    try:
        read_csv_files(con, [layout for _, layout in group.files], group.table)
        return [file for file, _ in group.files]
    except duckdb.Error:
        pass
    done: list[_File] = []
    for file, layout in group.files:
        try:
            read_csv_file(con, layout, group.table, batch.workdir, filename=True,
                          append=bool(done))
        except (ExportError, ValueError) as error:
            failed(file, error)
            continue
        done.append(file)
    return done


def _type_groups(con: duckdb.DuckDBPyConnection, batch: _Batch,
                 failed: Callable[[_File, Exception], None]) -> list[_File]:
    """Read, cast and check each group of dossier CSVs; returns the files read."""
    read: list[_File] = []
    for n, group in enumerate(batch.groups):
        files = _read_group(con, batch, group, failed)
        if not files:
            continue
        ensure_macros(con, "dossiers", MACROS)
        layout = group.files[0][1]
        numbers = {str(f.path): f.index for f in files}
        files_table = f"{group.table}_files"
        batch.scratch.append(files_table)
        con.execute(f"create or replace temp table {files_table} as select filename, "
                    f"_file, min(rowid) as _start, count(*) as _rows from {group.table} t "
                    f"join (select unnest(?::varchar[]) as filename, unnest(?::integer[]) "
                    f"as _file) using (filename) group by all",
                    [list(numbers), list(numbers.values())])
        rows_of = dict(con.execute(f"select _file, _rows from {files_table}").fetchall())
        rows = count_rows(con, group.table, layout.width, numbers)
        layouts = {f.index: layout for f, layout in group.files}
        for file in files:
            file.blank, file.totals = rows.by_file.get(file.index, (0, 0))
            file.blank += _empty_lines(con, file, layouts[file.index], rows_of.get(file.index, 0),
                                       group.table, str(file.path))
        target = f"_export_typed_group_{n}"
        batch.scratch.append(target)
        _build_dossiers(con, layout.read(group.table),
                        data_rows(group.table, layout.width, rows, 0, files_table=files_table),
                        target, batch.agency, batch.period, batch.refs)
        con.execute(f"drop table if exists {group.table}")
        batch.typed.append((SHAPE_DOSSIERS, target))
        read.extend(files)
    return read


def _already_loaded(con: duckdb.DuckDBPyConnection, files: list[tuple[Path, str]]
                    ) -> dict[str, ExportLoadResult]:
    """Results of the files whose bytes the manifest already holds, by sha256."""
    shas = [sha for _, sha in files]
    rows = con.execute(
        "select file_sha256, partitions, rows_read, rows_loaded, rows_quarantined, source_kind, "
        "rows_blank, rows_total, total_row_check, duplicates_across_files, sample_fraction "
        "from raw.load_manifest where list_contains(?, file_sha256)", [shas]).fetchall()
    if not rows:
        return {}
    reasons: dict[str, dict[str, int]] = {}
    for sha, reason, count in con.execute(
            "select file_sha256, reason, count(*) from raw.export_quarantine "
            "where list_contains(?, file_sha256) group by all order by all", [shas]).fetchall():
        reasons.setdefault(sha, {})[reason] = count
    paths = {sha: path for path, sha in files}
    return {
        sha: ExportLoadResult(
            str(paths[sha]), sha, SHAPE_AGGREGATE if kind == "aggregates" else SHAPE_DOSSIERS,
            read_n, loaded, quarantined, json.loads(partitions), True, reasons.get(sha, {}),
            duplicates or 0, blank or 0, totals or 0, json.loads(checks) if checks else {},
            sample_fraction=fraction)
        for sha, partitions, read_n, loaded, quarantined, kind, blank, totals, checks, duplicates,
        fraction in rows
    }


def _sheet_label(path: Path, read: ReadExport) -> str:
    return read.sheet if read.sheet is not None else path.name


def load_export(con: duckdb.DuckDBPyConnection, path: Path, agency: str | None = None,
                period: str | None = None,
                reference_dir: Path | None = None) -> ExportLoadResult:
    """Load one CSV/XLSX/XLS export of either shape; replaces the partitions it covers.
    ExportError when the file cannot be read at all. See load_exports."""
    return load_exports(con, [path], agency, period, reference_dir)[0]


def load_exports(con: duckdb.DuckDBPyConnection, paths: list[Path], agency: str | None = None,
                 period: str | None = None, reference_dir: Path | None = None,
                 on_error: Callable[[Path, Exception], None] | None = None,
                 on_progress: Callable[[int, Path], None] | None = None,
                 sample_fractions: Mapping[Path, float] | None = None,
                 ) -> list[ExportLoadResult | ExportFailure]:
    """Load CSV/XLSX/XLS exports of either shape as one batch, in one transaction; each
    file replaces the partitions it covers (a later file in `paths` wins a partition two
    of them cover). One result per path, in order.

    Dossier CSVs with the same header are read into one table and cast and checked by one
    statement, so a month of files costs a few statements, not a few per file. `agency`
    and `period` override the partition (period yyyy-mm, or yyyy-Qn for the aggregated
    form); `reference_dir` holds agencies.csv and procedures.csv (default:
    Settings().reference_dir). A file that cannot be read raises ExportError (nothing of
    the batch is written), or with `on_error` is reported there, left out, and its result
    is an ExportFailure. `on_progress(i, path)` is called as the i-th file is read.
    `sample_fractions` marks files that are declared samples of their full export
    (ingest.exports.sampling); the manifest records the fraction.
    DuckDB's memory is capped at MEMORY_LIMIT during the load (the rest spills to its temp
    directory), then set back.
    """
    if period is not None and not AGGREGATE_PERIOD_RE.match(period):
        raise ValueError(f"period must be yyyy-mm (or yyyy-Qn for the aggregated form), "
                         f"got {period!r}")
    ensure_export_columns(con)
    outcomes: dict[int, ExportLoadResult | ExportFailure] = {}

    def failed(index: int, path: Path, error: Exception) -> None:
        if on_error is None:
            raise error
        on_error(path, error)
        outcomes[index] = ExportFailure(str(path), str(error))

    hashed: list[tuple[int, Path, str, int]] = []
    for index, path in enumerate(map(Path, paths)):
        if not path.is_file():
            failed(index, path, ExportError(f"{path}: no such file"))
            continue
        hashed.append((index, path, *_fingerprint(path)))
    done = _already_loaded(con, [(path, sha) for _, path, sha, _ in hashed])
    pending: list[_File] = []
    first_of: dict[str, int] = {}  # the same bytes twice in a batch load once
    for index, path, sha, lines in hashed:
        if sha in done:
            outcomes[index] = replace(done[sha], file=str(path))
        elif sha not in first_of:
            first_of[sha] = index
            pending.append(_File(index, path, sha, lines))
    if reference_dir is None:
        from ingest.settings import get_settings

        reference_dir = get_settings().reference_dir
    refs = reference_tables(con, reference_dir)
    with tempfile.TemporaryDirectory(prefix="cchc-export-") as workdir, \
            memory_budget(con, MEMORY_LIMIT if pending else None, Path(workdir)):
        batch = _Batch(agency, period, refs, Path(workdir), sample_fractions={
            Path(path).resolve(): fraction for path, fraction in (sample_fractions or {}).items()})
        try:
            ensure_macros(con, "shared", SHARED_MACROS)
            read: list[_File] = []
            for file in pending:
                if on_progress:
                    on_progress(file.index, file.path)
                try:
                    if _read_file(con, batch, file):
                        read.append(file)
                except (ExportError, ValueError) as error:
                    failed(file.index, file.path, error)
            read.extend(_type_groups(con, batch, lambda f, e: failed(f.index, f.path, e)))
            read.sort(key=lambda f: f.index)
            for result, file in zip(_commit(con, batch, read), read, strict=True):
                outcomes[file.index] = result
        finally:
            for name in batch.scratch:
                con.execute(f"drop table if exists {name}")
    for index, path, sha, _ in hashed:
        if index not in outcomes:  # a second copy of a file loaded in this batch
            first = outcomes[first_of[sha]]
            outcomes[index] = (replace(first, file=str(path), skipped=True)
                               if isinstance(first, ExportLoadResult) else first)
    return [outcomes[i] for i in range(len(paths))]


@dataclass
class _Stats:
    """A file's typed rows, counted (over its sheets)."""

    read: int = 0
    loaded: int = 0
    parts: set[tuple[str, str]] = field(default_factory=set)  # (agency, month or period)
    reasons: Counter = field(default_factory=Counter)
    procedures: Counter = field(default_factory=Counter)  # unknown procedure codes


PARTITION_KEY = {SHAPE_DOSSIERS: "partition_month", SHAPE_AGGREGATE: "partition_period"}


def _file_stats(con: duckdb.DuckDBPyConnection, batch: _Batch) -> dict[int, _Stats]:
    """Per file of the batch (by index): its rows read and loaded, partitions, reasons."""
    stats: dict[int, _Stats] = {}
    for shape, table in batch.typed:
        month = PARTITION_KEY[shape]
        unknown = ("histogram(procedure_code) filter (where reason is null and procedure_code "
                   "is not null and _procedure_known is null)"
                   if shape == SHAPE_DOSSIERS and batch.refs[1] else "null")
        for file_index, read_n, loaded, parts, reasons, procedures in con.execute(
                f"select _file, count(*), count(*) filter (where reason is null), "
                f"list(distinct [partition_agency, {month}]) filter (where "
                f"partition_agency is not null and {month} is not null), "
                f"histogram(reason) filter (where reason is not null), {unknown} "
                f"from {table} group by _file").fetchall():
            s = stats.setdefault(file_index, _Stats())
            s.read += read_n
            s.loaded += loaded
            s.parts.update(tuple(p) for p in parts or [])
            s.reasons.update(reasons or {})
            s.procedures.update(procedures or {})
    return stats


def _commit(con: duckdb.DuckDBPyConnection, batch: _Batch,
            files: list[_File]) -> list[ExportLoadResult]:
    """Write the batch's typed rows to raw in one transaction; one result per file."""
    if not files:
        return []
    counted = _file_stats(con, batch)
    stats = {f.index: counted.get(f.index, _Stats()) for f in files}
    # Who keeps each partition: the last file of the batch that covers it (as if the files
    # were loaded one after the other). A file left with none of its partitions is written
    # nowhere, as a file superseded by a later load.
    owner: dict[tuple[str, tuple[str, str]], int] = {}
    for file in files:
        for part in stats[file.index].parts:
            owner[(file.shape, part)] = file.index
    kept = {f.index: sorted(f"{a}/{k}" for a, k in stats[f.index].parts
                            if owner[(f.shape, (a, k))] == f.index) for f in files}
    written = [f for f in files if kept[f.index] or not stats[f.index].parts]
    contested = any(len(kept[f.index]) < len(stats[f.index].parts) for f in files)
    con.execute("create or replace temp table _batch_files (_file integer, file_sha256 varchar, "
                "source_file varchar)")
    con.execute("insert into _batch_files select unnest(?::integer[]), unnest(?::varchar[]), "
                "unnest(?::varchar[])", [[f.index for f in written], [f.sha for f in written],
                                         [str(f.path) for f in written]])
    con.execute("create or replace temp table _batch_parts (shape varchar, partition_agency "
                "varchar, partition_key varchar, owner integer)")
    if owner:
        shapes, agencies, keys, owners = zip(*((shape, a, k, o) for (shape, (a, k)), o
                                               in owner.items()), strict=True)
        con.execute("insert into _batch_parts select unnest(?), unnest(?), unnest(?), unnest(?)",
                    [list(shapes), list(agencies), list(keys), list(owners)])
    batch.scratch.extend(["_batch_files", "_batch_parts"])
    duplicates: dict[int, int] = {}
    with transaction(con):
        for shape, raw_table in ((SHAPE_DOSSIERS, "raw.export_dossiers"),
                                 (SHAPE_AGGREGATE, "raw.export_aggregates")):
            keys = [k for (s, (_, k)) in owner if s == shape]
            if keys:
                # by equality on the partition columns; the key range lets DuckDB skip the
                # row groups of other months without reading them
                con.execute(
                    f"delete from {raw_table} r using _batch_parts p where p.shape = ? "
                    f"and r.partition_agency = p.partition_agency "
                    f"and r.{PARTITION_KEY[shape]} = p.partition_key "
                    f"and r.{PARTITION_KEY[shape]} between ? and ?",
                    [shape, min(keys), max(keys)])
        con.execute("delete from raw.export_quarantine where file_sha256 in "
                    "(select file_sha256 from _batch_files)")
        _supersede(con, files, owner)
        if any(shape == SHAPE_DOSSIERS for shape, _ in batch.typed):
            duplicates = _duplicates(con, [t for s, t in batch.typed if s == SHAPE_DOSSIERS])
        for shape, table in batch.typed:
            raw_table, columns = ((("raw.export_dossiers", DOSSIER_INSERT)) if shape == SHAPE_DOSSIERS
                                  else ("raw.export_aggregates", AGGREGATE_INSERT))
            computed = {"file_sha256": "f.file_sha256", "source_file": "f.source_file"}
            values = ", ".join(computed.get(c, f"t.{c}") for c in columns)
            # the typed table is in file and row order already: no sort before the inserts
            # rows of partitions a later file of the batch takes are left out (rare: only
            # then is the join needed)
            owned = (f"join _batch_parts p on p.shape = '{shape}' "
                     f"and p.partition_agency = t.partition_agency "
                     f"and p.partition_key = t.{PARTITION_KEY[shape]} and p.owner = t._file "
                     if contested else "")
            con.execute(
                f"insert into {raw_table} ({', '.join(columns)}) select {values} from {table} t "
                f"join _batch_files f using (_file) {owned}where t.reason is null")
            con.execute(
                "insert into raw.export_quarantine (file_sha256, source_file, source_row, "
                "raw_values, reason, source_sheet) select f.file_sha256, f.source_file, "
                f"t.source_row, t.raw_values, t.reason, t.source_sheet from {table} t "
                "join _batch_files f using (_file) where t.reason is not null")
        loaded_at = datetime.now(UTC).replace(tzinfo=None)
        results = []
        for file in files:
            s = stats[file.index]
            results.append(ExportLoadResult(
                str(file.path), file.sha, file.shape, s.read, s.loaded, s.read - s.loaded,
                sorted(f"{a}/{k}" for a, k in s.parts), False, dict(sorted(s.reasons.items())),
                duplicates.get(file.index, 0), file.blank, file.totals, file.checks,
                dict(sorted(s.procedures.items())),
                batch.sample_fractions.get(file.path.resolve())))
        _write_manifest(con, [(r, kept[f.index]) for r, f in zip(results, files, strict=True)
                              if f in written], loaded_at)
    return results


def _duplicates(con: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[int, int]:
    """Per file of the batch: its loaded dossier codes that other files had loaded before it
    (earlier in the batch, or already in raw: run before this batch's rows are inserted).
    Codes are compared by their 63-bit key: narrow, and never read as text from raw."""
    keys = " union all ".join(
        f"select _file, dossier_code_key from {t} where reason is null" for t in tables)
    con.execute(f"create or replace temp table _batch_codes as select distinct * from ({keys})")
    try:
        return dict(con.execute(
            """
            select _file, count(*) from (
                select c._file, c.dossier_code_key from _batch_codes c
                semi join raw.export_dossiers o on o.dossier_code_key = c.dossier_code_key
                union
                -- a code in several files of the batch: all but its first file have it before
                select c._file, c.dossier_code_key from _batch_codes c
                join (select dossier_code_key, min(_file) as first_file from _batch_codes
                      group by all having count(*) > 1) f
                  on f.dossier_code_key = c.dossier_code_key and c._file > f.first_file
            ) group by _file
            """).fetchall())
    finally:
        con.execute("drop table if exists _batch_codes")


def _supersede(con: duckdb.DuckDBPyConnection, files: list[_File],
               owner: dict[tuple[str, tuple[str, str]], int]) -> None:
    """Files loaded before lose the partitions this batch takes over; a file left with none
    is dropped from the manifest with its quarantined rows."""
    taken = {(shape, f"{a}/{k}") for shape, (a, k) in owner}
    kinds = {v: k for k, v in SOURCE_KINDS.items()}
    shas = [f.sha for f in files]
    for other_sha, kind, other_json in con.execute(
            "select file_sha256, source_kind, partitions from raw.load_manifest "
            "where source_kind in ('dossiers', 'aggregates') "
            "and not list_contains(?, file_sha256)", [shas]).fetchall():
        other = json.loads(other_json)
        remaining = [p for p in other if (kinds[kind], p) not in taken]
        if len(remaining) == len(other):
            continue
        if remaining:
            con.execute("update raw.load_manifest set partitions = ? where file_sha256 = ?",
                        [json.dumps(remaining), other_sha])
        else:
            con.execute("delete from raw.export_quarantine where file_sha256 = ?", [other_sha])
            con.execute("delete from raw.load_manifest where file_sha256 = ?", [other_sha])


def _write_manifest(con: duckdb.DuckDBPyConnection,
                    results: list[tuple[ExportLoadResult, list[str]]], loaded_at: datetime) -> None:
    """One manifest row per file written, with the partitions it keeps."""
    if not results:
        return
    rows = [[r.sha256, r.file, SOURCE_KINDS[r.shape], json.dumps(kept), r.rows_read,
             r.rows_loaded, r.rows_quarantined, loaded_at, r.shape, r.rows_blank, r.rows_total,
             json.dumps(r.total_row_check, ensure_ascii=False) if r.total_row_check else None,
             r.duplicates_across_files, r.sample_fraction] for r, kept in results]
    columns = list(zip(*rows, strict=True))
    con.execute(
        f"insert into raw.load_manifest ({', '.join(MANIFEST_COLUMNS)}) select "
        + ", ".join(f"unnest(?::{t})" for t in MANIFEST_TYPES),
        [list(c) for c in columns])


def landed_exports(exports_landing: Path, month: str) -> list[Path]:
    """Files landed for a month: exports_landing/<agency>/<month>/*.csv|*.xlsx|*.xls, sorted."""
    return sorted(
        p for p in Path(exports_landing).glob(f"*/{month}/*")
        if p.is_file() and p.suffix.lower() in EXPORT_SUFFIXES
    )
