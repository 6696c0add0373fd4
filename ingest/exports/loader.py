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

A load streams: the file's text table is read by DuckDB, cast and checked in one pass
into a typed table (rows numbered from their rowid, nothing sorted), and inserted; for a
large file DuckDB's memory is capped (MEMORY_LIMIT) so the rest spills to disk. Reference
tables and macros are set up once per connection (sqlparts.connection_state), so a batch of
small files pays little per file. See bench/README.md for the numbers.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingest.exports import aggregates, vocab
from ingest.exports.headers import AGGREGATE_COUNTS, SHAPE_AGGREGATE, SHAPE_DOSSIERS
from ingest.exports.reader import ExportError, ReadExport, read_export
from ingest.exports.sqlparts import (
    SHARED_MACROS,
    TableRows,
    agency_key_sql,
    cell_sql,
    count_rows,
    data_rows,
    ensure_export_columns,
    ensure_macros,
    memory_budget,
    quote,
    reference_tables,
)
from ingest.warehouse import file_sha256, transaction

# DuckDB's memory during a load: larger files spill to its temp directory (next to the
# warehouse file) instead of growing the process (see bench/README.md for the trade-off).
MEMORY_LIMIT = "384MiB"
LARGE_FILE_BYTES = 8 << 20  # smaller files are loaded without touching the setting
SOURCE_KINDS = {SHAPE_DOSSIERS: "dossiers", SHAPE_AGGREGATE: "aggregates"}
PERIOD_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
AGGREGATE_PERIOD_RE = re.compile(r"^\d{4}-((0[1-9]|1[0-2])|Q[1-4])$")

# Each date format a column may use. A string parses under at most one of them (strptime
# must consume it whole), so the order only decides cost: the common ones first, and a
# format is tried only on strings with its date separator (a failed try costs ~1 us).
TS_FORMATS = [
    "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d/%m/%Y %H:%M:%S",
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M",
    "%d-%m-%Y %H:%M", "%d-%m-%Y", "%d-%m-%Y %H:%M:%S",
]


def _strptime_sql() -> str:
    groups = []
    for separator in ("/", "-"):
        tries = ", ".join(f"try_strptime(s, '{f}')" for f in TS_FORMATS if separator in f[:6])
        groups.append(f"case when contains(s, '{separator}') then coalesce({tries}) end")
    return ",\n    ".join(groups)


# Parsing helpers as SQL macros so the whole file is cast in one statement.
MACROS = f"""
create or replace temp macro cchc_ts(s) as coalesce(
    {_strptime_sql()},
    -- Excel serial day numbers (workbook cells typed as numbers), plausible range only
    case when try_cast(s as double) between 20000 and 80000
         then timestamp '1899-12-30'
              + to_microseconds(cast(round(try_cast(s as double) * 86400e6) as bigint))
    end
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
            "unknown agency": "agency_as_read", "ambiguous agency": "agency_as_read"}
# A row (or one cell) this large is no dossier: it is quarantined, the rows after it load.
MAX_ROW_BYTES = 1 << 20
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
DOSSIER_INSERT = ["file_sha256", "source_file", "source_row", "partition_agency",
                  "partition_month", *TEXT_COLUMNS, *PARSED_COLUMNS[:8], "extra_columns",
                  "service_level", "source_sheet"]
AGGREGATE_INSERT = ["file_sha256", "source_file", "source_row", "partition_agency",
                    "partition_period", "period_start", "period_end", "field_code", "field_name",
                    *AGGREGATE_COUNTS, "extra_columns", "source_sheet"]
EXPORT_SUFFIXES = (".csv", ".xlsx", ".xls")
MANIFEST_COLUMNS = ["file_sha256", "source_file", "source_kind", "partitions", "rows_read",
                    "rows_loaded", "rows_quarantined", "loaded_at", "shape", "rows_blank",
                    "rows_total", "total_row_check", "duplicates_across_files"]


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

    def to_json(self) -> dict:
        return asdict(self)


def _text(read: ReadExport, column: str) -> str:
    """SQL for a canonical column's cleaned text: NFC, trimmed, empty as null."""
    position = read.header.position(column)
    if position is None:
        return "cast(null as varchar)"
    return f"nullif(trim(cchc_nfc(c{position})), '')"


def _build_dossiers(con: duckdb.DuckDBPyConnection, read: ReadExport, rows: TableRows,
                    target: str, offset: int, agency: str | None, period: str | None,
                    refs: tuple[bool, bool]) -> None:
    """Temp table `target`: per data row the insert columns, partition keys, the reason
    (null = loads) and, for quarantined rows only, the row as read. One streaming pass:
    nothing is sorted or kept beyond the columns inserted."""
    cells = cell_sql(read.header.names, read.header.canonical, read.width)
    texts = ",\n".join(f"{_text(read, c)} as t_{c}" for c in TEXT_COLUMNS + PARSED_COLUMNS)
    reasons = REASONS + (AGENCY_REASONS if refs[0] else [])
    reason = "case " + " ".join(
        f"when {cond} then {quote(r)}" + (f" || ': ' || {LABELLED[r]}" if r in LABELLED else "")
        for r, cond in reasons) + " end"
    resolved = {  # the agency as a code, whether the row named it by code or by name
        "agency_code": "agency_code_resolved as agency_code",
        # the catalog's short form of a full national code (1.009994.000.00.00.H34 -> 1.009994)
        "procedure_code": ("coalesce(_procedure_known, t_procedure_code) as procedure_code"
                           if refs[1] else "t_procedure_code as procedure_code"),
        "agency_name": "coalesce(t_agency_name, case when agency_code_resolved is distinct from "
                       "t_agency_code then t_agency_code end) as agency_name",
    }
    keep = ", ".join(["source_row", "partition_agency", "partition_month",
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
                    list_filter(n.candidates, lambda c:
                        coalesce(c.valid_from <= cast(t.received_at as date), true)
                        and coalesce(c.valid_to >= cast(t.received_at as date), true)) as matches
                from typed t
                left join _ref_agency_periods k on k.agency_code = t.t_agency_code
                left join _ref_agency_names n
                    on k.agency_code is null
                    and n.name_key = {agency_key_sql("coalesce(t.t_agency_name, t.t_agency_code)")}
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
                source_row,
                {texts},
                {cells.unknown_columns} as extra_columns,
                {cells.has_spare_values} as has_spare_values,
                {" + ".join(f"coalesce(strlen(c{i}), 0)" for i in range(read.width))} as _row_bytes,
                {", ".join(f"c{i}" for i in range(read.width))}
            from ({data_rows(read.table, read.width, rows, offset)})
        ),
        typed as (
            select
                *,
                coalesce({vocab.case_sql("channel", "t_channel")},
                         try_cast(t_channel as integer)) as channel,
                coalesce({vocab.case_sql("status", "t_status")},
                         try_cast(t_status as integer)) as status,
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
                        'row_bytes', _row_bytes, 'beginning', left({cells.row_as_read}, 4000))
                        as varchar)
                    else {cells.row_as_read} end as raw_values
        from checked
        """,
        [agency, period, agency, read.sheet],
    )


def _supersede(con: duckdb.DuckDBPyConnection, sha: str, source_kind: str,
               partitions: list[str]) -> None:
    """Earlier files lose the partitions this file takes over; fully replaced ones are dropped."""
    taken = set(partitions)
    earlier = con.execute(
        "select file_sha256, partitions from raw.load_manifest "
        "where source_kind = ? and file_sha256 <> ?",
        [source_kind, sha],
    ).fetchall()
    for other_sha, other_json in earlier:
        other = json.loads(other_json)
        if not taken.intersection(other):
            continue
        remaining = [p for p in other if p not in taken]
        if remaining or not other:
            con.execute("update raw.load_manifest set partitions = ? where file_sha256 = ?",
                        [json.dumps(remaining), other_sha])
        else:
            con.execute("delete from raw.export_quarantine where file_sha256 = ?", [other_sha])
            con.execute("delete from raw.load_manifest where file_sha256 = ?", [other_sha])


def _reasons(con: duckdb.DuckDBPyConnection, sha: str) -> dict[str, int]:
    rows = con.execute(
        "select reason, count(*) from raw.export_quarantine where file_sha256 = ? "
        "group by reason order by reason",
        [sha],
    ).fetchall()
    return {reason: count for reason, count in rows}


def _already_loaded(con: duckdb.DuckDBPyConnection, path: Path,
                    sha: str) -> ExportLoadResult | None:
    done = con.execute(
        "select partitions, rows_read, rows_loaded, rows_quarantined, source_kind, "
        "rows_blank, rows_total, total_row_check, duplicates_across_files "
        "from raw.load_manifest where file_sha256 = ?",
        [sha],
    ).fetchone()
    if not done:
        return None
    shape = SHAPE_AGGREGATE if done[4] == "aggregates" else SHAPE_DOSSIERS
    return ExportLoadResult(str(path), sha, shape, done[1], done[2], done[3], json.loads(done[0]),
                            True, _reasons(con, sha), done[8] or 0, done[5] or 0, done[6] or 0,
                            json.loads(done[7]) if done[7] else {})


def _sheet_label(path: Path, read: ReadExport) -> str:
    return read.sheet if read.sheet is not None else path.name


def load_export(con: duckdb.DuckDBPyConnection, path: Path, agency: str | None = None,
                period: str | None = None,
                reference_dir: Path | None = None) -> ExportLoadResult:
    """Load one CSV/XLSX/XLS export of either shape; replaces the partitions it covers.

    `agency` and `period` override the partition (period yyyy-mm, or yyyy-Qn for the
    aggregated form); `reference_dir` holds agencies.csv and procedures.csv (default:
    Settings().reference_dir). DuckDB's memory is capped at MEMORY_LIMIT during the load
    (the rest spills to its temp directory), then set back.
    """
    path = Path(path)
    if period is not None and not AGGREGATE_PERIOD_RE.match(period):
        raise ValueError(f"period must be yyyy-mm (or yyyy-Qn for the aggregated form), "
                         f"got {period!r}")
    if not path.is_file():
        raise ExportError(f"{path}: no such file")
    ensure_export_columns(con)
    sha = file_sha256(path)
    done = _already_loaded(con, path, sha)
    if done:
        return done
    if reference_dir is None:
        from ingest.settings import get_settings

        reference_dir = get_settings().reference_dir
    refs = reference_tables(con, reference_dir)
    large = path.stat().st_size >= LARGE_FILE_BYTES
    with tempfile.TemporaryDirectory(prefix="cchc-export-") as workdir, \
            memory_budget(con, MEMORY_LIMIT if large else None, Path(workdir)):
        reads = read_export(con, path, scratch=Path(workdir))
        typed: list[str] = []
        try:
            shape = reads[0].shape
            if shape == SHAPE_DOSSIERS and period is not None and not PERIOD_RE.match(period):
                raise ValueError(f"period must be yyyy-mm for dossier exports, got {period!r}")
            return _load(con, path, sha, shape, reads, typed, agency, period, refs)
        finally:
            for name in [r.table for r in reads] + typed + ["_export_typed"]:
                con.execute(f"drop table if exists {name}")


def _load(con: duckdb.DuckDBPyConnection, path: Path, sha: str, shape: str,
          reads: list[ReadExport], typed: list[str], agency: str | None, period: str | None,
          refs: tuple[bool, bool]) -> ExportLoadResult:
    ensure_macros(con, "shared", SHARED_MACROS)
    if shape == SHAPE_DOSSIERS:
        ensure_macros(con, "dossiers", MACROS)
    offset = blank = totals = 0
    checks: dict[str, dict] = {}
    for k, read in enumerate(reads):
        target = f"_export_typed_{k}"
        typed.append(target)
        rows = count_rows(con, read.table, read.width)
        if shape == SHAPE_DOSSIERS:
            _build_dossiers(con, read, rows, target, offset, agency, period, refs)
        else:
            part = aggregates.resolve_partition(con, path, read, agency, period, refs[0])
            aggregates.build_typed(con, read, rows, target, offset, part, refs[0])
            checks[_sheet_label(path, read)] = aggregates.total_row_check(con, read, target)
        # the source table is no longer needed: free it before the next sheet and the insert
        con.execute(f"drop table if exists {read.table}")
        offset, blank, totals = offset + rows.data, blank + rows.blank, totals + rows.total
    if len(typed) == 1:
        con.execute(f"alter table {typed[0]} rename to _export_typed")
        typed.clear()
    else:
        con.execute("create or replace temp table _export_typed as "
                    + " union all by name ".join(f"select * from {t}" for t in typed))
        for name in typed:
            con.execute(f"drop table if exists {name}")
    month = "partition_month" if shape == SHAPE_DOSSIERS else "partition_period"
    raw_table = "raw.export_dossiers" if shape == SHAPE_DOSSIERS else "raw.export_aggregates"
    columns = DOSSIER_INSERT if shape == SHAPE_DOSSIERS else AGGREGATE_INSERT
    read_n, loaded, quarantined, partitions, reasons = con.execute(
        f"select count(*), count(*) filter (where reason is null), "
        f"count(*) filter (where reason is not null), "
        f"list(distinct partition_agency || '/' || {month}) filter (where "
        f"partition_agency is not null and {month} is not null), "
        f"histogram(reason) filter (where reason is not null) from _export_typed"
    ).fetchone()
    partitions = sorted(partitions or [])
    reasons = dict(sorted((reasons or {}).items()))
    unknown_procedures: dict[str, int] = {}
    if shape == SHAPE_DOSSIERS and refs[1]:
        unknown_procedures = dict(sorted((con.execute(
            "select histogram(procedure_code) from _export_typed where reason is null "
            "and procedure_code is not null and _procedure_known is null").fetchone()[0] or {}).items()))
    source = str(path)
    source_kind = SOURCE_KINDS[shape]
    with transaction(con):
        con.execute(
            f"delete from {raw_table} where list_contains(?, partition_agency || '/' || {month})",
            [partitions],
        )
        # Leftovers of this very file (e.g. its manifest was dropped by a later file).
        con.execute(f"delete from {raw_table} where file_sha256 = ?", [sha])
        con.execute("delete from raw.export_quarantine where file_sha256 = ?", [sha])
        _supersede(con, sha, source_kind, partitions)
        # _export_typed is in source_row order already: no sort before the inserts
        values = ", ".join("?" if c in ("file_sha256", "source_file") else c for c in columns)
        con.execute(
            f"insert into {raw_table} ({', '.join(columns)}) "
            f"select {values} from _export_typed where reason is null",
            [sha, source],
        )
        con.execute(
            "insert into raw.export_quarantine "
            "(file_sha256, source_file, source_row, raw_values, reason, source_sheet) "
            "select ?, ?, source_row, raw_values, reason, source_sheet from _export_typed "
            "where reason is not null",
            [sha, source],
        )
        duplicates = 0
        if shape == SHAPE_DOSSIERS and loaded:
            # this file's codes (few) against the other files' rows, not the other way round
            duplicates = con.execute(
                "select count(*) from (select distinct dossier_code from _export_typed "
                "where reason is null) d where exists (select 1 from raw.export_dossiers o "
                "where o.dossier_code = d.dossier_code and o.file_sha256 <> ?)",
                [sha],
            ).fetchone()[0]
        con.execute(
            f"insert into raw.load_manifest ({', '.join(MANIFEST_COLUMNS)}) "
            f"values ({', '.join('?' for _ in MANIFEST_COLUMNS)})",
            [sha, source, source_kind, json.dumps(partitions), read_n, loaded, quarantined,
             datetime.now(UTC).replace(tzinfo=None), shape, blank, totals,
             json.dumps(checks, ensure_ascii=False) if checks else None, duplicates],
        )
    return ExportLoadResult(source, sha, shape, read_n, loaded, quarantined, partitions,
                            False, reasons, duplicates, blank, totals, checks, unknown_procedures)


def landed_exports(exports_landing: Path, month: str) -> list[Path]:
    """Files landed for a month: exports_landing/<agency>/<month>/*.csv|*.xlsx|*.xls, sorted."""
    return sorted(
        p for p in Path(exports_landing).glob(f"*/{month}/*")
        if p.is_file() and p.suffix.lower() in EXPORT_SUFFIXES
    )
