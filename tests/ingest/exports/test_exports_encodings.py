"""Legacy Vietnamese font encodings (TCVN3, VNI) and Windows-1258: detected by scoring."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import duckdb
import pytest

from ingest.exports import load_export
from ingest.exports.encodings import (
    decode,
    encode,
    encoding_map,
    fix_cell,
    guess_encoding,
    is_vietnamese_syllable,
    repair_legacy_text,
)

BASE = "aăâeêioôơuưy"
TONED = "àảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"
LETTERS = BASE + TONED + "đ"
ALL_LETTERS = LETTERS + LETTERS.upper()
assert len(set(ALL_LETTERS)) == 2 * (12 + 60 + 1)

NAME = "Đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch, xác định lại dân tộc"
AGENCY_NAME = "UBND huyện Vạn Ninh"
FIELD = "Tư pháp - Hộ tịch"
CSV_TEXT = (
    "Mã hồ sơ,Đơn vị xử lý,Tên đơn vị xử lý,Mã TTHC,Tên TTHC,Tên lĩnh vực,Kênh thực hiện,"
    "Trạng thái hồ sơ,Ngày tiếp nhận,Ngày hẹn trả,Ghi chú\r\n"
    f'HS-001,000.00.34.H34,{AGENCY_NAME},1.002961,"{NAME}",{FIELD},1,4,'
    "02/03/2020 08:15,09/03/2020 16:30,Người nộp bổ sung giấy tờ\r\n"
    f'HS-002,000.00.34.H34,{AGENCY_NAME},1.002961,"{NAME}",{FIELD},9,4,'
    "03/03/2020 08:15,09/03/2020 16:30,Hồ sơ trực tiếp\r\n"
)


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
def test_every_vietnamese_letter_round_trips(encoding: str) -> None:
    for letter in ALL_LETTERS:
        data = encode(letter, encoding)
        assert decode(data, encoding) == letter, (encoding, letter, data)
        assert unicodedata.is_normalized("NFC", decode(data, encoding))
    non_ascii = {c for c in ALL_LETTERS if not c.isascii()}
    assert non_ascii <= set(encoding_map(encoding))


def test_known_spellings_of_both_tables() -> None:
    # What the fonts show for these bytes, as people know them ("B¸o c¸o", "Xin chaøo").
    assert encode("Báo cáo Mường Khương", "tcvn3").decode("cp1252") == "B¸o c¸o M\xadêng Kh\xad¬ng"
    assert encode("Xin chào các bạn", "vni").decode("cp1252") == "Xin chaøo caùc baïn"


def test_syllable_rules() -> None:
    for word in ("nghiêng", "Trường", "khuyến", "quốc", "giấy", "hồ", "Đăng", "ươu"):
        assert is_vietnamese_syllable(word), word
    for word in ("hồồ", "chaøo", "xyzá", "ảá", "§¨ng"):
        assert not is_vietnamese_syllable(word), word


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
def test_detection_picks_the_encoding_that_spells_vietnamese(encoding: str) -> None:
    data = encode(CSV_TEXT, encoding)
    assert guess_encoding(data) == encoding
    # Windows-1258 would "decode" VNI without error: detection must not stop there.
    if encoding == "vni":
        data.decode("cp1258")


def test_nothing_vietnamese_is_not_guessed() -> None:
    assert guess_encoding(b"MaHoSo,NgayTiepNhan\n\x81\x8d\x8e\x8f\x90\n") is None
    assert guess_encoding("30°C – 5 × 2".encode("cp1258")) == "cp1258"


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
def test_legacy_csv_loads_as_nfc_vietnamese(con: duckdb.DuckDBPyConnection, tmp_path: Path,
                                            encoding: str) -> None:
    path = tmp_path / f"hoso_{encoding}.csv"
    path.write_bytes(encode(CSV_TEXT, encoding))
    result = load_export(con, path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)
    assert result.quarantine_reasons == {"invalid channel: 9": 1}
    assert result.partitions == ["000.00.34.H34/2020-03"]
    agency, procedure, field, extra = con.execute(
        "select agency_name, procedure_name, field_name, extra_columns "
        "from raw.export_dossiers").fetchone()
    assert (agency, procedure, field) == (AGENCY_NAME, NAME, FIELD)
    assert extra == '{"Ghi chú":"Người nộp bổ sung giấy tờ"}'
    assert unicodedata.is_normalized("NFC", procedure)
    raw = con.execute("select raw_values from raw.export_quarantine").fetchone()[0]
    assert "Hồ sơ trực tiếp" in raw and unicodedata.is_normalized("NFC", raw)


def test_legacy_font_text_in_xlsx_cells_is_converted(con: duckdb.DuckDBPyConnection,
                                                     tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    as_font = lambda text: encode(text, "tcvn3").decode("cp1252")  # noqa: E731
    sheet.append([as_font("DANH SÁCH HỒ SƠ THÁNG 03/2020")])
    sheet.append([as_font(h) for h in ("Mã hồ sơ", "Đơn vị xử lý", "Tên TTHC",
                                       "Ngày tiếp nhận")])
    sheet.append(["HS-1", "000.00.34.H34", as_font(NAME), "02/03/2020"])
    path = tmp_path / "hoso_vntime.xlsx"
    book.save(path)
    result = load_export(con, path)
    assert result.rows_loaded == 1
    assert con.execute("select procedure_name from raw.export_dossiers").fetchone()[0] == NAME
    # Real Unicode text is left alone.
    assert repair_legacy_text([NAME, AGENCY_NAME]) is None
    assert fix_cell(as_font(AGENCY_NAME), "tcvn3") == AGENCY_NAME
