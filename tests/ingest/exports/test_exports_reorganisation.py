"""Exports across the 2025 reorganisation: an agency is looked up among the units valid on
the dossier's received date (seed agencies, built by
dbt_project/scripts/generate_reorganised_agencies.py from the GSO units and their lineage)."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from ingest.exports import load_export
from ingest.settings import REPO_ROOT

SEEDS = REPO_ROOT / "dbt_project" / "seeds"
HEADER = "Mã hồ sơ,Đơn vị xử lý,Mã TTHC,Ngày tiếp nhận,Ngày hẹn trả,Kênh thực hiện,Trạng thái hồ sơ\n"


def _rows(name: str) -> list[dict[str, str]]:
    with (SEEDS / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _export(tmp_path: Path, agency: str, received: str) -> Path:
    path = tmp_path / "export.csv"
    path.write_text(HEADER + f"HS-001,{agency},1.002961,{received} 08:15,{received},Trực tiếp,"
                    "Đang xử lý\n", encoding="utf-8-sig")
    return path


def _successor_of_ninh_thuan_commune() -> dict[str, str]:
    """A Khánh Hòa commune committee from 2025-07-01 whose unit was formed from communes of
    former Ninh Thuận (province 58), read from the seeds, not written here."""
    units = _rows("administrative_units.csv")
    ninh_thuan_districts = {u["unit_code"] for u in units
                            if u["unit_level"] == "district" and u["parent_code"] == "58"}
    ninh_thuan_communes = {u["unit_code"] for u in units
                           if u["unit_level"] == "commune" and u["parent_code"] in ninh_thuan_districts}
    formed = {row["unit_code"] for row in _rows("unit_lineage.csv")
              if row["unit_level"] == "commune" and row["former_unit_code"] in ninh_thuan_communes}
    committee = next(a for a in _rows("agencies.csv")
                     if a["gso_code"] in formed and a["valid_from"] == "2025-07-01")
    return committee


def test_a_new_commune_named_in_august_2025_loads(con: duckdb.DuckDBPyConnection,
                                                  tmp_path: Path) -> None:
    committee = _successor_of_ninh_thuan_commune()
    for agency in (committee["agency_name"], committee["agency_code"]):
        result = load_export(con, _export(tmp_path, agency, "12/08/2025"))
        assert (result.rows_loaded, result.quarantine_reasons) == (1, {}), agency
    assert con.execute("select distinct agency_code from raw.export_dossiers").fetchall() == [
        (committee["agency_code"],)]


@pytest.mark.parametrize("agency", ["UBND huyện Vạn Ninh", "000.00.34.H34"])
def test_a_district_named_in_may_2025_loads(con: duckdb.DuckDBPyConnection, tmp_path: Path,
                                            agency: str) -> None:
    result = load_export(con, _export(tmp_path, agency, "20/05/2025"))
    assert (result.rows_loaded, result.quarantine_reasons) == (1, {})


@pytest.mark.parametrize(("agency", "reason"), [
    # by name: the reference knows the name, of a unit that no longer exists on the date
    ("UBND huyện Vạn Ninh", "named agency not valid on received date: UBND huyện Vạn Ninh"),
    # by code, the code is known but its validity ended on 2025-06-30
    ("000.00.34.H34", "agency not valid on received date"),
])
def test_an_abolished_district_named_in_august_2025_is_quarantined(
        con: duckdb.DuckDBPyConnection, tmp_path: Path, agency: str, reason: str) -> None:
    result = load_export(con, _export(tmp_path, agency, "12/08/2025"))
    assert (result.rows_loaded, result.quarantine_reasons) == (0, {reason: 1})
