"""Exports as people export them: channel, status, service level and flags as labels, in
any spelling the one-stop-shop portals use; an unknown label is named in its row's reason."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ingest.exports import load_export
from ingest.exports.vocab import label_key, vocabularies

HEADER = ("Mã hồ sơ,Mã đơn vị xử lý,Mã TTHC,Ngày tiếp nhận,Ngày hẹn trả,Kênh thực hiện,"
          "Trạng thái hồ sơ,Mức độ,Được thanh toán trực tuyến\n")
# (channel label, status label, service level label, paid flag) -> expected codes
ROWS = [
    (("Trực tiếp", "Đã trả kết quả", "Mức độ 3", "Có"), (1, 10, 3, True)),
    (("TRUC TUYEN", "dang  xu ly", "Toàn trình", "Không"), (2, 4, 4, False)),
    (("Dịch vụ bưu chính công ích", "Chờ bổ sung", "", ""), (3, 5, None, None)),
    (("Qua mạng", "Đã hủy", "Một phần", "x"), (2, 8, 3, True)),
    (("BCCI", "Quá hạn", "MĐ4", "Chưa thanh toán"), (3, 4, 4, False)),
    (("trực tuyến", "Đã giải quyết", "4", "0"), (2, 9, 4, False)),
    (("2", "10", "2", "1"), (2, 10, 2, True)),  # the portal's codes still load
]
BAD = [
    (("Qua Zalo", "Đã trả kết quả", "3", "Có"), "invalid channel: Qua Zalo"),
    (("Trực tiếp", "Đang chờ ký", "3", "Có"), "invalid status: Đang chờ ký"),
    (("Qua Zalo", "Đang xử lý", "3", "Có"), "invalid channel: Qua Zalo"),
    (("Trực tiếp", "Đang xử lý", "Mức độ 5", "Có"), "invalid service level: Mức độ 5"),
    (("Trực tiếp", "Đang xử lý", "3", "Có lẽ"), "invalid paid online flag: Có lẽ"),
]


def _line(number: int, values: tuple[str, ...]) -> str:
    channel, status, level, paid = values
    return (f"HS-{number:03d},000.00.34.H34,1.002961,02/03/2020 08:15,09/03/2020,"
            f"{channel},{status},{level},{paid}\n")


def test_labels_load_as_codes_and_unknown_labels_are_named(con: duckdb.DuckDBPyConnection,
                                                           tmp_path: Path) -> None:
    path = tmp_path / "igate_export.csv"
    lines = [_line(n, values) for n, (values, _) in enumerate(ROWS + BAD, start=1)]
    path.write_text(HEADER + "".join(lines), encoding="utf-8-sig")
    result = load_export(con, path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (12, 7, 5)
    assert result.quarantine_reasons == {
        "invalid channel: Qua Zalo": 2,
        "invalid status: Đang chờ ký": 1,
        "invalid service level: Mức độ 5": 1,
        "invalid paid online flag: Có lẽ": 1,
    }
    loaded = con.execute("select channel, status, service_level, is_paid_online "
                         "from raw.export_dossiers order by source_row").fetchall()
    assert loaded == [codes for _, codes in ROWS]


@pytest.mark.parametrize(("label", "key"), [
    ("Dịch vụ bưu chính công ích", "dich vu buu chinh cong ich"),
    ("  ĐÃ TRẢ  KẾT-QUẢ ", "da tra ket qua"),
    ("Trực tuyến\u0301", "truc tuyen"),  # a stray combining mark
])
def test_label_key_folds_like_the_sql_macro(con: duckdb.DuckDBPyConnection, label: str, key: str) -> None:
    from ingest.exports.loader import MACROS

    con.execute(MACROS)
    assert label_key(label) == key == con.execute("select cchc_label(?)", [label]).fetchone()[0]


def test_every_vocabulary_label_has_one_code() -> None:
    vocab = vocabularies()
    assert set(vocab) == {"channel", "status", "service_level", "flag"}
    assert vocab["channel"]["qua mang"] == "2" and vocab["status"]["da tra ket qua"] == "10"


AGENCIES = """agency_code,agency_name,level,kind,province,district,valid_from,valid_to,successor_code,gso_code
000.00.31.H34,UBND thành phố Nha Trang,district,district_committee,Khanh Hoa,Nha Trang,2016-01-01,2025-06-30,,
000.00.02.H34,Sở Tư pháp,province,department,Khanh Hoa,,2016-01-01,2025-02-28,000.00.92.H34,
000.00.92.H34,Sở Tư pháp,province,department,Khanh Hoa,,2025-03-01,,,
000.03.31.H34,UBND xã Vĩnh Lương,commune,commune_committee,Khanh Hoa,Nha Trang,2016-01-01,,,
000.09.31.H34,UBND xã Vĩnh Lương,commune,commune_committee,Khanh Hoa,Nha Trang,2024-01-01,,,
"""


def test_agencies_by_name_in_their_usual_forms_and_history(con: duckdb.DuckDBPyConnection,
                                                          tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    reference.mkdir()
    (reference / "agencies.csv").write_text(AGENCIES, encoding="utf-8")
    rows = [  # (agency as written, received) -> code, or the reason
        ("UBND thành phố Nha Trang", "02/03/2020", "000.00.31.H34"),
        ("UBND TP. Nha Trang", "03/03/2020", "000.00.31.H34"),
        ("UBND TP Nha Trang", "04/03/2020", "000.00.31.H34"),
        ("Ủy ban nhân dân thành phố Nha Trang", "05/03/2020", "000.00.31.H34"),
        ("So Tu phap", "02/01/2025", "000.00.02.H34"),  # the department before its new code
        ("Sở Tư pháp", "02/04/2025", "000.00.92.H34"),  # and after
        ("UBND xã Vĩnh Lương", "02/03/2020", "000.03.31.H34"),  # one unit of that name then
        ("UBND xã Vĩnh Lương", "02/03/2024", "ambiguous agency: UBND xã Vĩnh Lương"),
        ("UBND TP Nha Trang", "02/08/2025",  # ended
         "named agency not valid on received date: UBND TP Nha Trang"),
        ("Sở Không Có", "02/03/2020", "unknown agency: Sở Không Có"),
        ("000.00.31.H34", "06/03/2020", "000.00.31.H34"),  # codes as before
    ]
    path = tmp_path / "by_name.csv"
    path.write_text(
        "Mã hồ sơ,Đơn vị xử lý,Ngày tiếp nhận,Kênh thực hiện,Trạng thái hồ sơ\n"
        + "".join(f"HS-{n},{agency},{received},Trực tiếp,Đang xử lý\n"
                  for n, (agency, received, _) in enumerate(rows, start=1)),
        encoding="utf-8-sig")
    result = load_export(con, path, reference_dir=reference)
    loaded = [expected for _, _, expected in rows if ":" not in expected]
    assert result.rows_loaded == len(loaded) == 8
    assert result.quarantine_reasons == {
        "ambiguous agency: UBND xã Vĩnh Lương": 1,
        "named agency not valid on received date: UBND TP Nha Trang": 1,
        "unknown agency: Sở Không Có": 1,
    }
    got = con.execute("select agency_code, agency_name from raw.export_dossiers "
                      "order by source_row").fetchall()
    assert [code for code, _ in got] == loaded
    assert got[1] == ("000.00.31.H34", "UBND TP. Nha Trang")  # the name as written is kept


def test_full_procedure_codes_resolve_and_unknown_ones_load_and_are_listed(
        con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    path.write_text(
        "MaHoSo,DonViXuLy,MaTTHC,NgayTiepNhan,KenhThucHien,TrangThaiHoSo\n"
        "P1,000.00.34.H34,1.002961.000.00.00.H34,02/03/2020,1,4\n"  # full national code
        "P2,000.00.34.H34,1.002961,02/03/2020,1,4\n"  # short form
        "P3,000.00.34.H34,2.999999.000.00.00.H34,02/03/2020,1,4\n"  # not in the catalog (yet)
        "P4,000.00.34.H34,2.999999.000.00.00.H34,03/03/2020,1,4\n",
        encoding="utf-8")
    result = load_export(con, path)
    assert (result.rows_loaded, result.rows_quarantined) == (4, 0)
    assert result.unknown_procedures == {"2.999999.000.00.00.H34": 2}
    codes = con.execute("select procedure_code from raw.export_dossiers order by source_row").fetchall()
    assert [c for (c,) in codes] == ["1.002961", "1.002961", "2.999999.000.00.00.H34",
                                     "2.999999.000.00.00.H34"]


def test_quoted_cells_with_line_breaks_load(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text(
        "Mã hồ sơ,Đơn vị xử lý,Ngày tiếp nhận,Kênh thực hiện,Trạng thái hồ sơ,Ghi chú\n"
        'N1,000.00.34.H34,02/03/2020,Trực tiếp,Đang xử lý,"Địa chỉ: thôn 1\nxã Vĩnh Lương"\n'
        "N2,000.00.34.H34,02/03/2020,Trực tiếp,Đang xử lý,ok\n",
        encoding="utf-8-sig")
    result = load_export(con, path)
    assert (result.rows_read, result.rows_loaded) == (2, 2)
    notes = con.execute("select source_row, extra_columns->>'Ghi chú' from raw.export_dossiers "
                        "order by source_row").fetchall()
    assert notes == [(1, "Địa chỉ: thôn 1\nxã Vĩnh Lương"), (2, "ok")]


def test_label_style_exports_load_like_code_style_ones(tmp_path: Path) -> None:
    """`cchc generate-exports --style labels` writes what people export (labels, agency
    names); loaded, it gives the same dossiers as the code-style files of the same seed."""
    from ingest.sample import generate_exports
    from ingest.warehouse import connect

    loaded = {}
    for style in ("codes", "labels"):
        out = tmp_path / style
        paths = generate_exports(out, months="3", scale=0.01, messiness=0.02, seed=7, style=style,
                                 defects=["unknown_channel", "missing_dossier_code", "unknown_agency"])
        with connect(tmp_path / f"{style}.duckdb") as con:
            results = [load_export(con, p) for p in paths]
            loaded[style] = (
                sum(r.rows_loaded for r in results), sum(r.rows_quarantined for r in results),
                con.execute("select dossier_code, agency_code, channel, status "
                            "from raw.export_dossiers order by all").fetchall())
    codes, labels_ = loaded["codes"], loaded["labels"]
    assert codes[0] > 100 and codes[1] > 0
    assert labels_ == codes
    text = next((tmp_path / "labels").rglob("*.csv")).read_text(encoding="utf-8-sig")
    assert "UBND" in text or "Sở" in text  # agencies by name


def test_an_xlsx_that_inflates_beyond_the_limit_is_refused_before_reading(
        con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import zipfile

    from ingest.exports import ExportError

    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<c>0</c>" * (3 << 20))  # 24 MiB of cells
    assert bomb.stat().st_size < 1 << 20  # small on disk
    monkeypatch.setenv("CCHC_XLSX_MAX_INFLATED_MIB", "16")
    with pytest.raises(ExportError, match=r"bomb.xlsx: refused: its cells decompress to 24 MiB"):
        load_export(con, bomb)
    assert con.execute("select count(*) from raw.load_manifest").fetchone() == (0,)


def test_a_row_too_large_to_be_real_is_quarantined_and_the_rest_loads(
        con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    import json

    path = tmp_path / "huge.csv"
    path.write_text(
        "Mã hồ sơ,Đơn vị xử lý,Ngày tiếp nhận,Kênh thực hiện,Trạng thái hồ sơ,Ghi chú\n"
        f'H1,000.00.34.H34,02/03/2020,1,4,"{"x" * (3 << 20)}"\n'  # 3 MiB in one cell
        "H2,000.00.34.H34,02/03/2020,1,4,ok\n",
        encoding="utf-8")
    result = load_export(con, path)
    assert (result.rows_read, result.rows_loaded, result.quarantine_reasons) == (2, 1, {"row too large": 1})
    row, raw = con.execute("select source_row, raw_values from raw.export_quarantine").fetchone()
    kept = json.loads(raw)
    assert row == 1 and kept["row_bytes"] > 3 << 20 and len(kept["beginning"]) == 4000
    assert con.execute("select dossier_code from raw.export_dossiers").fetchall() == [("H2",)]
