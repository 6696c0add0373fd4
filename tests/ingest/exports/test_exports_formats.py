"""Header aliases, encodings, XLSX and unreadable files."""

from __future__ import annotations

import json
import unicodedata
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from ingest.exports import ExportError, load_export
from ingest.exports.__main__ import main as cli_main
from ingest.exports.headers import alias_index, header_key

NAME = "Đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch, xác định lại dân tộc"
FIELD = "Tư pháp - Hộ tịch"
AGENCY_NAME = "UBND huyện Vạn Ninh"
# grave, acute, tilde, hook above, dot below: the tone marks Windows-1258 keeps combining
TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def _encode_cp1258(text: str) -> bytes:
    """Windows-1258 the way Vietnamese software writes it: base letter + combining tone mark."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", ch)
            tones = "".join(c for c in decomposed if c in TONE_MARKS)
            base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in tones))
            out += (base + tones).encode("cp1258")
    return bytes(out)


def _rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "select dossier_code, agency_code, agency_name, procedure_code, procedure_name, "
        "field_name, channel, status, received_at, due_at, finished_at, returned_at, "
        "is_paid_online, fee_amount from raw.export_dossiers order by source_row").fetchall()


EXPECTED = [
    ("HS-001", "000.00.34.H34", AGENCY_NAME, "1.002961", NAME, FIELD, 2, 10,
     datetime(2020, 3, 2, 8, 15), datetime(2020, 3, 9, 23, 59, 59), datetime(2020, 3, 5, 10, 0),
     datetime(2020, 3, 6, 9, 0), True, 1_100_000.0),
    ("HS-002", "000.00.34.H34", AGENCY_NAME, "1.002961", NAME, FIELD, 1, 4,
     datetime(2020, 3, 3, 0, 0), datetime(2020, 3, 10, 16, 30), None, None, False, 12.5),
]


def test_portal_names_and_plain_labels_load_the_same(con: duckdb.DuckDBPyConnection,
                                                     tmp_path: Path) -> None:
    portal = tmp_path / "portal.csv"
    portal.write_text(
        "MaHoSo,DonViXuLy,TenDonViXuLy,MaTTHC,TenTTHC,TenLinhVuc,KenhThucHien,TrangThaiHoSo,"
        "NgayTiepNhan,NgayHenTra,NgayKetThucXuLy,NgayTra,DuocThanhToanTrucTuyen,Phi\n"
        f'HS-001,000.00.34.H34,{AGENCY_NAME},1.002961,"{NAME}",{FIELD},2,10,'
        "02/03/2020 08:15,09/03/2020,05/03/2020 10:00,2020-03-06 09:00:00,1,1.100.000\n"
        f'HS-002,000.00.34.H34,{AGENCY_NAME},1.002961,"{NAME}",{FIELD},1,4,'
        "3/3/2020,10/03/2020 16:30,,,0,\"12,5\"\n",
        encoding="utf-8",
    )
    load_export(con, portal)
    assert _rows(con) == EXPECTED
    # Labels without diacritics, any case and punctuation, ';' separated, title rows above,
    # a column the aliases do not know, and columns in another order.
    plain = tmp_path / "plain.csv"
    plain.write_text(
        "BAO CAO HO SO;;\nThang 03/2020;;\n\n"
        "STT;MA HO SO;ma_tthc;Ten TTHC;Ten linh vuc;Don vi xu ly;Ten don vi xu ly;"
        "kenh thuc hien;Trang thai ho so;NGAY TIEP NHAN;Ngay hen tra;Ngay ket thuc xu ly;"
        "Ngay tra;Duoc thanh toan truc tuyen;Phi\n"
        f"1;HS-001;1.002961;{NAME};{FIELD};000.00.34.H34;{AGENCY_NAME};2;10;02/03/2020 08:15;"
        "09/03/2020;05/03/2020 10:00;06/03/2020 09:00;Có;1.100.000 đ\n"
        f"2;HS-002;1.002961;{NAME};{FIELD};000.00.34.H34;{AGENCY_NAME};1;4;03/03/2020;"
        "10/03/2020 16:30;;;Không;12,5\n",
        encoding="utf-8",
    )
    result = load_export(con, plain)
    assert (result.rows_read, result.rows_loaded) == (2, 2)
    assert [r[:14] for r in _rows(con)] == EXPECTED  # replaced the portal file's partition
    extra = con.execute("select extra_columns from raw.export_dossiers order by 1").fetchall()
    assert [json.loads(e[0]) for e in extra] == [{"STT": "1"}, {"STT": "2"}]


def test_windows_1258_file_reads_as_nfc_vietnamese(con: duckdb.DuckDBPyConnection,
                                                   tmp_path: Path) -> None:
    text = (
        "Mã hồ sơ,Đơn vị xử lý,Tên đơn vị xử lý,Mã TTHC,Tên TTHC,Tên lĩnh vực,Kênh thực hiện,"
        "Trạng thái hồ sơ,Ngày tiếp nhận,Ngày hẹn trả\r\n"
        f'HS-001,000.00.34.H34,{AGENCY_NAME},1.002961,"{NAME}",{FIELD},1,4,'
        "02/03/2020 08:15,09/03/2020 16:30\r\n"
    )
    path = tmp_path / "win1258.csv"
    data = _encode_cp1258(text)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    path.write_bytes(data)
    result = load_export(con, path)
    assert (result.rows_loaded, result.partitions) == (1, ["000.00.34.H34/2020-03"])
    agency, procedure, field = con.execute(
        "select agency_name, procedure_name, field_name from raw.export_dossiers").fetchone()
    assert (agency, procedure, field) == (AGENCY_NAME, NAME, FIELD)
    assert unicodedata.is_normalized("NFC", procedure)


def test_xlsx_with_title_rows_and_excel_dates(con: duckdb.DuckDBPyConnection,
                                              tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["DANH SÁCH HỒ SƠ THÁNG 03/2020"])
    sheet.append([])
    sheet.append(["Mã hồ sơ", "Đơn vị xử lý", "Tên TTHC", "Kênh thực hiện", "Ngày tiếp nhận",
                  "Ngày hẹn trả", "Phí"])
    sheet.append(["HS-1", "000.00.34.H34", NAME, 2, datetime(2020, 3, 2, 8, 15), 43899, 50000])
    sheet.append([None] * 7)
    sheet.append(["HS-2", "000.00.34.H34", NAME, 7, datetime(2020, 3, 3), None, None])
    path = tmp_path / "hoso.xlsx"
    book.save(path)
    result = load_export(con, path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)
    assert result.quarantine_reasons == {"invalid channel: 7": 1}
    row = con.execute("select channel, received_at, due_at, fee_amount "
                      "from raw.export_dossiers").fetchone()
    assert row == (2, datetime(2020, 3, 2, 8, 15), datetime(2020, 3, 9), 50000.0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        ("Báo cáo tổng hợp\nSố liệu,1,2\n".encode(), "no recognisable dossier header"),
        (b"MaHoSo,NgayTiepNhan\n\x81\x8d\x8e\x8f\x90\n", "unknown text encoding"),
    ],
)
def test_unreadable_file_raises_naming_the_file(con: duckdb.DuckDBPyConnection, tmp_path: Path,
                                               content: bytes, message: str) -> None:
    path = tmp_path / "hoso_broken.csv"
    path.write_bytes(content)
    with pytest.raises(ExportError, match=message) as raised:
        load_export(con, path)
    assert str(path) in str(raised.value)
    assert con.execute("select count(*) from raw.load_manifest").fetchone()[0] == 0


def test_rows_with_surplus_values_are_quarantined_not_truncated(
        con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("MaHoSo,DonViXuLy,NgayTiepNhan\nA,000.00.34.H34,02/03/2020\n"
                    "B,000.00.34.H34,02/03/2020,surplus\nC,000.00.34.H34\n", encoding="utf-8")
    result = load_export(con, path)
    assert result.quarantine_reasons == {"more values than headers": 1,
                                         "missing received date": 1}
    raw = con.execute("select raw_values from raw.export_quarantine where source_row = 2"
                      ).fetchone()[0]
    assert json.loads(raw)["_extra_1"] == "surplus"


def test_alias_keys_ignore_diacritics_case_and_punctuation() -> None:
    assert header_key("Ngày tiếp nhận") == header_key("NGAY_TIEP-NHAN") == "ngaytiepnhan"
    assert header_key("Đơn vị xử lý") == "donvixuly"
    index = alias_index()
    assert index["mahoso"] == "dossier_code" and index["donvixuly"] == "agency_code"


def test_cli_prints_json_and_fails_only_on_unreadable(tmp_path: Path, capsys,
                                                      monkeypatch) -> None:
    good = tmp_path / "good.csv"
    good.write_text("MaHoSo,DonViXuLy,NgayTiepNhan\nA,000.00.34.H34,02/03/2020\n",
                    encoding="utf-8")
    warehouse = tmp_path / "cli.duckdb"
    assert cli_main([str(good), "--warehouse", str(warehouse)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out[0]["rows_loaded"] == 1 and out[0]["shape"] == "dossiers"
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert cli_main([str(empty), "--warehouse", str(warehouse)]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)[0]["file"] == str(empty)
    assert "empty" in captured.err
