"""The aggregated form Bieu II.06a/VPCP/KSTT: CSV and XLSX, title rows, merged headers,
total rows, several sheets, partitions from titles / landing path / overrides."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ingest.exports import load_export

GROUPS = ["STT", "Lĩnh vực giải quyết", "Số hồ sơ nhận giải quyết", None, None, None,
          "Kết quả giải quyết", None, None, None, "Số hồ sơ đang giải quyết", None, None]
MEASURES = [None, None, "Tổng số", "Trong đó: Trực tuyến", "Trực tiếp, dịch vụ bưu chính",
            "Từ kỳ trước", "Tổng số", "Trả trước hạn", "Trả đúng thời hạn", "Trả quá hạn",
            "Tổng số", "Chưa đến hạn", "Quá hạn"]
NUMBERS = [f"({i})" for i in range(1, 14)]
GOOD = [
    [1, "Hộ tịch", 120, 30, 80, 10, 100, 20, 75, 5, 20, 18, 2],
    [2, "Chứng thực", "1.250", 50, 1100, 100, 1200, 300, 890, 10, 50, 50, 0],
    [3, "Quốc tịch", 7, 0, 7, 0, 5, "-", 5, 0, 2, 2, 0],
]
BAD = [
    [4, "Nuôi con nuôi", "mười", 1, 1, 0, 1, 0, 1, 0, 0, 0, 0],  # invalid count
    [5, "Lý lịch tư pháp", 10, 2, 8, 0, -3, 0, 0, 0, 0, 0, 0],  # negative count
]
SUMS = [1377, 80, 1187, 110, 1305, 320, 970, 15, 72, 70, 2]


def _title(agency: str = "SỞ TƯ PHÁP", period: str = "THÁNG 03/2020") -> list[list]:
    return [["BIỂU II.06a/VPCP/KSTT"],
            [f"TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT TTHC TẠI {agency} - {period}"], []]


def _body(total: list[int] | None = SUMS) -> list[list]:
    rows = [GROUPS, MEASURES, NUMBERS, GOOD[0], GOOD[1], [], BAD[0], GOOD[2], BAD[1]]
    if total is not None:
        rows.append([None, "Tổng cộng", *total])
    return rows


def _write_csv(path: Path, rows: list[list]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row] + [""] * (13 - len(row)))
    return path


def _write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        header = next((i for i, r in enumerate(rows, 1) if r[:1] == ["STT"]), None)
        if header is None:
            continue
        for first, last in ((3, 6), (7, 10), (11, 13)):  # merged group headers
            sheet.merge_cells(start_row=header, start_column=first, end_row=header,
                              end_column=last)
        for column in (1, 2):  # STT and the field span both header rows
            sheet.merge_cells(start_row=header, start_column=column, end_row=header + 1,
                              end_column=column)
    book.save(path)
    return path


def _loaded(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "select partition_agency, partition_period, period_start, period_end, field_name, "
        "received_total, received_online, received_in_person_or_post, received_carried_over, "
        "resolved_total, resolved_early, resolved_on_time, resolved_overdue, pending_total, "
        "pending_within_deadline, pending_overdue from raw.export_aggregates "
        "order by source_sheet, source_row").fetchall()


def _expected(agency: str, period: str, start: date, end: date) -> list[tuple]:
    rows = []
    for row in GOOD:
        counts = [int(str(v).replace(".", "")) if v != "-" else None for v in row[2:]]
        rows.append((agency, period, start, end, row[1], *counts))
    return rows


def test_csv_with_title_merged_header_and_agreeing_total(con: duckdb.DuckDBPyConnection,
                                                         tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "bieu.csv", _title() + _body())
    result = load_export(con, path)
    assert result.shape == "aggregate"
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (5, 3, 2)
    assert result.quarantine_reasons == {"invalid count": 1, "negative count": 1}
    assert (result.rows_blank, result.rows_total) == (1, 1)
    assert result.partitions == ["000.00.02.H34/2020-03"]
    assert result.total_row_check == {"bieu.csv": {"status": "agrees", "mismatches": {}}}
    assert _loaded(con) == _expected("000.00.02.H34", "2020-03", date(2020, 3, 1),
                                     date(2020, 3, 31))
    quarantined = con.execute("select source_row, reason, raw_values from raw.export_quarantine "
                              "order by source_row").fetchall()
    assert [(r[0], r[1]) for r in quarantined] == [(3, "invalid count"), (5, "negative count")]
    assert json.loads(quarantined[0][2])["Số hồ sơ nhận giải quyết / Tổng số"] == "mười"
    manifest = con.execute("select source_kind, shape, rows_read, rows_blank, rows_total, "
                           "total_row_check from raw.load_manifest").fetchone()
    assert manifest[:5] == ("aggregates", "aggregate", 5, 1, 1)
    assert json.loads(manifest[5])["bieu.csv"]["status"] == "agrees"


def test_disagreeing_total_row_still_loads_every_row(con: duckdb.DuckDBPyConnection,
                                                     tmp_path: Path) -> None:
    wrong = [*SUMS]
    wrong[0] += 1  # received_total
    wrong[10] -= 2  # pending_overdue
    path = _write_csv(tmp_path / "bieu.csv", _title() + _body(wrong))
    result = load_export(con, path)
    assert (result.rows_loaded, result.rows_quarantined) == (3, 2)
    assert result.total_row_check["bieu.csv"] == {
        "status": "disagrees",
        "mismatches": {"received_total": [1378, 1377], "pending_overdue": [0, 2]},
    }
    manifest = json.loads(con.execute("select total_row_check from raw.load_manifest")
                          .fetchone()[0])
    assert manifest["bieu.csv"]["status"] == "disagrees"


def test_xlsx_several_sheets_each_its_own_partition(con: duckdb.DuckDBPyConnection,
                                                    tmp_path: Path) -> None:
    path = _write_xlsx(tmp_path / "bieu.xlsx", {
        "Tu phap": _title() + _body(),
        "Ghi chu": [["Số liệu tổng hợp từ phần mềm một cửa"]],  # no header: not a table
        "KH-DT Quy I": _title("SỞ KẾ HOẠCH VÀ ĐẦU TƯ", "QUÝ I/2020") + _body(None),
    })
    result = load_export(con, path)
    assert result.shape == "aggregate"
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (10, 6, 4)
    assert result.quarantine_reasons == {"invalid count": 2, "negative count": 2}
    assert result.partitions == ["000.00.02.H34/2020-03", "000.00.03.H34/2020-Q1"]
    assert result.total_row_check == {
        "Tu phap": {"status": "agrees", "mismatches": {}},
        "KH-DT Quy I": {"status": "absent", "mismatches": {}},
    }
    assert (result.rows_blank, result.rows_total) == (2, 1)
    rows = _loaded(con)
    assert rows == (
        _expected("000.00.03.H34", "2020-Q1", date(2020, 1, 1), date(2020, 3, 31))
        + _expected("000.00.02.H34", "2020-03", date(2020, 3, 1), date(2020, 3, 31))
    )  # ordered by sheet name
    sheets = con.execute("select source_sheet, min(source_row), max(source_row) "
                         "from raw.export_quarantine group by 1 order by 1").fetchall()
    assert sheets == [("KH-DT Quy I", 8, 10), ("Tu phap", 3, 5)]


def test_partition_from_landing_path_and_overrides(con: duckdb.DuckDBPyConnection,
                                                   tmp_path: Path) -> None:
    landed = _write_csv(tmp_path / "000.00.06.H34" / "2020-04" / "bieu.csv", _body())
    assert load_export(con, landed).partitions == ["000.00.06.H34/2020-04"]
    titled = _write_csv(tmp_path / "other.csv", _title() + _body())
    result = load_export(con, titled, agency="000.00.05.H34", period="2020-Q2")
    assert result.partitions == ["000.00.05.H34/2020-Q2"]
    bounds = con.execute("select distinct period_start, period_end from raw.export_aggregates "
                         "where partition_period = '2020-Q2'").fetchall()
    assert bounds == [(date(2020, 4, 1), date(2020, 6, 30))]
    nowhere = _write_csv(tmp_path / "x" / "bieu_khong_ro.csv", _body(None))
    result = load_export(con, nowhere)
    assert result.partitions == [] and result.rows_loaded == 0
    assert result.quarantine_reasons == {"missing agency": 3, "invalid count": 1,
                                         "negative count": 1}
    unknown = _write_csv(tmp_path / "000.00.77.H34" / "2020-05" / "bieu.csv", _body(None) + [[]])
    assert load_export(con, unknown).quarantine_reasons == {
        "unknown agency": 3, "invalid count": 1, "negative count": 1}


def test_new_version_replaces_the_partition_same_file_skips(con: duckdb.DuckDBPyConnection,
                                                            tmp_path: Path) -> None:
    first = _write_csv(tmp_path / "v1.csv", _title() + _body())
    old = load_export(con, first)
    assert load_export(con, first).skipped
    fixed = [GROUPS, MEASURES, *GOOD, [4, "Nuôi con nuôi", 1, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0]]
    new = load_export(con, _write_csv(tmp_path / "v2.csv", _title() + fixed))
    assert new.partitions == old.partitions
    assert (new.rows_loaded, new.rows_quarantined) == (4, 0)
    assert con.execute("select count(*), count(distinct file_sha256) from raw.export_aggregates"
                       ).fetchone() == (4, 1)
    assert con.execute("select count(*) from raw.export_quarantine").fetchone() == (0,)
    assert con.execute("select source_file from raw.load_manifest").fetchall() == [
        (str(tmp_path / "v2.csv"),)]


@pytest.mark.parametrize("title", ["UBND TP. NHA TRANG", "ỦY BAN NHÂN DÂN THÀNH PHỐ NHA TRANG",
                                   "UBND Thanh pho Nha Trang"])
def test_title_names_the_agency_in_any_of_its_usual_forms(con: duckdb.DuckDBPyConnection,
                                                          tmp_path: Path, title: str) -> None:
    result = load_export(con, _write_csv(tmp_path / "bieu.csv", _title(title) + _body()))
    assert result.partitions == ["000.00.31.H34/2020-03"]
    assert result.rows_loaded == 3
