"""Generator of realistic agency exports (real ones cannot be published).

``generate_exports(out_dir, year, seed, months, scale, messiness, shapes, formats)`` writes
``out_dir/<agency>/<yyyy-mm>/hoso_<agency>_<yyyymm>.csv|.xlsx`` (one row per dossier) and
``bieu_II06a_<agency>_<yyyymm>.csv|.xlsx`` (the aggregated form per field), plus
``out_dir/generation_manifest_<year>.json`` (parameters, calibrated totals, and per file the rows
written and every injected defect by kind).

Commune People's Committees work in the provincial one-stop portal, which exports the
dossiers of all communes of a district together: one dossier file per district and month,
``out_dir/cap-xa-<district committee>/<yyyy-mm>/hoso_cap-xa-<district committee>_<yyyymm>``,
whose rows name their own commune in "Don vi xu ly" (the loader partitions each row by
its agency and received month, never by the folder). A commune's aggregated form stays
its own file in its own folder (``out_dir/<commune>/<yyyy-mm>/bieu_II06a_...``). Since
2025-07-01 there are no districts: the province's communes export together, in
``out_dir/cap-xa-H34/``. Every file holds the agencies valid on each day of its month
(seed agencies: old units until they end, their successors from the day after).

- Calibrated: the counts come from `plan.build_plan` (largest-remainder allocation of the
  report's totals); rows are drawn only to fill those counts in, so the clean rows of a
  full year at scale 1.0 add up to the report's numbers exactly.
- Deterministic: one numpy Generator per (seed, agency, month) for the rows and one per
  (seed, file, month, format) for the defects, no wall clock; regenerating gives
  byte-identical files, and a month's rows do not depend on which months are written.
- Streaming: one file's month (an agency's, or a district's communes') is in memory at a
  time (plus the dossiers still open from earlier months, for the form's carried-over
  column); CSVs are written by DuckDB.
- Messiness: defective rows are *added* to the clean ones (never replace them), so the
  rows that load still reproduce the calibration; the manifest says how many of each kind.
"""

from __future__ import annotations

import calendar
import json
import os
import re
import shutil
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest.exports.sampling import manifest_name
from ingest.sample.plan import Agency, Plan, build_plan

# Column labels as the one-stop-shop software prints them (Vietnamese, NFC).
HEADERS: list[str] = [
    "Mã hồ sơ", "Mã TTHC", "Tên TTHC", "Mã lĩnh vực", "Tên lĩnh vực", "Đơn vị xử lý",
    "Kênh thực hiện", "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày kết thúc xử lý", "Ngày trả",
    "Trạng thái hồ sơ", "Được thanh toán trực tuyến", "Phí",
]
# District software adds a free-text column the loader does not map (kept as extra_columns).
NOTE_HEADER = "Ghi chú"
# Bieu II.06a labels, as ingest/exports/aggregate_aliases.yml knows them (flat, one row).
AGGREGATE_HEADERS: list[str] = [
    "Lĩnh vực", "Mã lĩnh vực", "Tổng số hồ sơ nhận giải quyết", "Tiếp nhận trực tuyến",
    "Tiếp nhận trực tiếp hoặc bưu chính", "Từ kỳ trước", "Tổng số đã giải quyết",
    "Giải quyết trước hạn", "Giải quyết đúng hạn", "Giải quyết quá hạn", "Tổng số đang giải quyết",
    "Đang giải quyết trong hạn", "Đang giải quyết quá hạn",
]
# Closed without a result (not accepted, withdrawn, stopped): neither resolved nor pending.
# An extra column, so that total = resolved + this + pending holds on every row.
AGGREGATE_CLOSED_HEADER = "Số hồ sơ trả lại, rút"
TOTAL_LABEL = "Tổng cộng"
SHAPES = ("dossiers", "aggregate")
FORMATS = ("csv", "xlsx")
XLSX_MAX_ROWS_PER_FILE = 100_000
XLSX_MAX_ROWS_TOTAL = 1_000_000

# Row-level defects (extra rows, each with exactly one defect) and file-level ones.
ROW_DEFECTS = (
    "invalid_date_unparseable",  # received date that is not a date
    "invalid_date_impossible",  # received 31/02
    "due_before_received",
    "finished_before_received",
    "unknown_channel",
    "unknown_agency",
    "unknown_procedure",
    "missing_dossier_code",
    "duplicate_dossier_code",  # same code as a dossier in the previous month's file
)
FILE_DEFECTS = ("cp1258", "tcvn3", "vni", "title_rows", "blank_rows", "total_row")
ALL_DEFECTS = ROW_DEFECTS + FILE_DEFECTS
UNKNOWN_AGENCY = "000.99.99.H34"
# Landing folder of a district's commune-level portal export: PORTAL_PREFIX + district
# committee code ("cap xa" = commune level), or + PROVINCE_SUFFIX for the province's
# communes since 2025-07-01 (no district). Not an agency code on purpose: nothing may
# read an agency from it (the rows carry theirs).
PORTAL_PREFIX = "cap-xa-"
PROVINCE_SUFFIX = "H34"  # the province's part of agency codes: its communes' portal since 2025-07
PORTAL_KIND = "commune_committee"
PORTAL_STREAM = 100_000
UNKNOWN_PROCEDURE = "1.999999"
TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
MINUTES_PER_DAY = 1440
HOURS = np.array([7, 8, 9, 10, 11, 13, 14, 15, 16])
HOUR_WEIGHTS = np.array([0.9, 1.3, 1.4, 1.3, 0.8, 0.9, 1.2, 1.1, 0.7])
# Categories of a clean dossier.
ON_TIME, LATE, CLOSED, PENDING = 0, 1, 2, 3


class GenerationError(ValueError):
    """The request cannot be generated as asked (e.g. XLSX far too large)."""


def _legacy_encoder():
    """ingest.exports' TCVN3/VNI encoder, when the reader ships one (else None)."""
    try:
        from ingest.exports.encodings import encode
    except ImportError:
        return None
    return encode


@dataclass
class Profile:
    """Quirks of the software an agency uses."""

    bom: bool
    date_only_due: bool
    note_column: bool


def profile(agency: Agency) -> Profile:
    number = int(agency.code.split(".")[2])
    return Profile(
        bom=agency.kind == "department" and number % 2 == 0,
        date_only_due=agency.kind == "commune_committee",
        note_column=agency.kind == "district_committee",
    )


def _minutes(dt: datetime) -> int:
    return int((dt - datetime(1970, 1, 1)).total_seconds() // 60)


def _to_ts(minutes: np.ndarray) -> pa.Array:
    return pa.array(minutes.astype("datetime64[m]").astype("datetime64[s]"))


@dataclass
class Cell:
    """The clean dossiers of one agency and month, as arrays (minutes since 1970)."""

    agency: Agency
    month: int
    code: list[str]
    proc: np.ndarray
    channel: np.ndarray
    status: np.ndarray
    category: np.ndarray
    received: np.ndarray
    due_day: np.ndarray  # days since 1970 of the due date
    due_eff: np.ndarray  # the due moment in minutes (17:00, or 23:59 for date-only dues)
    finished: np.ndarray  # -1 = not finished
    returned: np.ndarray  # -1 = not returned
    paid: np.ndarray
    fee: np.ndarray
    note: np.ndarray

    def __len__(self) -> int:
        return len(self.proc)


@dataclass
class ExportFile:
    """The clean dossiers one dossier export holds: one agency's month, or (portal) the
    month of every commune of a district, rows in order of receipt."""

    folder: str  # landing folder name: the agency code, or PORTAL_PREFIX + district code
    label: str  # who the file is about, for title rows
    stream: int  # random stream of the file's defects
    month: int
    cells: list[Cell]
    portal: str | None = None  # district committee code of a portal export

    @property
    def clean_rows(self) -> int:
        return sum(len(c) for c in self.cells)


def _draw_days(rng: np.random.Generator, year: int, month: int, first: int, last: int,
               n: int, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    """n office days (day numbers) in [first, last], restricted to a share of the span."""
    days = np.arange(first, last + 1)
    span = len(days)
    days = days[int(np.floor(lo * span)): max(int(np.ceil(hi * span)), int(np.floor(lo * span)) + 1)]
    weekday = np.array([calendar.weekday(year, month, int(d)) for d in days])
    w = np.where(weekday < 5, 1.0, np.where(weekday == 5, 0.25, 0.02))
    return rng.choice(days, size=n, p=w / w.sum())


def _office(minutes: np.ndarray) -> np.ndarray:
    """Times of day moved into office hours (07:00-16:29) on the same day."""
    tod = minutes % MINUTES_PER_DAY
    inside = (tod >= 7 * 60) & (tod < 16 * 60 + 30)
    return np.where(inside, minutes, minutes - tod + 7 * 60 + tod % 570)


def build_cell(plan: Plan, agency: Agency, month: int, seed: int) -> Cell:
    """Draw the clean dossiers of one agency-month so they match the plan's counts."""
    a, m, year, cat = agency.index, month - 1, plan.year, plan.catalog
    rng = np.random.default_rng([seed, a, month])
    n_res, n_late = int(plan.resolved[a, m]), int(plan.late[a, m])
    n_closed, n_pend = int(plan.closed[a, m]), int(plan.pending[a, m])
    n = n_res + n_closed + n_pend
    n_online, n_postal, n_paid = int(plan.online[a, m]), int(plan.postal[a, m]), int(plan.paid[a, m])
    prof = profile(agency)
    first, last = agency.active_days(year, month)
    category = np.repeat([ON_TIME, LATE, CLOSED, PENDING], [n_res - n_late, n_late, n_closed, n_pend])

    # Received: office days and hours; pending dossiers arrived late in the month, and in
    # December late ones early enough to be finished (late) before the year's exports.
    day = np.empty(n, dtype=np.int64)
    for kind, lo, hi in ((ON_TIME, 0, 1), (CLOSED, 0, 1), (PENDING, 0.55, 1),
                         (LATE, 0, 0.6 if month == 12 else 1)):
        sel = np.flatnonzero(category == kind)
        if len(sel):
            day[sel] = _draw_days(rng, year, month, first, last, len(sel), lo, hi)
    hour = rng.choice(HOURS, size=n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    month_start = _minutes(datetime(year, month, 1))
    received = month_start + (day - 1) * MINUTES_PER_DAY + hour * 60 + rng.integers(0, 60, n)
    order = np.argsort(received, kind="stable")
    category, received = category[order], received[order]

    # Channels and online payment (counts fixed by the plan), then a procedure that allows it.
    channel = np.ones(n, dtype=np.int64)
    perm = rng.permutation(n)
    channel[perm[:n_online]] = 2
    channel[perm[n_online:n_online + n_postal]] = 3
    paid = np.zeros(n, dtype=bool)
    online_rows = np.flatnonzero(channel == 2)
    paid[rng.permutation(online_rows)[:n_paid]] = True
    proc = np.empty(n, dtype=np.int64)
    for rows, pool in ((paid, agency.paid), ((channel == 2) & ~paid, agency.online),
                       (channel == 3, agency.postal), (channel == 1, agency.procedures)):
        idx = np.flatnonzero(rows)
        if len(idx):
            w = cat.proc_weight[pool]
            proc[idx] = rng.choice(pool, size=len(idx), p=w / w.sum())

    # Due dates and outcomes.
    year_end = _minutes(datetime(year, 12, 31, 23, 59))
    days_allowed = cat.proc_days[proc].copy()
    rec_day = received // MINUTES_PER_DAY
    due_offset = (MINUTES_PER_DAY - 1) if prof.date_only_due else 17 * 60
    finished = np.full(n, -1, dtype=np.int64)
    is_late = category == LATE
    delay = rng.integers(1, 16, n) * MINUTES_PER_DAY + rng.integers(30, 480, n)
    # A late dossier must be finished (after its due moment) by the year end: shorten the
    # time allowed when needed (the one-stop shop sets the due date per dossier anyway).
    room = (year_end - delay - (rec_day * MINUTES_PER_DAY + due_offset)) // MINUTES_PER_DAY
    days_allowed = np.where(is_late, np.clip(np.minimum(days_allowed, room), 0, None), days_allowed)
    due_day = rec_day + days_allowed
    due_eff = due_day * MINUTES_PER_DAY + due_offset
    late_finish = np.minimum(due_eff + delay, year_end)
    window = np.maximum(np.minimum(due_eff, year_end) - received, 0)
    on_time_finish = received + (window * rng.uniform(0.15, 1.0, n)).astype(np.int64)
    closed_finish = np.minimum(received + rng.integers(60, 3 * MINUTES_PER_DAY, n), year_end)
    on_time_finish = np.clip(_office(on_time_finish), received, np.maximum(due_eff, received))
    late_finish = _office(late_finish)
    closed_finish = np.clip(_office(closed_finish), received, year_end)
    finished = np.select([category == ON_TIME, is_late, category == CLOSED],
                         [on_time_finish, late_finish, closed_finish], -1)
    if is_late.any() and (finished[is_late] <= due_eff[is_late]).any():
        raise GenerationError(f"{agency.code} {year}-{month:02d}: a late dossier cannot be late")
    resolved = (category == ON_TIME) | is_late
    returned_flag = resolved & (rng.random(n) < 0.9)
    returned = np.where(returned_flag, np.clip(
        _office(finished + rng.integers(5, 2 * MINUTES_PER_DAY, n)), finished, year_end), -1)
    status = np.select(
        [returned_flag, resolved, category == CLOSED],
        [10, 9, rng.choice([3, 7, 8], size=n, p=[0.5, 0.35, 0.15])],
        rng.choice([2, 4, 5, 6], size=n, p=[0.15, 0.6, 0.15, 0.1]),
    )

    # Fees: dossiers paid online share the plan's fee units; others pay the usual fee.
    fee = cat.proc_fee[proc].copy()
    paid_idx = np.flatnonzero(paid)
    if len(paid_idx):
        from ingest.sample.reference import largest_remainder

        units = 1 + largest_remainder(int(plan.fee_units[a, m]) - len(paid_idx),
                                      cat.proc_fee_units[proc[paid_idx]])
        fee[paid_idx] = units * plan.fee_unit
    note = rng.random(n) < 0.08 if prof.note_column else np.zeros(n, dtype=bool)
    prefix = f"{agency.code}-{year}{month:02d}-"
    codes = [f"{prefix}{i:06d}" for i in range(1, n + 1)]
    return Cell(agency, month, codes, proc, channel, status, category, received, due_day,
                due_eff, finished, returned, paid, fee, note)


# --- rows as text ---------------------------------------------------------------------


def _fmt(minutes: np.ndarray, date_only: bool = False) -> pa.Array:
    ts = _to_ts(np.where(minutes < 0, 0, minutes))
    text = pc.strftime(ts, format="%d/%m/%Y" if date_only else "%d/%m/%Y %H:%M")
    return pc.if_else(pa.array(minutes < 0), pa.scalar(None, pa.string()), text)


STYLES = ("codes", "labels")


def _labelled(codes: np.ndarray, vocabulary: str, variant: int) -> pa.Array:
    """Codes as the labels people's exports print (value_vocab.yml); each agency's software
    writes one of the spellings, so a tree of exports uses many of them."""
    from ingest.exports.vocab import labels

    spelled = {code: names[variant % len(names)] for code, names in labels()[vocabulary].items()}
    lookup = np.array([spelled.get(code, str(code)) for code in range(max(spelled) + 1)], dtype=object)
    inside = (codes >= 0) & (codes < len(lookup))
    return pa.array(np.where(inside, lookup[np.clip(codes, 0, len(lookup) - 1)], codes.astype(str)),
                    pa.string())


def dossier_table(plan: Plan, cell: Cell, style: str = "codes") -> pa.Table:
    """The cell as an Arrow table of text columns under the Vietnamese headers: the
    portal's codes, or (style "labels") the labels and agency names people export."""
    cat, agency = plan.catalog, cell.agency
    prof = profile(agency)
    names = pa.array(cat.proc_name)
    codes = pa.array(cat.proc_code)
    field_idx = cat.proc_field[cell.proc]
    field_codes = pa.array([f.code for f in cat.fields])
    field_names = pa.array([f.name for f in cat.fields])
    n = len(cell)
    due_minutes = cell.due_day * MINUTES_PER_DAY + (0 if prof.date_only_due else 17 * 60)
    columns = {
        "Mã hồ sơ": pa.array(cell.code, pa.string()),
        "Mã TTHC": codes.take(pa.array(cell.proc)),
        "Tên TTHC": names.take(pa.array(cell.proc)),
        "Mã lĩnh vực": field_codes.take(pa.array(field_idx)),
        "Tên lĩnh vực": field_names.take(pa.array(field_idx)),
        "Đơn vị xử lý": pa.array([agency.code if style == "codes" else agency.name] * n, pa.string()),
        "Kênh thực hiện": (pc.cast(pa.array(cell.channel), pa.string()) if style == "codes"
                           else _labelled(cell.channel, "channel", agency.index)),
        "Ngày tiếp nhận": _fmt(cell.received),
        "Ngày hẹn trả": _fmt(due_minutes, prof.date_only_due),
        "Ngày kết thúc xử lý": _fmt(cell.finished),
        "Ngày trả": _fmt(cell.returned),
        "Trạng thái hồ sơ": (pc.cast(pa.array(cell.status), pa.string()) if style == "codes"
                             else _labelled(cell.status, "status", agency.index)),
        "Được thanh toán trực tuyến": pa.array(np.where(cell.paid, "Có", "Không")),
        "Phí": pc.cast(pa.array(cell.fee), pa.string()),
    }
    if prof.note_column:
        columns[NOTE_HEADER] = pa.array(np.where(cell.note, "Hồ sơ liên thông", None), pa.string())
    return pa.table(columns)


def export_table(plan: Plan, export: ExportFile, style: str = "codes") -> pa.Table:
    """The file's clean rows: one cell's, or several cells' merged in order of receipt
    (ties keep the agencies' order)."""
    cells = [c for c in export.cells if len(c)]
    if len(cells) == 1:
        return dossier_table(plan, cells[0], style)
    table = pa.concat_tables([dossier_table(plan, c, style) for c in cells])
    order = np.argsort(np.concatenate([c.received for c in cells]), kind="stable")
    return table.take(pa.array(order))


@dataclass
class ExportUnit:
    """Who files one series of dossier exports: an agency, or a district's communes."""

    folder: str
    label: str
    stream: int
    members: list[Agency]
    portal: str | None = None


def export_units(agencies: Sequence[Agency]) -> list[ExportUnit]:
    """One unit per agency, except commune committees: one portal unit per district (in
    the place of the district's first commune) and, for the communes of the two-tier
    system (since 2025-07-01, no district), one provincial portal. Defect streams: the
    agency's index, or PORTAL_STREAM + the code's district number for a portal (agency
    indices stay far below it)."""
    by_code = {a.code: a for a in agencies}
    units: list[ExportUnit] = []
    portals: dict[str, ExportUnit] = {}
    for agency in agencies:
        if agency.kind != PORTAL_KIND:
            units.append(ExportUnit(agency.code, agency.name, agency.index, [agency]))
            continue
        district = agency.code.split(".")[2]
        if district not in portals:
            committee = f"000.00.{district}.H34"
            if agency.district:
                name = by_code[committee].name if committee in by_code else f"huyện {district}"
                portals[district] = ExportUnit(
                    f"{PORTAL_PREFIX}{committee}", f"UBND cấp xã - {name.removeprefix('UBND ')}",
                    PORTAL_STREAM + int(district), [], committee)
            else:
                portals[district] = ExportUnit(
                    f"{PORTAL_PREFIX}{PROVINCE_SUFFIX}", "UBND cấp xã - tỉnh Khánh Hòa",
                    PORTAL_STREAM + int(district), [], None)
            units.append(portals[district])
        portals[district].members.append(agency)
    return units


# --- the aggregated form ----------------------------------------------------------------


@dataclass
class OpenDossiers:
    """Dossiers of an agency not finished by the end of the last month built."""

    field: np.ndarray
    due_eff: np.ndarray
    finished: np.ndarray
    category: np.ndarray

    @classmethod
    def empty(cls) -> OpenDossiers:
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z, z, z)


def aggregate_rows(plan: Plan, cell: Cell, carry: OpenDossiers) -> tuple[list[list], OpenDossiers]:
    """Bieu II.06a rows (per field) for the cell's month, and the dossiers still open."""
    cat, year, month = plan.catalog, plan.year, cell.month
    end = _minutes(datetime(year + (month == 12), month % 12 + 1, 1))
    n_fields = len(cat.fields)
    new_field = cat.proc_field[cell.proc]
    field = np.concatenate([carry.field, new_field])
    due_eff = np.concatenate([carry.due_eff, cell.due_eff])
    finished = np.concatenate([carry.finished, cell.finished])
    category = np.concatenate([carry.category, cell.category])

    def count(mask: np.ndarray, fields: np.ndarray = field) -> np.ndarray:
        return np.bincount(fields[mask], minlength=n_fields)

    online = count(cell.channel == 2, new_field)
    in_person = count(cell.channel != 2, new_field)
    carried = np.bincount(carry.field, minlength=n_fields)
    done_now = (finished >= 0) & (finished < end)
    resolved = done_now & np.isin(category, [ON_TIME, LATE])
    fin_day = np.where(finished >= 0, finished // MINUTES_PER_DAY, 0)
    due_day = due_eff // MINUTES_PER_DAY
    early = resolved & (fin_day < due_day)
    overdue = resolved & (finished > due_eff)
    on_time = resolved & ~early & ~overdue
    closed = done_now & (category == CLOSED)
    still_open = ~done_now
    counts = {
        "online": online, "in_person": in_person, "carried": carried,
        "resolved": count(resolved), "early": count(early), "on_time": count(on_time),
        "overdue": count(overdue), "closed": count(closed), "pending": count(still_open),
        "pending_ok": count(still_open & (due_eff >= end)),
        "pending_late": count(still_open & (due_eff < end)),
    }
    rows = []
    for f in np.flatnonzero(online + in_person + carried):
        received_total = int(online[f] + in_person[f] + carried[f])
        rows.append([cat.fields[f].name, cat.fields[f].code, received_total, int(online[f]),
                     int(in_person[f]), int(carried[f]), int(counts["resolved"][f]),
                     int(counts["early"][f]), int(counts["on_time"][f]), int(counts["overdue"][f]),
                     int(counts["pending"][f]), int(counts["pending_ok"][f]),
                     int(counts["pending_late"][f]), int(counts["closed"][f])])
    keep = OpenDossiers(field[still_open], due_eff[still_open], finished[still_open],
                        category[still_open])
    return rows, keep


def aggregate_title(agency: Agency, year: int, month: int) -> str:
    return (f"BÁO CÁO TÌNH HÌNH GIẢI QUYẾT HỒ SƠ TTHC TẠI {agency.name.upper()} "
            f"- THÁNG {month:02d}/{year}")


# --- messiness --------------------------------------------------------------------------


def _cp1258(text: str) -> bytes:
    """Windows-1258 bytes: letters it lacks precomposed are written base + tone mark."""
    out = []
    for ch in text:
        try:
            ch.encode("cp1258")
            out.append(ch)
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONES))
            out.append(base + "".join(c for c in parts if c in TONES))
    return "".join(out).encode("cp1258")


def _defect_rows(rng: np.random.Generator, table: pa.Table, export: ExportFile,
                 counts: dict[str, int], previous_codes: Sequence[str],
                 date_only_due: bool) -> list[dict[str, str | None]]:
    """Extra rows, each a copy of a clean row of the file broken in exactly one way; a copy
    gets the next dossier code of its row's agency (codes stay unique per agency)."""
    rows = table.to_pylist()
    out: list[dict[str, str | None]] = []
    serial = {c.agency.code: len(c) for c in export.cells if len(c)}
    prefix = {c.agency.code: c.code[0].rsplit("-", 1)[0] for c in export.cells if len(c)}
    # the agency as the file writes it (code, or name in label-style files) -> its code
    written = {key: c.agency.code for c in export.cells if len(c) for key in (c.agency.code, c.agency.name)}
    for kind in ROW_DEFECTS:
        for _ in range(counts.get(kind, 0)):
            pick = int(rng.integers(len(rows)))
            row = dict(rows[pick])
            agency = written[row["Đơn vị xử lý"]]
            serial[agency] += 1
            row["Mã hồ sơ"] = f"{prefix[agency]}-{serial[agency]:06d}"
            received = datetime.strptime(row["Ngày tiếp nhận"], "%d/%m/%Y %H:%M")
            if kind == "invalid_date_unparseable":
                row["Ngày tiếp nhận"] = rng.choice(["không rõ", "32/13/2020", "2020/00/00", "??/??/????"])
            elif kind == "invalid_date_impossible":
                row["Ngày tiếp nhận"] = f"31/02/{received.year} {received:%H:%M}"
            elif kind == "due_before_received":
                due = received - timedelta(days=int(rng.integers(1, 6)))
                row["Ngày hẹn trả"] = due.strftime("%d/%m/%Y" if date_only_due else "%d/%m/%Y %H:%M")
            elif kind == "finished_before_received":
                row["Ngày kết thúc xử lý"] = (received - timedelta(days=1)).strftime("%d/%m/%Y %H:%M")
                row["Ngày trả"] = None
                row["Trạng thái hồ sơ"] = "9"
            elif kind == "unknown_channel":
                row["Kênh thực hiện"] = str(rng.choice(["0", "4", "5", "9"]))
            elif kind == "unknown_agency":
                row["Đơn vị xử lý"] = UNKNOWN_AGENCY
            elif kind == "unknown_procedure":
                row["Mã TTHC"] = UNKNOWN_PROCEDURE
            elif kind == "missing_dossier_code":
                row["Mã hồ sơ"] = None
            elif kind == "duplicate_dossier_code":
                row["Mã hồ sơ"] = previous_codes[int(rng.integers(len(previous_codes)))]
            out.append(row)
    return out


def _defect_counts(rng: np.random.Generator, n: int, messiness: float, kinds: Sequence[str],
                   has_previous: bool, fmt: str, legacy_ok: bool) -> dict[str, int]:
    """How many defects of each kind one dossier file gets (row kinds ~ Binomial)."""
    counts: dict[str, int] = {}
    row_kinds = [k for k in ROW_DEFECTS if k in kinds]
    for kind in row_kinds:
        c = int(rng.binomial(n, messiness / len(row_kinds))) if n else 0
        if kind == "duplicate_dossier_code" and not has_previous:
            c = 0
        if c:
            counts[kind] = c
    # File-level kinds: each with probability `messiness` (the draw is made for every kind
    # so that enabling one does not shift the others).
    draws = {k: rng.random() for k in FILE_DEFECTS}
    encodings = [k for k in ("cp1258", "tcvn3", "vni") if k in kinds and fmt == "csv"
                 and (k == "cp1258" or legacy_ok)]
    hits = [k for k in encodings if draws[k] < messiness]
    if hits:
        counts[hits[0]] = 1  # one encoding per file
    if "title_rows" in kinds and draws["title_rows"] < messiness:
        counts["title_rows"] = int(rng.integers(1, 4))
    if "blank_rows" in kinds and draws["blank_rows"] < messiness and n:
        counts["blank_rows"] = int(rng.integers(1, 4))
    if "total_row" in kinds and fmt == "xlsx" and draws["total_row"] < messiness:
        counts["total_row"] = 1
    return counts


# --- writers ----------------------------------------------------------------------------


class CsvWriter:
    """CSV through DuckDB (streams, quotes only where needed), then BOM/encoding/title."""

    def __init__(self) -> None:
        self.con = duckdb.connect()

    def close(self) -> None:
        self.con.close()

    def write(self, table: pa.Table, path: Path, title: Sequence[str] = (),
              encoding: str = "utf-8", bom: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(path.name + ".part")
        self.con.register("_gen_rows", table)
        try:
            self.con.execute(
                f"copy (select * from _gen_rows) to '{part.as_posix()}' "
                "(format csv, header true, delimiter ',', quote '\"', escape '\"', new_line '\\n')")
        finally:
            self.con.unregister("_gen_rows")
        if not title and encoding == "utf-8" and not bom:
            os.replace(part, path)
            return
        with open(path, "wb") as dst:
            if bom:
                dst.write(b"\xef\xbb\xbf")
            head = "".join(f"{line}\n" for line in title)
            if encoding == "utf-8":
                dst.write(head.encode("utf-8"))
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, dst, 1 << 20)
            else:
                text = head + part.read_text(encoding="utf-8")
                dst.write(encode_text(text, encoding))
        part.unlink()


def encode_text(text: str, encoding: str) -> bytes:
    if encoding == "cp1258":
        return _cp1258(text)
    legacy = _legacy_encoder()
    if legacy is None:
        raise GenerationError(f"no encoder for {encoding}")
    return legacy(text, encoding)


def _xlsx_value(value: object, column: str) -> object:
    if value is None:
        return None
    if column in ("Ngày tiếp nhận", "Ngày kết thúc xử lý", "Ngày trả") and isinstance(value, str):
        try:
            return datetime.strptime(value, "%d/%m/%Y %H:%M")
        except ValueError:
            return value  # a defect: keep the text as typed
    return value


def write_xlsx(path: Path, header: list[str], rows: Iterable[list], title: Sequence[str] = (),
               blank_after: Sequence[int] = (), total: list | None = None) -> None:
    """One sheet in openpyxl write-only mode (streams rows)."""
    import openpyxl

    path.parent.mkdir(parents=True, exist_ok=True)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Sheet1")
    for line in title:
        sheet.append([line])
    sheet.append(header)
    blanks = sorted(blank_after)
    for i, row in enumerate(rows):
        while blanks and blanks[0] == i:
            sheet.append([])
            blanks.pop(0)
        sheet.append(row)
    for _ in blanks:
        sheet.append([])
    if total is not None:
        sheet.append(total)
    # Fixed document properties keep the bytes reproducible (openpyxl stamps the time).
    fixed = datetime(2021, 1, 1)
    book.properties.created = fixed
    book.properties.modified = fixed
    book.save(path)
    _normalise_zip(path)


def _normalise_zip(path: Path) -> None:
    """Rewrite the XLSX zip with fixed member time stamps (byte-identical regeneration)."""
    import zipfile

    tmp = path.with_name(path.name + ".zip")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" on save
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                              rb"\g<1>2021-01-01T00:00:00Z", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2021, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, data)
    os.replace(tmp, path)


# --- the whole run ------------------------------------------------------------------------


def _parse_months(months: Iterable[int] | str | None) -> list[int]:
    if months is None:
        return list(range(1, 13))
    if isinstance(months, str):
        out: list[int] = []
        for part in months.split(","):
            lo, _, hi = part.partition("-")
            out.extend(range(int(lo), int(hi or lo) + 1))
        months = out
    months = sorted(set(int(m) for m in months))
    if not months or months[0] < 1 or months[-1] > 12:
        raise GenerationError(f"months must be within 1-12, got {months}")
    return months


def _choice(value: str | Sequence[str], allowed: tuple[str, ...], what: str) -> list[str]:
    if isinstance(value, str):
        value = list(allowed) if value == "both" else [value]
    bad = [v for v in value if v not in allowed]
    if bad:
        raise GenerationError(f"unknown {what} {bad}; expected {', '.join(allowed)} or both")
    return [v for v in allowed if v in value]


def _check_xlsx_size(plan: Plan, months: list[int], formats: list[str]) -> None:
    if "xlsx" not in formats:
        return
    received = plan.received[:, [m - 1 for m in months]]
    # rows per file: an agency-month, or a portal's district-month
    cells = np.array([received[[a.index for a in unit.members]].sum(axis=0)
                      for unit in export_units(plan.agencies)])
    if cells.max(initial=0) > XLSX_MAX_ROWS_PER_FILE or cells.sum() > XLSX_MAX_ROWS_TOTAL:
        raise GenerationError(
            f"XLSX refused: the largest file (agency-month, or a portal's district-month) would "
            f"have {int(cells.max()):,} rows and all "
            f"files {int(cells.sum()):,} (limits {XLSX_MAX_ROWS_PER_FILE:,} per file, "
            f"{XLSX_MAX_ROWS_TOTAL:,} in all); use --format csv or a smaller --scale")


def generate_exports(
    out_dir: Path,
    year: int = 2020,
    seed: int = 2020,
    months: Iterable[int] | str | None = None,
    scale: float = 1.0,
    messiness: float = 0.0,
    shapes: str | Sequence[str] = "dossiers",
    formats: str | Sequence[str] = "csv",
    defects: Sequence[str] | None = None,
    reference_dir: Path | None = None,
    agencies: Sequence[str] | None = None,
    progress=None,
    style: str = "codes",
) -> list[Path]:
    """Write the exports under out_dir/<agency>/<yyyy-mm>/ and the manifest; returns the
    written export paths in (agency, month, name) order."""
    out_dir = Path(out_dir)
    month_list = _parse_months(months)
    shape_list = _choice(shapes, SHAPES, "shape")
    if style not in STYLES:
        raise GenerationError(f"unknown style {style!r}; known: {', '.join(STYLES)}")
    format_list = _choice(formats, FORMATS, "format")
    if not 0 <= messiness <= 1:
        raise GenerationError("messiness is a rate between 0 and 1")
    kinds = list(ALL_DEFECTS if defects is None else defects)
    unknown = set(kinds) - set(ALL_DEFECTS)
    if unknown:
        raise GenerationError(f"unknown defect kinds {sorted(unknown)}; known: {', '.join(ALL_DEFECTS)}")
    legacy_ok = _legacy_encoder() is not None
    plan = build_plan(year, scale, reference_dir)
    _check_xlsx_size(plan, month_list, format_list)
    written: list[Path] = []
    files: dict[str, dict] = {}
    csv_writer = CsvWriter()
    try:
        for unit in export_units(plan.agencies):
            members = [a for a in unit.members if agencies is None or a.code in agencies]
            if not members:
                continue  # the plan still covers every agency: a subset keeps its numbers
            carry = {a.code: OpenDossiers.empty() for a in members}
            previous_codes: list[str] = []
            prof = profile(members[0])
            for month in range(1, 13):
                built: list[tuple[Cell, list[list]]] = []
                for agency in members:
                    if not plan.received[agency.index, month - 1] and not len(carry[agency.code].field):
                        continue
                    cell = build_cell(plan, agency, month, seed)
                    agg_rows, carry[agency.code] = aggregate_rows(plan, cell, carry[agency.code])
                    built.append((cell, agg_rows))
                if month in month_list and built:
                    export = ExportFile(unit.folder, unit.label, unit.stream, month,
                                        [cell for cell, _ in built], unit.portal)
                    stem = f"{unit.folder}_{year}{month:02d}"
                    folder = out_dir / unit.folder / f"{year}-{month:02d}"
                    if "dossiers" in shape_list and export.clean_rows:
                        table = export_table(plan, export, style)
                        for fmt in format_list:
                            path = folder / f"hoso_{stem}.{fmt}"
                            files[path.relative_to(out_dir).as_posix()] = _write_dossiers(
                                csv_writer, path, plan, export, table, fmt, seed, messiness, kinds,
                                previous_codes, prof, legacy_ok)
                            written.append(path)
                    if "aggregate" in shape_list:
                        for cell, agg_rows in built:
                            if not agg_rows:
                                continue
                            agency = cell.agency
                            for fmt in format_list:
                                path = (out_dir / agency.code / f"{year}-{month:02d}"
                                        / f"bieu_II06a_{agency.code}_{year}{month:02d}.{fmt}")
                                files[path.relative_to(out_dir).as_posix()] = _write_aggregate(
                                    csv_writer, path, agency, year, month, agg_rows, fmt)
                                written.append(path)
                previous_codes = [code for cell, _ in built for code in cell.code]
                if progress is not None:
                    for cell, _ in built:
                        progress(cell.agency, month, len(cell))
    finally:
        csv_writer.close()
    manifest = {
        "generator": "ingest.sample",
        "parameters": {"year": year, "seed": seed, "months": month_list, "scale": scale,
                       "messiness": messiness, "shapes": shape_list, "formats": format_list,
                       "defects": kinds, "agencies": sorted(agencies) if agencies else None,
                       "style": style},
        "calibration_source": "data/samples/reports/khanh-hoa/2020/khanh_hoa_2020_cchc_report.txt",
        "totals_full_year": plan.totals(),
        "report_targets_scaled": plan.targets,
        "notes": {
            "clean_rows": "rows that are not injected defects; they reproduce the plan",
            "aggregate": "received total = online + in person or post + carried over = "
                         "resolved + closed (extra column) + pending",
            "skipped_kinds": [] if legacy_ok else ["tcvn3", "vni"],
        },
        "files": files,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / manifest_name(year)).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return written


def _write_dossiers(writer: CsvWriter, path: Path, plan: Plan, export: ExportFile,
                    table: pa.Table, fmt: str, seed: int, messiness: float, kinds: Sequence[str],
                    previous_codes: Sequence[str], prof: Profile, legacy_ok: bool) -> dict:
    n_clean = export.clean_rows
    rng = np.random.default_rng([seed, export.stream, export.month, 1 + FORMATS.index(fmt)])
    counts = (_defect_counts(rng, n_clean, messiness, kinds, bool(previous_codes), fmt, legacy_ok)
              if messiness else {})
    extra = _defect_rows(rng, table, export, counts, previous_codes, prof.date_only_due)
    n_blank = counts.get("blank_rows", 0)
    body = table
    if extra or n_blank:
        blanks = [dict.fromkeys(table.column_names) for _ in range(n_blank)]
        more = pa.Table.from_pylist(extra + blanks, schema=table.schema)
        body = pa.concat_tables([table, more])
        # Defective and blank rows land at random places among the clean rows.
        order = np.arange(len(table))
        for j in range(len(table), len(body)):
            order = np.insert(order, int(rng.integers(0, len(order) + 1)), j)
        body = body.take(pa.array(order))
    title = []
    if counts.get("title_rows"):
        title = ["ỦY BAN NHÂN DÂN TỈNH KHÁNH HÒA",
                 f"DANH SÁCH HỒ SƠ TIẾP NHẬN - {export.label.upper()}",
                 f"Tháng {export.month:02d}/{plan.year}"][-counts["title_rows"]:]
    encoding = next((k for k in ("cp1258", "tcvn3", "vni") if counts.get(k)), "utf-8")
    if fmt == "csv":
        writer.write(body, path, title=title, encoding=encoding, bom=prof.bom and encoding == "utf-8")
    else:
        header = body.column_names
        columns = body.to_pydict()
        rows = ([_xlsx_value(columns[c][i], c) for c in header] for i in range(len(body)))
        total = [TOTAL_LABEL, f"{n_clean + len(extra)} hồ sơ"] if counts.get("total_row") else None
        write_xlsx(path, header, rows, title=title, total=total)
    info = {
        "shape": "dossiers", "format": fmt,
        "encoding": "utf-8-sig" if (prof.bom and encoding == "utf-8" and fmt == "csv") else
        (encoding if fmt == "csv" else "xlsx"),
        "month": f"{plan.year}-{export.month:02d}",
        "rows": n_clean + len(extra), "clean_rows": n_clean,
        "defects": dict(sorted(counts.items())),
    }
    if export.portal is None:
        info["agency"] = export.cells[0].agency.code
    else:  # clean rows per commune (codes <agency>-<yyyymm>-000001.. as in single files)
        info["portal"] = export.portal
        info["agencies"] = {c.agency.code: len(c) for c in export.cells if len(c)}
    return info


def _write_aggregate(writer: CsvWriter, path: Path, agency: Agency, year: int, month: int,
                     rows: list[list], fmt: str) -> dict:
    header = AGGREGATE_HEADERS + [AGGREGATE_CLOSED_HEADER]
    total = [TOTAL_LABEL, None] + [sum(r[i] for r in rows) for i in range(2, len(header))]
    title = [aggregate_title(agency, year, month)]
    if fmt == "csv":
        table = pa.table({h: pa.array([str(r[i]) if r[i] is not None else None for r in rows + [total]],
                                      pa.string()) for i, h in enumerate(header)})
        writer.write(table, path, title=title, bom=True)
    else:
        write_xlsx(path, header, rows, title=title, total=total)
    return {"shape": "aggregate", "format": fmt, "encoding": "utf-8-sig" if fmt == "csv" else "xlsx",
            "agency": agency.code, "month": f"{year}-{month:02d}", "rows": len(rows),
            "total_row": True, "defects": {}}
