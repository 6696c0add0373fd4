"""The aggregated form "Bieu II.06a/VPCP/KSTT" -> typed rows (in DuckDB SQL).

One table (CSV, or one workbook sheet) is one partition (agency, period): taken from the
title rows ("... TAI SO TU PHAP - THANG 03/2020", "QUY I/2020"), else from the landing
path (.../<agency>/<yyyy-mm or yyyy-Qn>/file), unless overridden. A total row ("Tong
cong") is skipped and checked against the column sums.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from ingest.exports.headers import AGGREGATE_COUNTS
from ingest.exports.reader import ReadExport
from ingest.exports.sqlparts import (
    NAME_FORMS,
    TableRows,
    cell_sql,
    data_rows,
    total_condition,
)
from ingest.warehouse import quote_literal

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")
AGENCY_CODE_RE = re.compile(r"\b\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}\b")
_TITLE_MONTH = re.compile(r"thang\s*(\d{1,2})\s*(?:[/.-]|nam)\s*(\d{4})")
_TITLE_QUARTER = re.compile(r"quy\s*(iv|iii|ii|i|[1-4])\s*(?:[/.-]|nam)\s*(\d{4})")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
# Titles and reference names write these words out or abbreviate them ("UỶ BAN NHÂN DÂN
# THÀNH PHỐ NHA TRANG", "UBND TP. Nha Trang"): one spelling each, as sqlparts.agency_key_sql.
_NAME_FORMS = tuple((long.replace(" ", ""), short) for long, short in NAME_FORMS)

# Checks in order; a quarantined row carries the first one it fails.
REASONS: list[tuple[str, str]] = [
    ("missing field", "t_field_code is null and t_field_name is null"),
    ("invalid count", " or ".join(f"(t_{c} is not null and t_{c} not in ('-', '–') "
                                  f"and {c} is null)" for c in AGGREGATE_COUNTS)),
    ("negative count", " or ".join(f"coalesce({c} < 0, false)" for c in AGGREGATE_COUNTS)),
    ("more values than headers", "has_spare_values"),
    ("missing agency", "partition_agency is null"),
    ("missing period", "partition_period is null"),
]


@dataclass(frozen=True)
class Partition:
    agency: str | None
    period: str | None  # yyyy-mm or yyyy-Qn

    @property
    def key(self) -> str | None:
        return f"{self.agency}/{self.period}" if self.agency and self.period else None


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day of yyyy-mm or yyyy-Qn."""
    if match := MONTH_RE.match(period):
        year, first = int(match[1]), int(match[2])
        last = first
    elif match := QUARTER_RE.match(period):
        year, quarter = int(match[1]), int(match[2])
        first, last = 3 * quarter - 2, 3 * quarter
    else:
        raise ValueError(f"period must be yyyy-mm or yyyy-Qn, got {period!r}")
    end = date(year + (last == 12), last % 12 + 1, 1)
    return date(year, first, 1), date.fromordinal(end.toordinal() - 1)


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


def _squash(text: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "", _plain(text))
    for long, short in _NAME_FORMS:
        key = key.replace(long, short)
    return key


def title_period(title: str) -> str | None:
    plain = _plain(title)
    if match := _TITLE_MONTH.search(plain):
        month, year = int(match[1]), int(match[2])
        return f"{year}-{month:02d}" if 1 <= month <= 12 else None
    if match := _TITLE_QUARTER.search(plain):
        quarter = _ROMAN.get(match[1]) or int(match[1])
        return f"{match[2]}-Q{quarter}"
    return None


def title_agency(con: duckdb.DuckDBPyConnection, title: str, period: str | None,
                 has_agencies: bool) -> str | None:
    """An agency code written in the title, or the reference agency whose name the title
    contains (the longest such name; among namesakes the one valid in the period)."""
    if match := AGENCY_CODE_RE.search(title):
        return match[0]
    if not has_agencies or not title:
        return None
    squashed = _squash(title)
    start, end = period_bounds(period) if period else (None, None)
    best: tuple[int, int, str] | None = None
    for code, name, valid_from, valid_to in con.execute(
            "select agency_code, agency_name, valid_from, valid_to from _ref_agencies "
            "order by agency_code").fetchall():
        key = _squash(name or "")
        if not key or key not in squashed:
            continue
        valid = start is None or ((valid_from is None or valid_from <= end)
                                  and (valid_to is None or valid_to >= start))
        rank = (len(key), int(valid), code)
        if best is None or rank[:2] > best[:2]:
            best = rank
    return best[2] if best else None


def path_partition(path: Path) -> Partition:
    """.../<agency>/<yyyy-mm or yyyy-Qn>/file."""
    folder = path.parent.name
    if MONTH_RE.match(folder) or QUARTER_RE.match(folder):
        return Partition(path.parent.parent.name or None, folder)
    return Partition(None, None)


def resolve_partition(con: duckdb.DuckDBPyConnection, path: Path, read: ReadExport,
                      agency: str | None, period: str | None, has_agencies: bool) -> Partition:
    """Overrides, else the title rows, else the landing path."""
    landed = path_partition(path)
    period = period or title_period(read.title) or landed.period
    agency = agency or title_agency(con, read.title, period, has_agencies) or landed.agency
    return Partition(agency, period)


def _text(read: ReadExport, column: str) -> str:
    position = read.header.position(column)
    if position is None:
        return "cast(null as varchar)"
    return f"cchc_text(c{position})"


def _count(sql: str) -> str:
    """Counts: '1234', '1.234' / '1,234' (thousands), '-' for none; else null (invalid)."""
    return (
        f"case when {sql} is null or {sql} in ('-', '–') then null "
        f"when regexp_full_match({sql}, '-?\\d+') then try_cast({sql} as bigint) "
        f"when regexp_full_match({sql}, '-?\\d{{1,3}}([.,]\\d{{3}})+') "
        f"then try_cast(regexp_replace({sql}, '[.,]', '', 'g') as bigint) end"
    )


def build_typed(con: duckdb.DuckDBPyConnection, read: ReadExport, rows: TableRows, target: str,
                offset: int, partition: Partition, has_agencies: bool, file_index: int = 0) -> None:
    """Temp table `target`: per data row (blank and total rows left out) its file
    (`file_index`, its place in the batch), the insert columns, partition keys, the reason
    (null = loads) and the row as read."""
    cells = cell_sql(read.header.names, read.header.canonical, read.width)
    texts = ",\n".join(f"{_text(read, c)} as t_{c}"
                       for c in ["field_code", "field_name", *AGGREGATE_COUNTS])
    counts = ",\n".join(f"{_count('t_' + c)} as {c}" for c in AGGREGATE_COUNTS)
    reasons = list(REASONS)
    if has_agencies:
        reasons.append(("unknown agency", "not exists (select 1 from _ref_agencies a "
                                          "where a.agency_code = partition_agency)"))
        reasons.append(("agency not valid in period", """not exists (
            select 1 from _ref_agencies a where a.agency_code = partition_agency
            and coalesce(a.valid_from <= period_end, true)
            and coalesce(a.valid_to >= period_start, true))"""))
    reason = "case " + " ".join(f"when {cond} then {quote_literal(r)}" for r, cond in reasons) + " end"
    keep = ", ".join(["_file", "source_row", "partition_agency", "partition_period", "period_start",
                      "period_end", "t_field_code as field_code", "t_field_name as field_name",
                      *AGGREGATE_COUNTS, "extra_columns", "source_sheet", "raw_values"])
    start, end = period_bounds(partition.period) if partition.period else (None, None)
    con.execute(
        f"""
        create or replace temp table {target} as
        with source as (
            select
                _file,
                source_row,
                {texts},
                {cells.row_as_read} as raw_values,
                {cells.unknown_columns} as extra_columns,
                {cells.has_spare_values} as has_spare_values
            from ({data_rows(read.table, read.width, rows, offset, file_index)})
        ),
        typed as (
            select *, {counts},
                   cast(? as varchar) as partition_agency,
                   cast(? as varchar) as partition_period,
                   cast(? as date) as period_start,
                   cast(? as date) as period_end,
                   cast(? as varchar) as source_sheet
            from source
        )
        select {keep}, {reason} as reason from typed
        """,
        [partition.agency, partition.period, start, end, read.sheet],
    )


def total_row_check(con: duckdb.DuckDBPyConnection, read: ReadExport, target: str) -> dict:
    """{'status': 'absent' | 'agrees' | 'disagrees', 'mismatches': {column: [total, sum]}}:
    the first total row's counts against the sums of the rows loaded from this table."""
    total_sql = ", ".join(
        f"{_count(_text(read, c))} as {c}" for c in AGGREGATE_COUNTS)
    row = con.execute(
        f"select {total_sql} from (select rowid as _pos, * from {read.table}) "
        f"where {total_condition(read.width)} order by _pos limit 1"
    ).fetchone()
    if row is None:
        return {"status": "absent", "mismatches": {}}
    sums = con.execute(
        "select " + ", ".join(f"sum({c})" for c in AGGREGATE_COUNTS)
        + f" from {target} where reason is null"
    ).fetchone()
    mismatches = {
        column: [total, int(summed or 0)]
        for column, total, summed in zip(AGGREGATE_COUNTS, row, sums, strict=True)
        if total is not None and total != int(summed or 0)
    }
    return {"status": "disagrees" if mismatches else "agrees", "mismatches": mismatches}
