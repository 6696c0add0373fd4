"""The streaming load path: row numbers without sorting, the memory cap, NFC only where
needed, encoding checked by DuckDB past the first MiB, reference data read once."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import duckdb
import pytest

from ingest.exports import load_export, loader
from ingest.exports.sqlparts import NFC_STABLE_RANGES, SKIP_LIST_MAX
from tests.ingest.exports.test_exports_formats import _encode_cp1258

HEADER = "Mã hồ sơ,Đơn vị xử lý,Mã TTHC,Tên TTHC,Kênh thực hiện,Ngày tiếp nhận,Ghi chú\n"
NAME = "Đăng ký khai sinh có yếu tố nước ngoài"


def _row(code: str, channel: int = 1, name: str = NAME, note: str = "") -> str:
    return f"{code},000.00.34.H34,1.002855,{name},{channel},02/03/2020 08:15,{note}\n"


def _setting(con: duckdb.DuckDBPyConnection, name: str) -> str:
    return con.execute(f"select current_setting('{name}')").fetchone()[0]


@pytest.mark.parametrize("blank_rows", [3, SKIP_LIST_MAX + 5])
def test_row_numbers_skip_blank_and_total_rows_in_file_order(
        con: duckdb.DuckDBPyConnection, tmp_path: Path, blank_rows: int) -> None:
    """Few skipped rows are numbered around by a list lookup, many by a window: the same
    numbers either way."""
    lines = [HEADER]
    expected = {}
    for i in range(1, 41):
        lines.append(_row(f"A{i}", channel=9 if i % 10 == 0 else 1))
        expected[i] = f"A{i}"
        if i % 4 == 0:
            lines.extend([",,,,,,\n"] * (blank_rows // 10 + 1))
    lines.append(",Tổng cộng: 40 hồ sơ,,,,,\n")
    path = tmp_path / "hoso.csv"
    path.write_text("".join(lines), encoding="utf-8")
    result = load_export(con, path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (40, 36, 4)
    assert result.rows_blank == 10 * (blank_rows // 10 + 1) and result.rows_total == 1
    loaded = dict(con.execute("select source_row, dossier_code from raw.export_dossiers"
                              ).fetchall())
    quarantined = dict(con.execute(
        "select source_row, json_extract_string(raw_values, '$.\"Mã hồ sơ\"') "
        "from raw.export_quarantine").fetchall())
    assert {**loaded, **quarantined} == expected
    assert sorted(quarantined) == [10, 20, 30, 40]


def test_nfd_text_is_stored_as_nfc(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", NAME)
    note = unicodedata.normalize("NFD", "Hồ sơ nộp trực tuyến")
    path = tmp_path / "hoso_nfd.csv"
    path.write_text(unicodedata.normalize("NFD", HEADER) + _row("N1", name=nfd, note=note)
                    + _row("N2", channel=7, name=nfd, note=note), encoding="utf-8")
    result = load_export(con, path)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    name, extra = con.execute("select procedure_name, extra_columns from raw.export_dossiers"
                              ).fetchone()
    assert name == NAME and json.loads(extra) == {"Ghi chú": "Hồ sơ nộp trực tuyến"}
    raw = con.execute("select raw_values from raw.export_quarantine").fetchone()[0]
    assert json.loads(raw)["Tên TTHC"] == NAME and unicodedata.is_normalized("NFC", raw)


def test_nfc_stable_ranges_hold_no_character_nfc_could_change() -> None:
    """Text made only of these code points is skipped by NFC normalisation: none of them
    may decompose, combine with a neighbour or be unassigned."""
    second_of_pair = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))  # Hangul V, T
    for code in range(0x110000):
        decomposition = unicodedata.decomposition(chr(code))
        if decomposition and not decomposition.startswith("<") and len(decomposition.split()) == 2:
            second_of_pair.add(int(decomposition.split()[1], 16))
    for first, last in NFC_STABLE_RANGES:
        for code in range(first, last + 1):
            char = chr(code)
            assert unicodedata.category(char) != "Cn", hex(code)
            assert unicodedata.combining(char) == 0, hex(code)
            assert unicodedata.is_normalized("NFC", char), hex(code)
            assert code not in second_of_pair, hex(code)


def test_utf8_head_with_legacy_bytes_later_is_detected_on_the_whole_file(
        con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """The first MiB decides only when DuckDB finds the rest valid UTF-8 too."""
    ascii_rows = "".join(_row(f"A{i}", name="Dang ky khai sinh") for i in range(1, 20_001))
    assert len(ascii_rows) > 1 << 20
    tail = _encode_cp1258(_row("W1", name="Đăng ký kết hôn"))
    path = tmp_path / "hoso_mixed.csv"
    path.write_bytes(b"Ma ho so,Don vi xu ly,Ma TTHC,Ten TTHC,Kenh thuc hien,Ngay tiep nhan,"
                     b"Ghi chu\n" + ascii_rows.encode() + tail)
    result = load_export(con, path)
    assert (result.rows_read, result.rows_loaded) == (20_001, 20_001)
    name = con.execute("select procedure_name from raw.export_dossiers "
                       "where dossier_code = 'W1'").fetchone()[0]
    assert name == "Đăng ký kết hôn"


def test_loads_run_under_the_memory_cap_and_the_settings_come_back(
        con: duckdb.DuckDBPyConnection, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "MEMORY_LIMIT", "64MiB")
    con.execute("set memory_limit = '3GiB'")
    path = tmp_path / "hoso.csv"
    path.write_text(HEADER + "".join(_row(f"B{i}", note="x" * 200) for i in range(30_000)),
                    encoding="utf-8")
    result = load_export(con, path)
    assert (result.rows_read, result.rows_loaded) == (30_000, 30_000)
    assert _setting(con, "memory_limit") == "3.0 GiB"
    # the default is put back exactly (it reads back rounded)
    con.execute("reset memory_limit")
    default = _setting(con, "memory_limit")
    path.write_text(HEADER + _row("C1"), encoding="utf-8")
    load_export(con, path)
    assert _setting(con, "memory_limit") == default


def test_reference_data_is_read_again_when_a_seed_changes(
        con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    agencies = seeds / "agencies.csv"
    agencies.write_text("agency_code,agency_name,valid_from,valid_to\n"
                        "000.00.01.H34,Văn phòng UBND tỉnh,,\n", encoding="utf-8")
    path = tmp_path / "hoso.csv"
    path.write_text(HEADER + _row("R1"), encoding="utf-8")
    first = load_export(con, path, reference_dir=seeds)
    assert first.quarantine_reasons == {"unknown agency: 000.00.34.H34": 1}
    agencies.write_text(agencies.read_text(encoding="utf-8")
                        + "000.00.34.H34,UBND huyện Vạn Ninh,2019-01-01,\n", encoding="utf-8")
    path.write_text(HEADER + _row("R1") + _row("R2"), encoding="utf-8")
    second = load_export(con, path, reference_dir=seeds)
    assert (second.rows_loaded, second.rows_quarantined) == (2, 0)
