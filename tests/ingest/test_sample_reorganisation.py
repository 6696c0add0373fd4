"""`cchc generate-exports --year 2025 / 2026`: every file holds the agencies valid on each
day (seed agencies): district committees until 2025-06-30, the province's communes in one
portal export from 2025-07-01, merged departments from 2025-03-01."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from ingest.sample import build_plan, generate_exports
from ingest.settings import REPO_ROOT
from tests.ingest.sample_checks import dossier_rows, parse

SEEDS = REPO_ROOT / "dbt_project" / "seeds"


def _agencies() -> dict[str, list[dict[str, str]]]:
    versions: dict[str, list[dict[str, str]]] = {}
    with (SEEDS / "agencies.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            versions.setdefault(row["agency_code"], []).append(row)
    return versions


def _valid_on(versions: list[dict[str, str]], day: date) -> bool:
    return any((not v["valid_from"] or date.fromisoformat(v["valid_from"]) <= day)
               and (not v["valid_to"] or day <= date.fromisoformat(v["valid_to"]))
               for v in versions)


@pytest.fixture(scope="module")
def exports_2025(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("exports_2025")
    generate_exports(out, year=2025, seed=2025, months="6-7", scale=0.01)
    return out


def test_every_row_names_an_agency_valid_on_its_received_date(exports_2025: Path) -> None:
    agencies = _agencies()
    rows = [row for path in sorted(exports_2025.rglob("hoso_*.csv")) for row in dossier_rows(path)]
    assert len(rows) > 500
    invalid = [(row["Đơn vị xử lý"], row["Ngày tiếp nhận"]) for row in rows
               if not _valid_on(agencies[row["Đơn vị xử lý"]], parse(row["Ngày tiếp nhận"]).date())]
    assert invalid == []


def test_districts_until_june_and_one_provincial_commune_portal_from_july(exports_2025: Path) -> None:
    june = {p.parent.parent.name for p in exports_2025.glob("*/2025-06/hoso_*.csv")}
    july = {p.parent.parent.name for p in exports_2025.glob("*/2025-07/hoso_*.csv")}
    assert {"000.00.34.H34", "cap-xa-000.00.34.H34"} <= june
    assert "cap-xa-H34" not in june
    assert not any(folder.startswith("000.00.3") or folder.startswith("cap-xa-000") for folder in july)
    assert "cap-xa-H34" in july
    portal = {row["Đơn vị xử lý"] for path in exports_2025.glob("cap-xa-H34/2025-07/hoso_*.csv")
              for row in dossier_rows(path)}
    assert len(portal) > 30 and all(code.split(".")[2] == "60" for code in portal)
    # merged departments: the absorbed one no longer files, its successor does
    assert "000.00.13.H34" not in june and "000.00.22.H34" in june


def test_volume_follows_the_province_served() -> None:
    totals = {year: build_plan(year, 1.0).totals()["resolved"] for year in (2020, 2025, 2026)}
    assert totals[2020] == 538531  # the report's figure, exactly
    # from 2025-07-01 the province also serves former Ninh Thuận: half a year, then a year
    assert totals[2020] < totals[2025] < totals[2026]
    plan = build_plan(2026, 1.0)
    districts = [a.index for a in plan.agencies if a.kind == "district_committee"]
    assert districts and plan.received[districts].sum() == 0
