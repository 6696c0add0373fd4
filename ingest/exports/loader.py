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
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingest.exports import aggregates
from ingest.exports.headers import AGGREGATE_COUNTS, SHAPE_AGGREGATE, SHAPE_DOSSIERS
from ingest.exports.reader import ExportError, ReadExport, read_export
from ingest.exports.sqlparts import (
    blank_condition,
    ensure_export_columns,
    json_object,
    quote,
    reference_views,
    total_condition,
)
from ingest.warehouse import file_sha256, transaction

SOURCE_KINDS = {SHAPE_DOSSIERS: "dossiers", SHAPE_AGGREGATE: "aggregates"}
PERIOD_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
AGGREGATE_PERIOD_RE = re.compile(r"^\d{4}-((0[1-9]|1[0-2])|Q[1-4])$")

TS_FORMATS = [
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y",
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d",
    "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%d-%m-%Y",
]
_FORMATS_SQL = "[" + ", ".join(f"'{f}'" for f in TS_FORMATS) + "]"

# Parsing helpers as SQL macros so the whole file is cast in one statement.
MACROS = f"""
create or replace temp macro cchc_ts(s) as coalesce(
    try_strptime(s, {_FORMATS_SQL}),
    -- Excel serial day numbers (XLSX cells typed as numbers), plausible range only
    case when try_cast(s as double) between 20000 and 80000
         then timestamp '1899-12-30'
              + to_microseconds(cast(round(try_cast(s as double) * 86400e6) as bigint))
    end
);
-- A due date without a time means "by the end of that day".
create or replace temp macro cchc_due(s) as case
    when regexp_full_match(s, '\\d{{1,2}}[/-]\\d{{1,2}}[/-]\\d{{4}}|\\d{{4}}-\\d{{2}}-\\d{{2}}')
        then cchc_ts(s) + interval 86399 second
    else cchc_ts(s)
end;
create or replace temp macro cchc_fee(s) as case
    when s is null then null
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
create or replace temp macro cchc_bool(s) as case
    when s is null then null
    when lower(strip_accents(s)) in ('1', 'true', 'co', 'x', 'yes', 'y', 'da thanh toan')
        then true
    when lower(strip_accents(s)) in ('0', 'false', 'khong', 'no', 'n', 'chua thanh toan')
        then false
end;
"""

# Checks in order; a quarantined row carries the first one it fails.
REASONS: list[tuple[str, str]] = [
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
    ("missing agency", "partition_agency is null"),
]
# Against the reference seeds, when they exist (Settings().reference_dir).
AGENCY_REASONS: list[tuple[str, str]] = [
    ("unknown agency", "not exists (select 1 from _ref_agencies a where a.agency_code = ref_agency)"),
    ("agency not valid on received date", """not exists (
        select 1 from _ref_agencies a where a.agency_code = ref_agency
        and coalesce(a.valid_from <= cast(received_at as date), true)
        and coalesce(a.valid_to >= cast(received_at as date), true))"""),
]
PROCEDURE_REASONS: list[tuple[str, str]] = [
    ("unknown procedure", "t_procedure_code is not null and not exists "
                          "(select 1 from _ref_procedures p where p.procedure_code = t_procedure_code)"),
]
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
MANIFEST_COLUMNS = ["file_sha256", "source_file", "source_kind", "partitions", "rows_read",
                    "rows_loaded", "rows_quarantined", "loaded_at", "shape", "rows_blank",
                    "rows_total", "total_row_check", "duplicates_across_files"]


@dataclass(frozen=True)
class ExportLoadResult:
    """Outcome of loading one file; skipped = the same bytes were already loaded.

    rows_read counts data rows (rows_loaded + rows_quarantined); blank rows and total rows
    are not data rows and are counted in rows_blank and rows_total. total_row_check holds,
    per table of an aggregate file (CSV file name or XLSX sheet), whether its total row
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

    def to_json(self) -> dict:
        return asdict(self)


def _text(read: ReadExport, column: str) -> str:
    """SQL for a canonical column's cleaned text: NFC, trimmed, empty as null."""
    position = read.header.position(column)
    if position is None:
        return "cast(null as varchar)"
    return f"nullif(trim(nfc_normalize(c{position})), '')"


def _build_dossiers(con: duckdb.DuckDBPyConnection, read: ReadExport, target: str, offset: int,
                    agency: str | None, period: str | None, refs: tuple[bool, bool]) -> None:
    """Temp table `target`: typed columns, partition keys and reason per data row."""
    header = read.header
    n = len(header.names)
    raw = [(name, f"nfc_normalize(c{i})") for i, name in enumerate(header.names)]
    spare_values = [(f"_extra_{i - n + 1}", f"nfc_normalize(c{i})") for i in range(n, read.width)]
    extra = [(name, f"nfc_normalize(c{i})") for i, name in enumerate(header.names)
             if header.canonical[i] is None]
    spare = " or ".join(f"c{i} is not null" for i in range(n, read.width)) or "false"
    texts = ",\n".join(f"{_text(read, c)} as t_{c}" for c in TEXT_COLUMNS + PARSED_COLUMNS)
    reasons = REASONS + (AGENCY_REASONS if refs[0] else []) + (PROCEDURE_REASONS if refs[1] else [])
    reason = "case " + " ".join(f"when {cond} then {quote(r)}" for r, cond in reasons) + " end"
    con.execute(
        f"""
        create or replace temp table {target} as
        with marked as (
            select rowid as _pos, *, ({blank_condition(read.width)}) as _is_blank,
                   ({total_condition(read.width)}) as _is_total
            from {read.table}
        ),
        source as (
            select
                cast(? + row_number() over (order by _pos) as integer) as source_row,
                {texts},
                {json_object(extra)} as extra_columns,
                ({spare}) as has_spare_values,
                {", ".join(f"c{i}" for i in range(read.width))}
            from marked where not _is_blank and not _is_total
        ),
        typed as (
            select
                *,
                try_cast(t_channel as integer) as channel,
                try_cast(t_status as integer) as status,
                cchc_ts(t_received_at) as received_at,
                cchc_due(t_due_at) as due_at,
                cchc_ts(t_finished_at) as finished_at,
                cchc_ts(t_returned_at) as returned_at,
                cchc_bool(t_is_paid_online) as is_paid_online,
                cchc_fee(t_fee_amount) as fee_amount,
                -- "3", "Mức độ 3", "MĐ4": the trailing number
                try_cast(regexp_extract(t_service_level, '(\\d+)\\s*$', 1) as integer)
                    as service_level
            from source
        ),
        partitioned as (
            select
                *,
                coalesce(cast(? as varchar), t_agency_code) as partition_agency,
                coalesce(cast(? as varchar), strftime(received_at, '%Y-%m')) as partition_month,
                coalesce(t_agency_code, cast(? as varchar)) as ref_agency,
                cast(? as varchar) as source_sheet
            from typed
        ),
        checked as (select *, {reason} as reason from partitioned)
        -- the row as read, for quarantined rows only; merge-patch drops the null spare
        -- keys, so only real surplus values show
        select * exclude ({", ".join(f"c{i}" for i in range(read.width))}),
               case when reason is not null then cast(json_merge_patch(
                   {json_object(raw)}, {json_object(spare_values)}) as varchar) end as raw_values
        from checked
        """,
        [offset, agency, period, agency, read.sheet],
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
    """Load one CSV/XLSX export of either shape; replaces the partitions it covers.

    `agency` and `period` override the partition (period yyyy-mm, or yyyy-Qn for the
    aggregated form); `reference_dir` holds agencies.csv and procedures.csv (default:
    Settings().reference_dir).
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
    refs = reference_views(con, reference_dir)
    reads = read_export(con, path)
    shape = reads[0].shape
    typed: list[str] = []
    try:
        if shape == SHAPE_DOSSIERS and period is not None and not PERIOD_RE.match(period):
            raise ValueError(f"period must be yyyy-mm for dossier exports, got {period!r}")
        return _load(con, path, sha, shape, reads, typed, agency, period, refs)
    finally:
        for name in [r.table for r in reads] + typed + ["_export_typed"]:
            con.execute(f"drop table if exists {name}")


def _load(con: duckdb.DuckDBPyConnection, path: Path, sha: str, shape: str,
          reads: list[ReadExport], typed: list[str], agency: str | None, period: str | None,
          refs: tuple[bool, bool]) -> ExportLoadResult:
    if shape == SHAPE_DOSSIERS:
        con.execute(MACROS)
    offset = blank = totals = 0
    checks: dict[str, dict] = {}
    for k, read in enumerate(reads):
        target = f"_export_typed_{k}"
        typed.append(target)
        if shape == SHAPE_DOSSIERS:
            _build_dossiers(con, read, target, offset, agency, period, refs)
        else:
            part = aggregates.resolve_partition(con, path, read, agency, period, refs[0])
            aggregates.build_typed(con, read, target, offset, part, refs[0])
            checks[_sheet_label(path, read)] = aggregates.total_row_check(con, read, target)
        rows = con.execute(f"select count(*) from {target}").fetchone()[0]
        b, all_rows = con.execute(
            f"select count(*) filter (where {blank_condition(read.width)}), count(*) "
            f"from {read.table}").fetchone()
        offset, blank, totals = offset + rows, blank + b, totals + all_rows - b - rows
    if len(typed) == 1:
        con.execute(f"alter table {typed[0]} rename to _export_typed")
        typed.clear()
    else:
        con.execute("create or replace temp table _export_typed as "
                    + " union all by name ".join(f"select * from {t}" for t in typed))
    month = "partition_month" if shape == SHAPE_DOSSIERS else "partition_period"
    raw_table = "raw.export_dossiers" if shape == SHAPE_DOSSIERS else "raw.export_aggregates"
    columns = DOSSIER_INSERT if shape == SHAPE_DOSSIERS else AGGREGATE_INSERT
    partitions = [
        row[0]
        for row in con.execute(
            f"select distinct partition_agency || '/' || {month} as p from _export_typed "
            f"where partition_agency is not null and {month} is not null order by p"
        ).fetchall()
    ]
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
        values = ", ".join("?" if c in ("file_sha256", "source_file")
                           else f"t_{c}" if c in TEXT_COLUMNS else c for c in columns)
        con.execute(
            f"insert into {raw_table} ({', '.join(columns)}) "
            f"select {values} from _export_typed "
            f"where reason is null order by source_row",
            [sha, source],
        )
        con.execute(
            "insert into raw.export_quarantine "
            "(file_sha256, source_file, source_row, raw_values, reason, source_sheet) "
            "select ?, ?, source_row, raw_values, reason, source_sheet from _export_typed "
            "where reason is not null order by source_row",
            [sha, source],
        )
        read_n, loaded, quarantined = con.execute(
            "select count(*), count(*) filter (where reason is null), "
            "count(*) filter (where reason is not null) from _export_typed"
        ).fetchone()
        duplicates = 0
        if shape == SHAPE_DOSSIERS:
            duplicates = con.execute(
                "select count(distinct d.dossier_code) from raw.export_dossiers d "
                "where d.file_sha256 = ? and exists (select 1 from raw.export_dossiers o "
                "where o.dossier_code = d.dossier_code and o.file_sha256 <> d.file_sha256)",
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
                            False, _reasons(con, sha), duplicates, blank, totals, checks)

def landed_exports(exports_landing: Path, month: str) -> list[Path]:
    """Files landed for a month: exports_landing/<agency>/<month>/*.csv|*.xlsx, sorted."""
    return sorted(
        p for p in Path(exports_landing).glob(f"*/{month}/*")
        if p.is_file() and p.suffix.lower() in (".csv", ".xlsx")
    )
