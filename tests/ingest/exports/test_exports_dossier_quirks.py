"""Dossier exports: XLSX quirks, reference-data validation, duplicates across files,
idempotent reloads (whole-warehouse hash) and replacement."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from ingest.exports import load_export
from ingest.warehouse import RAW_DDL

HEADER = "Mã hồ sơ,Đơn vị xử lý,Mã TTHC,Kênh thực hiện,Mức độ,Trạng thái hồ sơ,Ngày tiếp nhận\n"


def warehouse_hash(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """A digest of every raw table's rows (order-independent; the load time left out)."""
    digests = {}
    for table in RAW_DDL:
        exclude = " exclude (loaded_at)" if table == "load_manifest" else ""
        rows = con.execute(f"select *{exclude} from raw.{table} order by all").fetchall()
        digests[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digests


def _xlsx(path: Path) -> Path:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    first = book.active
    first.title = "Thang 3"
    first.append(["DANH SÁCH HỒ SƠ TIẾP NHẬN - THÁNG 03/2020"])
    first.append(["Đơn vị: UBND huyện Vạn Ninh"])
    first.append(["STT", "Mã hồ sơ", "Thủ tục", None, "Ngày", None, "Kênh thực hiện"])
    first.append([None, None, "Mã", "Tên", "Tiếp nhận", "Hẹn trả", None])
    first.merge_cells("C3:D3")
    first.merge_cells("E3:F3")
    for column in "ABG":
        first.merge_cells(f"{column}3:{column}4")
    name = "Đăng ký khai sinh có yếu tố nước ngoài"
    first.append([1, "HS-1", "1.002855", name, datetime(2020, 3, 2, 8, 15), 43899, 2])
    first.append([None] * 7)  # blank row
    first.append([2, "HS-2", "1.002855", name, 43893.5, 43900, 1])  # Excel serials
    first.append([3, "HS-3", "1.002855", name, "05/03/2020", "01/03/2020", 1])  # due < received
    first.append([None, "Tổng cộng: 3 hồ sơ", None, None, None, None, None])
    second = book.create_sheet("Thang 4")
    second.append(["Mã hồ sơ", "Mã TTHC", "Ngày tiếp nhận", "Kênh thực hiện"])
    second.append(["HS-4", "1.002855", datetime(2020, 4, 1, 9, 0), 3])
    second.append([])
    second.append(["HS-5", "1.002855", "02/04/2020", 9])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def test_xlsx_title_merged_header_total_blank_serials_and_sheets(
        con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "hoso.xlsx")
    result = load_export(con, path, agency="000.00.34.H34")
    # Blank rows and the total row are skipped, not read: 5 data rows over two sheets.
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (5, 3, 2)
    assert (result.rows_blank, result.rows_total) == (2, 1)
    assert result.quarantine_reasons == {"due before received": 1, "invalid channel: 9": 1}
    assert result.partitions == ["000.00.34.H34/2020-03", "000.00.34.H34/2020-04"]
    rows = con.execute("select source_sheet, source_row, dossier_code, procedure_code, "
                       "received_at, due_at, channel from raw.export_dossiers "
                       "order by source_row").fetchall()
    assert rows == [
        ("Thang 3", 1, "HS-1", "1.002855", datetime(2020, 3, 2, 8, 15), datetime(2020, 3, 9),
         2),
        ("Thang 3", 2, "HS-2", "1.002855", datetime(2020, 3, 3, 12), datetime(2020, 3, 10), 1),
        ("Thang 4", 4, "HS-4", "1.002855", datetime(2020, 4, 1, 9), None, 3),
    ]
    quarantined = con.execute("select source_sheet, source_row, reason "
                              "from raw.export_quarantine order by source_row").fetchall()
    assert quarantined == [("Thang 3", 3, "due before received"),
                           ("Thang 4", 5, "invalid channel: 9")]
    extra = json.loads(con.execute("select extra_columns from raw.export_dossiers "
                                   "where source_row = 1").fetchone()[0])
    assert extra == {"STT": "1"}


def test_reference_data_and_service_level(con: duckdb.DuckDBPyConnection,
                                          tmp_path: Path) -> None:
    path = tmp_path / "hoso.csv"
    path.write_text(
        HEADER
        + "A1,000.00.34.H34,1.002855,1,3,4,02/03/2020\n"  # loaded, level 3
        + "A2,000.00.34.H34,1.002855,2,Mức độ 4,4,02/03/2020\n"  # loaded, level 4
        + "A3,000.00.99.H34,1.002855,1,,4,02/03/2020\n"  # unknown agency
        + "A4,000.02.35.H34,1.002855,1,,4,05/03/2020\n"  # Dien Loc merged away on 29/02
        + "A5,000.02.35.H34,1.002855,1,,4,05/02/2020\n"  # ... still valid in February
        + "A6,000.00.34.H34,9.999999,1,,4,02/03/2020\n"  # unknown procedure
        + "A7,000.00.34.H34,1.002855,1,5,4,02/03/2020\n"  # no service level 5
        + "A8,000.00.34.H34,,1,1,4,02/03/2020\n",  # nor 1 (no procedure code: not checked)
        encoding="utf-8")
    result = load_export(con, path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (8, 4, 4)
    assert result.quarantine_reasons == {
        "unknown agency: 000.00.99.H34": 1, "agency not valid on received date": 1,
        "invalid service level: 1": 1, "invalid service level: 5": 1}
    # A procedure the catalog does not know (yet) is a real dossier: loaded, and listed.
    assert result.unknown_procedures == {"9.999999": 1}
    loaded = con.execute("select dossier_code, service_level from raw.export_dossiers "
                         "order by 1").fetchall()
    assert loaded == [("A1", 3), ("A2", 4), ("A5", None), ("A6", None)]
    # Without reference data nothing is checked against it.
    other = tmp_path / "hoso2.csv"
    other.write_text(HEADER + "B1,000.00.99.H34,9.999999,1,,4,02/04/2020\n", encoding="utf-8")
    assert load_export(con, other, reference_dir=tmp_path / "none").rows_loaded == 1


def test_duplicates_across_files_are_kept_and_reported(con: duckdb.DuckDBPyConnection,
                                                       tmp_path: Path) -> None:
    march = tmp_path / "000.00.34.H34" / "2020-03" / "hoso.csv"
    april = tmp_path / "000.00.34.H34" / "2020-04" / "hoso.csv"
    for path in (march, april):
        path.parent.mkdir(parents=True)
    march.write_text(HEADER + "D1,000.00.34.H34,1.002855,1,,4,30/03/2020\n"
                     "D2,000.00.34.H34,1.002855,1,,4,30/03/2020\n"
                     "D3,000.00.34.H34,1.002855,1,,2,31/03/2020\n", encoding="utf-8")
    # April's export lists D1 and D3 again (re-registered / later status), and a new D4.
    april.write_text(HEADER + "D1,000.00.34.H34,1.002855,1,,10,01/04/2020\n"
                     "D3,000.00.34.H34,1.002855,1,,9,01/04/2020\n"
                     "D4,000.00.34.H34,1.002855,1,,4,02/04/2020\n", encoding="utf-8")
    assert load_export(con, march).duplicates_across_files == 0
    result = load_export(con, april)
    assert result.duplicates_across_files == 2
    assert result.to_json()["duplicates_across_files"] == 2
    assert con.execute("select count(*) from raw.export_dossiers").fetchone() == (6,)
    assert con.execute("select duplicates_across_files from raw.load_manifest "
                       "order by source_file").fetchall() == [(0,), (2,)]


def test_reloading_leaves_the_warehouse_identical_and_new_version_replaces(
        con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    from ingest.exports.encodings import encode

    dossiers = tmp_path / "hoso.csv"
    dossiers.write_text(HEADER + "E1,000.00.34.H34,1.002855,1,,4,02/03/2020\n"
                        "E2,000.00.34.H34,1.002855,7,,4,02/03/2020\n", encoding="utf-8")
    legacy = tmp_path / "hoso_vni.csv"
    legacy.write_bytes(encode("Mã hồ sơ,Đơn vị xử lý,Ngày tiếp nhận,Tên đơn vị xử lý\n"
                              "F1,000.00.31.H34,05/03/2020,UBND thành phố Nha Trang\n", "vni"))
    workbook = _xlsx(tmp_path / "hoso.xlsx")
    files = [dossiers, legacy, workbook]
    first = [load_export(con, p, agency="000.00.32.H34" if p == workbook else None)
             for p in files]
    before = warehouse_hash(con)
    again = [load_export(con, p, agency="000.00.32.H34" if p == workbook else None)
             for p in files]
    assert warehouse_hash(con) == before
    assert [r.skipped for r in first] == [False] * 3 and [r.skipped for r in again] == [True] * 3
    assert [r.to_json() | {"skipped": True} for r in first] == [r.to_json() for r in again]
    # A corrected export of March for Van Ninh replaces the file that covered it.
    corrected = tmp_path / "hoso_v2.csv"
    corrected.write_text(HEADER + "E1,000.00.34.H34,1.002855,1,,10,02/03/2020\n",
                         encoding="utf-8")
    load_export(con, corrected)
    march = con.execute("select source_file, dossier_code, status from raw.export_dossiers "
                        "where partition_agency = '000.00.34.H34' and partition_month = '2020-03'"
                        ).fetchall()
    assert march == [(str(corrected), "E1", 10)]
    manifest = dict(con.execute("select source_file, partitions from raw.load_manifest"
                                ).fetchall())
    assert str(dossiers) not in manifest  # fully replaced: its quarantine went with it
    assert json.loads(manifest[str(workbook)]) == ["000.00.32.H34/2020-03",
                                                   "000.00.32.H34/2020-04"]
    assert con.execute("select count(*) from raw.export_quarantine where source_file = ?",
                       [str(dossiers)]).fetchone() == (0,)
