"""Legacy Excel 97-2003 (.xls) exports, read with calamine like XLSX: title rows, a header
over two merged rows, date cells and Excel serials, blank and total rows, several sheets,
and a sheet typed in a TCVN3 font. The fixtures are real BIFF8 files written by xlwt
(fixtures/make_xls_fixtures.py makes them again)."""

from __future__ import annotations

import json
import shutil
import unicodedata
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from ingest.exports import ExportError, landed_exports, load_export

FIXTURES = Path(__file__).with_name("fixtures")
NAME = "Đăng ký khai sinh có yếu tố nước ngoài"


def test_xls_dossier_export_loads_every_sheet_with_its_quirks(
        con: duckdb.DuckDBPyConnection) -> None:
    result = load_export(con, FIXTURES / "hoso_2020.xls", agency="000.00.34.H34")
    assert result.shape == "dossiers"
    # 3 + 2 + 1 data rows over three sheets ("Ghi chu" has no table); 2 blank, 1 total row.
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (6, 4, 2)
    assert (result.rows_blank, result.rows_total) == (2, 1)
    assert result.quarantine_reasons == {"due before received": 1, "invalid channel: 9": 1}
    assert result.partitions == ["000.00.34.H34/2020-03", "000.00.34.H34/2020-04"]
    rows = con.execute(
        "select source_sheet, source_row, dossier_code, procedure_code, procedure_name, "
        "received_at, due_at, channel from raw.export_dossiers order by source_row").fetchall()
    assert rows == [
        # a date cell with a time; the due date an Excel serial number (43899 = 2020-03-09)
        ("Thang 3", 1, "HS-1", "1.002855", NAME, datetime(2020, 3, 2, 8, 15),
         datetime(2020, 3, 9), 2),
        # the received date a serial with a time (.5 = noon); the due date a date cell
        ("Thang 3", 2, "HS-2", "1.002855", NAME, datetime(2020, 3, 3, 12),
         datetime(2020, 3, 10), 1),
        ("Thang 4", 4, "HS-4", "1.002855", None, datetime(2020, 4, 1, 9), None, 3),
        # the .VnTime sheet: header and text converted from TCVN3
        ("VnTime", 6, "HS-6", "1.002855", "Cấp bản sao trích lục hộ tịch",
         datetime(2020, 4, 15, 10), None, 1),
    ]
    assert all(unicodedata.is_normalized("NFC", r[4]) for r in rows if r[4])
    quarantined = con.execute("select source_sheet, source_row, reason, raw_values "
                              "from raw.export_quarantine order by source_row").fetchall()
    assert [q[:3] for q in quarantined] == [("Thang 3", 3, "due before received"),
                                            ("Thang 4", 5, "invalid channel: 9")]
    assert json.loads(quarantined[0][3]) == {
        "STT": "3", "Mã hồ sơ": "HS-3", "Mã Thủ tục": "1.002855", "Tên Thủ tục": NAME,
        "Ngày Tiếp nhận": "05/03/2020", "Ngày Hẹn trả": "01/03/2020", "Kênh thực hiện": "1"}
    extra = json.loads(con.execute("select extra_columns from raw.export_dossiers "
                                   "where source_row = 1").fetchone()[0])
    assert extra == {"STT": "1"}
    assert load_export(con, FIXTURES / "hoso_2020.xls", agency="000.00.34.H34").skipped


def test_xls_aggregate_form_each_sheet_its_own_partition(
        con: duckdb.DuckDBPyConnection) -> None:
    result = load_export(con, FIXTURES / "bieu_ii06a_2020.xls")
    assert result.shape == "aggregate"
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (10, 6, 4)
    assert result.quarantine_reasons == {"invalid count": 2, "negative count": 2}
    assert (result.rows_blank, result.rows_total) == (2, 1)
    # agency and period from each sheet's title rows
    assert result.partitions == ["000.00.02.H34/2020-03", "000.00.03.H34/2020-Q1"]
    assert result.total_row_check == {
        "Tu phap": {"status": "agrees", "mismatches": {}},
        "KH-DT Quy I": {"status": "absent", "mismatches": {}},
    }
    rows = con.execute(
        "select source_sheet, partition_period, period_start, period_end, field_name, "
        "received_total, received_online, resolved_early, pending_overdue "
        "from raw.export_aggregates order by source_row").fetchall()
    for sheet, period, start, end in (("Tu phap", "2020-03", date(2020, 3, 1), date(2020, 3, 31)),
                                      ("KH-DT Quy I", "2020-Q1", date(2020, 1, 1),
                                       date(2020, 3, 31))):
        assert [r for r in rows if r[0] == sheet] == [
            (sheet, period, start, end, "Hộ tịch", 120, 30, 20, 2),
            (sheet, period, start, end, "Chứng thực", 1250, 50, 300, 0),
            (sheet, period, start, end, "Quốc tịch", 7, 0, None, 0),
        ]
    quarantined = con.execute("select source_sheet, source_row, reason, raw_values "
                              "from raw.export_quarantine order by source_row").fetchall()
    assert [q[:3] for q in quarantined] == [
        ("Tu phap", 3, "invalid count"), ("Tu phap", 5, "negative count"),
        ("KH-DT Quy I", 8, "invalid count"), ("KH-DT Quy I", 10, "negative count")]
    assert json.loads(quarantined[0][3])["Lĩnh vực giải quyết"] == "Nuôi con nuôi"


def test_landed_xls_files_are_listed(tmp_path: Path) -> None:
    folder = tmp_path / "000.00.34.H34" / "2020-03"
    folder.mkdir(parents=True)
    shutil.copy(FIXTURES / "hoso_2020.xls", folder / "hoso.xls")
    (folder / "notes.txt").write_text("not an export", encoding="utf-8")
    assert landed_exports(tmp_path, "2020-03") == [folder / "hoso.xls"]


def test_unreadable_workbook_raises_naming_the_file(con: duckdb.DuckDBPyConnection,
                                                    tmp_path: Path) -> None:
    for name in ("hoso.xls", "hoso.xlsx"):
        path = tmp_path / name
        path.write_bytes(b"\xd0\xcf\x11\xe0 not really a workbook " * 20)
        with pytest.raises(ExportError, match=f"unreadable {path.suffix[1:].upper()}") as raised:
            load_export(con, path)
        assert str(path) in str(raised.value)
    assert con.execute("select count(*) from raw.load_manifest").fetchone()[0] == 0
