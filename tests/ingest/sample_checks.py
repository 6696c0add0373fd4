"""Independent readers of generated files for the sample tests (csv module only)."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path


def parse(text: str | None, end_of_day: bool = False) -> datetime | None:
    text = (text or "").strip()
    for fmt in ("%d/%m/%Y %H:%M", "%d/%m/%Y"):
        try:
            value = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if fmt == "%d/%m/%Y" and end_of_day:
            value += timedelta(seconds=86399)
        return value
    return None


def dossier_rows(path: Path, encoding: str = "utf-8-sig") -> list[dict[str, str]]:
    """Data rows under the header (title rows above it skipped)."""
    with open(path, encoding=encoding, newline="") as handle:
        rows = list(csv.reader(handle))
    start = next(i for i, row in enumerate(rows) if row and row[0] == "Mã hồ sơ")
    header = rows[start]
    return [dict(zip(header, row, strict=False)) for row in rows[start + 1:]]


def year_figures(root: Path, year: int = 2020) -> dict[str, Counter]:
    """The report's figures recomputed from dossier CSVs, per agency and in total."""
    out: dict[str, Counter] = {"all": Counter()}
    for path in sorted(root.rglob("hoso_*.csv")):
        for row in dossier_rows(path):
            received = parse(row["Ngày tiếp nhận"])
            due = parse(row["Ngày hẹn trả"], end_of_day=True)
            finished = parse(row["Ngày kết thúc xử lý"])
            agency = row["Đơn vị xử lý"]
            counts = out.setdefault(agency, Counter())
            for c in (counts, out["all"]):
                c["received"] += received.year == year
                c["online"] += row["Kênh thực hiện"] == "2"
                c["postal"] += row["Kênh thực hiện"] == "3"
                paid = row["Được thanh toán trực tuyến"] == "Có"
                c["paid_online"] += paid
                c["fees_paid_online"] += int(row["Phí"]) if paid else 0
                if finished and finished.year == year and row["Trạng thái hồ sơ"] not in ("3", "7", "8"):
                    c["resolved"] += 1
                    c["late"] += finished > due
    return out
