"""Generator of realistic dossier-level agency exports (real ones cannot be published).

Deterministic for a seed: one `random.Random(seed)` drives everything, files are written in
a fixed order, and nothing reads the wall clock, so regenerating gives byte-identical files.
The reference data (agencies, procedures, fields) comes from the dbt seeds.

Usage: ``python -m ingest.sample OUT_DIR [--year 2020] [--seed 2020]``
"""

from __future__ import annotations

import argparse
import calendar
import csv
import random
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from ingest.settings import get_settings

# Column labels as the one-stop-shop software prints them (Vietnamese, NFC).
HEADERS: list[str] = [
    "Mã hồ sơ",
    "Mã TTHC",
    "Tên TTHC",
    "Mã lĩnh vực",
    "Tên lĩnh vực",
    "Đơn vị xử lý",
    "Kênh thực hiện",
    "Ngày tiếp nhận",
    "Ngày hẹn trả",
    "Ngày kết thúc xử lý",
    "Ngày trả",
    "Trạng thái hồ sơ",
    "Được thanh toán trực tuyến",
    "Phí",
]
# District software adds a free-text column the loader does not map (kept as extra_columns).
NOTE_HEADER = "Ghi chú"


@dataclass(frozen=True)
class AgencyProfile:
    """How one sample agency behaves: volume, lateness, fields it handles."""

    base_volume: int
    late_rate: float
    fields: tuple[str, ...] = ()  # empty = every field of the agency's level
    date_only_due: bool = False  # some commune software prints due dates without time
    bom: bool = False  # Excel-style UTF-8 with BOM
    note_column: bool = False


# Late rates follow the 2020 Khanh Hoa report (Cam Ranh 22.03%, Van Ninh 22%, Nha Trang
# 12.44%, Planning and Investment 7.05%); volumes are scaled down to keep files small.
SAMPLE_AGENCIES: dict[str, AgencyProfile] = {
    "000.00.02.H34": AgencyProfile(36, 0.010, ("LV05", "LV07", "LV08"), bom=True),
    "000.00.03.H34": AgencyProfile(44, 0.0705, ("LV03", "LV04")),
    "000.00.06.H34": AgencyProfile(30, 0.030, ("LV01", "LV11")),
    "000.00.31.H34": AgencyProfile(52, 0.1244, note_column=True),
    "000.00.32.H34": AgencyProfile(36, 0.2203, note_column=True),
    "000.00.34.H34": AgencyProfile(32, 0.2200, note_column=True),
    # Dien Loc until 2020-02-29, then Binh Loc (the merger the report describes).
    "000.02.35.H34": AgencyProfile(24, 0.020, date_only_due=True),
    "000.04.35.H34": AgencyProfile(26, 0.020, date_only_due=True),
}

# Month weights: Tet (Jan/Feb) is quiet, the year end busy.
SEASONALITY = [1.0, 0.62, 1.05, 0.98, 1.0, 1.02, 0.97, 1.0, 1.03, 1.06, 1.08, 1.18]
PROCESSING_DAYS = {"LV01": 20, "LV02": 15, "LV03": 15, "LV04": 3, "LV05": 5, "LV06": 1,
                   "LV07": 10, "LV08": 10, "LV09": 7, "LV10": 10, "LV11": 30, "LV16": 3}
FEES = {"LV01": [0, 50000, 100000], "LV02": [75000], "LV04": [50000, 100000],
        "LV05": [0, 0, 8000], "LV06": [0, 10000], "LV07": [200000, 100000],
        "LV08": [500000], "LV14": [135000], "LV15": [1100000], "LV16": [100000]}
# Defects injected so the quarantine path is exercised; (kind, every how many files).
DEFECT_KINDS = ["invalid_received", "due_before_received", "unknown_channel",
                "missing_code", "finished_before_received"]
DEFECT_EVERY = 7


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _fmt(ts: datetime, date_only: bool = False) -> str:
    return ts.strftime("%d/%m/%Y") if date_only else ts.strftime("%d/%m/%Y %H:%M")


def _active(agency: dict[str, str], first: date, last: date) -> bool:
    """True when the agency existed during part of [first, last]."""
    if agency["valid_from"] and date.fromisoformat(agency["valid_from"]) > last:
        return False
    return not (agency["valid_to"] and date.fromisoformat(agency["valid_to"]) < first)


def _office_hours(ts: datetime, not_before: datetime) -> datetime:
    """Move a time stamp into office hours (7:00-16:59) without going before `not_before`."""
    ts = ts.replace(second=0, microsecond=0)
    if not 7 <= ts.hour <= 16:
        ts = ts.replace(hour=7 + ts.hour % 9)
    return max(ts, not_before + timedelta(minutes=30))


def _dossier(rng: random.Random, proc: dict[str, str], field_name: str, agency: str,
             received: datetime, profile: AgencyProfile, year_end: date) -> dict[str, str]:
    """One dossier row (without its code) following the agency's profile."""
    days = PROCESSING_DAYS.get(proc["field_code"], 10)
    due = datetime.combine(received.date() + timedelta(days=days), datetime.min.time())
    due = due.replace(hour=16, minute=30)
    level = int(proc["service_level"])
    online_share = {2: 0.0, 3: 0.17, 4: 0.36}[level]
    if rng.random() < online_share:
        channel = 2
    elif proc["is_postal_enabled"] == "true" and rng.random() < 0.025:
        channel = 3
    else:
        channel = 1
    fee = rng.choice(FEES.get(proc["field_code"], [0]))
    paid_online = (channel == 2 and fee > 0 and proc["is_online_payment_enabled"] == "true"
                   and rng.random() < 0.45)
    finished: datetime | None = None
    returned: datetime | None = None
    # Dossiers received in the last weeks are more often still open at export time.
    pending_share = 0.45 if (year_end - received.date()).days < 20 else 0.02
    draw = rng.random()
    if draw < pending_share:
        status = rng.choice([2, 4, 4, 4, 5, 6])
    elif draw < pending_share + 0.012:
        status = rng.choice([3, 7, 8])
        finished = received + timedelta(hours=rng.randint(2, 30))
    else:
        if rng.random() < profile.late_rate:
            finished = due + timedelta(days=rng.randint(1, 12), hours=rng.randint(0, 6))
        else:
            span = (due - received).total_seconds()
            finished = received + timedelta(seconds=int(span * rng.uniform(0.25, 0.99)))
        finished = _office_hours(finished, received)
        if rng.random() < 0.9:
            status = 10
            returned = _office_hours(
                finished + timedelta(days=rng.randint(0, 2), minutes=rng.randint(5, 90)), finished)
        else:
            status = 9
    return {
        "Mã TTHC": proc["procedure_code"],
        "Tên TTHC": proc["procedure_name"],
        "Mã lĩnh vực": proc["field_code"],
        "Tên lĩnh vực": field_name,
        "Đơn vị xử lý": agency,
        "Kênh thực hiện": str(channel),
        "Ngày tiếp nhận": _fmt(received),
        "Ngày hẹn trả": _fmt(due, profile.date_only_due),
        "Ngày kết thúc xử lý": _fmt(finished) if finished else "",
        "Ngày trả": _fmt(returned) if returned else "",
        "Trạng thái hồ sơ": str(status),
        "Được thanh toán trực tuyến": "Có" if paid_online else "Không",
        "Phí": str(fee),
    }


def _inject_defect(row: dict[str, str], kind: str) -> None:
    """Break one row in a way a real export does (the loader must quarantine it)."""
    received = datetime.strptime(row["Ngày tiếp nhận"], "%d/%m/%Y %H:%M")
    if kind == "invalid_received":
        row["Ngày tiếp nhận"] = f"31/02/{received.year} {received:%H:%M}"
    elif kind == "due_before_received":
        row["Ngày hẹn trả"] = _fmt(received - timedelta(days=3))
    elif kind == "unknown_channel":
        row["Kênh thực hiện"] = "5"
    elif kind == "missing_code":
        row["Mã hồ sơ"] = ""
    elif kind == "finished_before_received":
        row["Ngày kết thúc xử lý"] = _fmt(received - timedelta(days=1))
        row["Trạng thái hồ sơ"] = "9"
        row["Ngày trả"] = ""


def generate_exports(out_dir: Path, year: int = 2020, seed: int = 2020,
                     months: range = range(1, 13)) -> list[Path]:
    """Write out_dir/<agency>/<yyyy-mm>/hoso_<agency>_<yyyymm>.csv; returns the paths."""
    ref = get_settings().reference_dir
    agencies = {a["agency_code"]: a for a in _read_csv(ref / "agencies.csv")}
    procedures = _read_csv(ref / "procedures.csv")
    fields = {f["field_code"]: f["field_name"] for f in _read_csv(ref / "fields.csv")}
    rng = random.Random(seed)
    year_end = date(year, 12, 31)
    written: list[Path] = []
    file_index = 0
    for code, profile in SAMPLE_AGENCIES.items():
        agency = agencies[code]
        procs = [p for p in procedures
                 if p["level"] in (agency["level"], "multi_level")
                 and (not profile.fields or p["field_code"] in profile.fields)]
        for month in months:
            first = date(year, month, 1)
            last = date(year, month, calendar.monthrange(year, month)[1])
            if not _active(agency, first, last):
                continue
            volume = round(profile.base_volume * SEASONALITY[month - 1] * rng.uniform(0.85, 1.15))
            volume = max(20, min(60, volume))
            workdays = [d for d in range(1, last.day + 1) if date(year, month, d).weekday() < 5]
            stamps = sorted(
                datetime(year, month, rng.choice(workdays), rng.randint(7, 16), rng.randint(0, 59))
                for _ in range(volume)
            )
            rows: list[dict[str, str]] = []
            for seq, received in enumerate(stamps, 1):
                proc = rng.choice(procs)
                row = {"Mã hồ sơ": f"{code}-{received:%y%m%d}-{seq:04d}"}
                row.update(_dossier(rng, proc, fields[proc["field_code"]], code, received,
                                    profile, year_end))
                if profile.note_column:
                    row[NOTE_HEADER] = "Hồ sơ liên thông" if rng.random() < 0.08 else ""
                rows.append(row)
            if file_index % DEFECT_EVERY == DEFECT_EVERY - 1:
                kind = DEFECT_KINDS[(file_index // DEFECT_EVERY) % len(DEFECT_KINDS)]
                _inject_defect(rows[rng.randrange(len(rows))], kind)
            file_index += 1
            target = out_dir / code / f"{year}-{month:02d}" / f"hoso_{code}_{year}{month:02d}.csv"
            target.parent.mkdir(parents=True, exist_ok=True)
            headers = HEADERS + ([NOTE_HEADER] if profile.note_column else [])
            with open(target, "w", encoding="utf-8-sig" if profile.bom else "utf-8",
                      newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=headers, lineterminator="\n")
                writer.writeheader()
                writer.writerows(rows)
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--year", type=int, default=2020)
    parser.add_argument("--seed", type=int, default=2020)
    args = parser.parse_args(argv)
    paths = generate_exports(args.out_dir, year=args.year, seed=args.seed)
    print(f"wrote {len(paths)} files under {args.out_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
