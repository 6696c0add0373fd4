"""Cast, validate and load dossier-level exports into raw.export_dossiers (in DuckDB SQL).

Every data row of a file ends in exactly one of raw.export_dossiers or
raw.export_quarantine; the file's counts go to raw.load_manifest. Rows belong to the
partition (agency, received month); a load replaces the partitions it covers.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingest.exports.reader import ExportError, ReadExport, read_export
from ingest.warehouse import file_sha256, transaction

SHAPE_DOSSIERS = "dossiers"
SOURCE_KIND = "dossiers"
PERIOD_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

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
    ("due before received", "due_at < received_at"),
    ("finished before received", "finished_at < received_at"),
    ("invalid fee", "t_fee_amount is not null and fee_amount is null"),
    ("invalid paid online flag", "t_is_paid_online is not null and is_paid_online is null"),
    ("more values than headers", "has_spare_values"),
    ("missing agency", "partition_agency is null"),
]
TEXT_COLUMNS = ["dossier_code", "agency_code", "agency_name", "procedure_code",
                "procedure_name", "field_code", "field_name"]
PARSED_COLUMNS = ["channel", "status", "received_at", "due_at", "finished_at", "returned_at",
                  "is_paid_online", "fee_amount"]


@dataclass(frozen=True)
class ExportLoadResult:
    """Outcome of loading one file; skipped = the same bytes were already loaded."""

    file: str
    sha256: str
    shape: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    partitions: list[str]
    skipped: bool
    quarantine_reasons: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _text(read: ReadExport, column: str) -> str:
    """SQL for a canonical column's cleaned text: NFC, trimmed, empty as null."""
    position = read.header.position(column)
    if position is None:
        return "cast(null as varchar)"
    return f"nullif(trim(nfc_normalize(c{position})), '')"


def _json_object(pairs: list[tuple[str, str]]) -> str:
    if not pairs:
        return "cast(null as varchar)"
    return "cast(json_object(" + ", ".join(f"{_quote(k)}, {v}" for k, v in pairs) + ") as varchar)"


def _build_typed(con: duckdb.DuckDBPyConnection, read: ReadExport, agency: str | None,
                 period: str | None) -> None:
    """Create temp table _export_typed: typed columns, partition keys and reason per row."""
    header = read.header
    n = len(header.names)
    raw = [(name, f"nfc_normalize(c{i})") for i, name in enumerate(header.names)]
    spare_values = [(f"_extra_{i - n + 1}", f"nfc_normalize(c{i})") for i in range(n, read.width)]
    extra = [(name, f"nfc_normalize(c{i})") for i, name in enumerate(header.names)
             if header.canonical[i] is None]
    spare = " or ".join(f"c{i} is not null" for i in range(n, read.width)) or "false"
    texts = ",\n".join(
        f"{_text(read, c)} as t_{c}"
        for c in TEXT_COLUMNS + ["channel", "status", "received_at", "due_at", "finished_at",
                                 "returned_at", "is_paid_online", "fee_amount"]
    )
    reason = "case " + " ".join(f"when {cond} then {_quote(r)}" for r, cond in REASONS) + " end"
    con.execute(MACROS)
    con.execute(
        f"""
        create or replace temp table _export_typed as
        with source as (
            select
                cast(rowid + 1 as integer) as source_row,
                {texts},
                -- merge-patch drops the null spare keys, so only real surplus values show
                cast(json_merge_patch({_json_object(raw)}, {_json_object(spare_values)})
                     as varchar) as raw_values,
                {_json_object(extra)} as extra_columns,
                ({spare}) as has_spare_values
            from {read.table}
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
                cchc_fee(t_fee_amount) as fee_amount
            from source
        ),
        partitioned as (
            select
                *,
                coalesce(cast(? as varchar), t_agency_code) as partition_agency,
                coalesce(cast(? as varchar), strftime(received_at, '%Y-%m')) as partition_month
            from typed
        )
        select *, {reason} as reason from partitioned
        """,
        [agency, period],
    )


def _supersede(con: duckdb.DuckDBPyConnection, sha: str, partitions: list[str]) -> None:
    """Earlier files lose the partitions this file takes over; fully replaced ones are dropped."""
    taken = set(partitions)
    earlier = con.execute(
        "select file_sha256, partitions from raw.load_manifest "
        "where source_kind = ? and file_sha256 <> ?",
        [SOURCE_KIND, sha],
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


def load_export(con: duckdb.DuckDBPyConnection, path: Path, agency: str | None = None,
                period: str | None = None) -> ExportLoadResult:
    """Load one dossier-level CSV/XLSX; replaces the (agency, month) partitions it covers."""
    path = Path(path)
    if period is not None and not PERIOD_RE.match(period):
        raise ValueError(f"period must be yyyy-mm, got {period!r}")
    if not path.is_file():
        raise ExportError(f"{path}: no such file")
    sha = file_sha256(path)
    done = con.execute(
        "select source_file, partitions, rows_read, rows_loaded, rows_quarantined "
        "from raw.load_manifest where file_sha256 = ?",
        [sha],
    ).fetchone()
    if done:
        return ExportLoadResult(str(path), sha, SHAPE_DOSSIERS, done[2], done[3], done[4],
                                json.loads(done[1]), True, _reasons(con, sha))

    read = read_export(con, path)
    _build_typed(con, read, agency, period)
    partitions = [
        row[0]
        for row in con.execute(
            "select distinct partition_agency || '/' || partition_month as p from _export_typed "
            "where partition_agency is not null and partition_month is not null order by p"
        ).fetchall()
    ]
    source = str(path)
    with transaction(con):
        con.execute(
            "delete from raw.export_dossiers "
            "where list_contains(?, partition_agency || '/' || partition_month)",
            [partitions],
        )
        # Leftovers of this very file (e.g. its manifest was dropped by a later file).
        con.execute("delete from raw.export_dossiers where file_sha256 = ?", [sha])
        con.execute("delete from raw.export_quarantine where file_sha256 = ?", [sha])
        _supersede(con, sha, partitions)
        con.execute(
            f"""
            insert into raw.export_dossiers
            select ?, ?, source_row, partition_agency, partition_month,
                   t_dossier_code, t_agency_code, t_agency_name, t_procedure_code,
                   t_procedure_name, t_field_code, t_field_name,
                   {", ".join(PARSED_COLUMNS[:2])}, {", ".join(PARSED_COLUMNS[2:6])},
                   is_paid_online, fee_amount, extra_columns
            from _export_typed where reason is null order by source_row
            """,
            [sha, source],
        )
        con.execute(
            "insert into raw.export_quarantine "
            "select ?, ?, source_row, raw_values, reason from _export_typed "
            "where reason is not null order by source_row",
            [sha, source],
        )
        read_n, loaded, quarantined = con.execute(
            "select count(*), count(*) filter (where reason is null), "
            "count(*) filter (where reason is not null) from _export_typed"
        ).fetchone()
        con.execute(
            "insert into raw.load_manifest values (?, ?, ?, ?, ?, ?, ?, ?)",
            [sha, source, SOURCE_KIND, json.dumps(partitions), read_n, loaded, quarantined,
             datetime.now(UTC).replace(tzinfo=None)],
        )
    con.execute(f"drop table if exists {read.table}")
    con.execute("drop table if exists _export_typed")
    return ExportLoadResult(source, sha, SHAPE_DOSSIERS, read_n, loaded, quarantined, partitions,
                            False, _reasons(con, sha))


def landed_exports(exports_landing: Path, month: str) -> list[Path]:
    """Files landed for a month: exports_landing/<agency>/<month>/*.csv|*.xlsx, sorted."""
    return sorted(
        p for p in Path(exports_landing).glob(f"*/{month}/*")
        if p.is_file() and p.suffix.lower() in (".csv", ".xlsx")
    )
