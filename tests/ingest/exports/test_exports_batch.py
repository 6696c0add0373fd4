"""Loading many files as one batch gives the same warehouse as loading them one by one."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from ingest.exports import ExportError, ExportFailure, ExportLoadResult, load_export, load_exports
from ingest.exports.encodings import encode
from ingest.exports.sqlparts import ensure_export_columns
from ingest.warehouse import RAW_DDL, connect
from tests.ingest.exports.conftest import SAMPLE_DIR

HEADER = ("Mã hồ sơ,Mã TTHC,Đơn vị xử lý,Kênh thực hiện,Ngày tiếp nhận,Ngày hẹn trả,"
          "Trạng thái hồ sơ\n")


def _row(code: str, day: int, channel: str = "1", agency: str = "000.00.31.H34") -> str:
    return f"{code},1.001234,{agency},{channel},{day:02d}/03/2020 08:00,{day + 3:02d}/03/2020,4\n"


def _state(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """The raw export tables, without load times, in a stable order."""
    return {
        "dossiers": con.execute(
            "select * exclude (source_file) from raw.export_dossiers order by all").fetchall(),
        "quarantine": con.execute(
            "select * exclude (source_file) from raw.export_quarantine order by all").fetchall(),
        "manifest": con.execute(
            "select * exclude (loaded_at, source_file) from raw.load_manifest "
            "order by all").fetchall(),
    }


def _one_by_one(path: Path, files: list[Path]) -> dict[str, list[tuple]]:
    con = connect(path)
    try:
        for file in files:
            load_export(con, file)
        return _state(con)
    finally:
        con.close()


def test_a_month_of_sample_files_loads_as_one_batch_like_one_by_one(tmp_path: Path) -> None:
    files = sorted(SAMPLE_DIR.glob("*/2020-0[34]/*.csv"))
    assert len(files) > 40
    con = connect(tmp_path / "batch.duckdb")
    results = load_exports(con, files)
    batch = _state(con)
    con.close()
    assert [r.file for r in results] == [str(f) for f in files]
    assert all(isinstance(r, ExportLoadResult) and not r.skipped for r in results)
    assert sum(r.rows_loaded for r in results) == len(batch["dossiers"]) > 500
    assert sum(r.rows_quarantined for r in results) == len(batch["quarantine"])
    assert batch == _one_by_one(tmp_path / "single.duckdb", files)


def test_blank_and_total_rows_are_numbered_per_file_in_a_batch(tmp_path: Path) -> None:
    first = tmp_path / "a" / "2020-03" / "first.csv"
    second = tmp_path / "b" / "2020-03" / "second.csv"
    for path in (first, second):
        path.parent.mkdir(parents=True)
    first.write_text(HEADER + _row("A1", 1) + ",,,,,,\n" + _row("A2", 2) + _row("A3", 3, "9")
                     + "Tổng cộng,3,,,,,\n", encoding="utf-8")
    second.write_text(HEADER + _row("B1", 4, agency="000.00.32.H34") + ",,,,,,\n"
                      + _row("B2", 5, "7", agency="000.00.32.H34"), encoding="utf-8")
    con = connect(tmp_path / "w.duckdb")
    results = load_exports(con, [first, second])
    assert [(r.rows_read, r.rows_loaded, r.rows_blank, r.rows_total) for r in results] == [
        (3, 2, 1, 1), (2, 1, 1, 0)]
    assert con.execute("select dossier_code, source_row from raw.export_dossiers "
                       "order by all").fetchall() == [("A1", 1), ("A2", 2), ("B1", 1)]
    assert con.execute("select source_row, reason from raw.export_quarantine "
                       "order by all").fetchall() == [(2, "invalid channel: 7"),
                                                      (3, "invalid channel: 9")]
    state = _state(con)
    con.close()
    assert state == _one_by_one(tmp_path / "single.duckdb", [first, second])


def test_an_unreadable_file_fails_the_batch_or_is_left_out(tmp_path: Path) -> None:
    good = sorted(SAMPLE_DIR.glob("*/2020-03/*.csv"))[:3]
    broken = tmp_path / "broken.csv"
    broken.write_text("no header here\n1,2,3\n", encoding="utf-8")
    con = connect(tmp_path / "w.duckdb")
    with pytest.raises(ExportError, match="broken.csv: no recognisable"):
        load_exports(con, [*good, broken])
    assert con.execute("select count(*) from raw.load_manifest").fetchone() == (0,)
    assert con.execute("select count(*) from raw.export_dossiers").fetchone() == (0,)
    seen: list[Path] = []
    results = load_exports(con, [good[0], broken, *good[1:]],
                           on_error=lambda path, error: seen.append(path))
    assert seen == [broken]
    assert isinstance(results[1], ExportFailure) and "no recognisable" in results[1].error
    assert results[1].to_json()["rows_read"] == 0
    loaded = [r for r in results if isinstance(r, ExportLoadResult)]
    assert len(loaded) == 3
    assert con.execute("select count(*) from raw.export_dossiers").fetchone()[0] == sum(
        r.rows_loaded for r in loaded)
    con.close()


def test_the_same_bytes_twice_in_a_batch_load_once(tmp_path: Path) -> None:
    original = sorted(SAMPLE_DIR.glob("*/2020-03/*.csv"))[0]
    copy = tmp_path / "copy.csv"
    shutil.copy(original, copy)
    con = connect(tmp_path / "w.duckdb")
    first, second = load_exports(con, [original, copy])
    assert not first.skipped and second.skipped and second.file == str(copy)
    assert second.rows_loaded == first.rows_loaded
    assert con.execute("select count(*) from raw.export_dossiers").fetchone()[0] == first.rows_loaded
    again = load_exports(con, [copy])[0]
    assert again.skipped and again.rows_loaded == first.rows_loaded
    con.close()


def test_a_later_file_of_the_batch_wins_a_partition_both_cover(tmp_path: Path) -> None:
    early = tmp_path / "early.csv"
    late = tmp_path / "late.csv"
    early.write_text(HEADER + _row("E1", 1) + _row("E2", 2, agency="000.00.32.H34"),
                     encoding="utf-8")
    late.write_text(HEADER + _row("L1", 3) + _row("L2", 4, "9"), encoding="utf-8")
    con = connect(tmp_path / "w.duckdb")
    load_exports(con, [early, late])
    assert con.execute("select dossier_code from raw.export_dossiers order by 1").fetchall() == [
        ("E2",), ("L1",)]
    assert dict(con.execute("select source_file, partitions from raw.load_manifest").fetchall()) == {
        str(early): '["000.00.32.H34/2020-03"]', str(late): '["000.00.31.H34/2020-03"]'}
    state = _state(con)
    con.close()
    assert state == _one_by_one(tmp_path / "single.duckdb", [early, late])


def test_a_warehouse_with_the_old_keyed_dossier_table_is_rebuilt_once(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    old = duckdb.connect(str(path))
    old.execute("create schema raw")
    columns = "\n".join(line.split("--")[0] for line in RAW_DDL["export_dossiers"].splitlines())
    keyed = columns.rstrip() + ",\n primary key (file_sha256, source_row)"
    old.execute(f"create table raw.export_dossiers ({keyed})")
    old.execute("insert into raw.export_dossiers (file_sha256, source_file, source_row, "
                "partition_agency, partition_month, dossier_code, received_at) "
                "values ('s', 'f.csv', 1, 'a', '2020-03', 'X1', '2020-03-01')")
    old.close()
    con = connect(path)
    assert con.execute("select count(*) from duckdb_constraints() where table_name = "
                       "'export_dossiers' and constraint_type = 'PRIMARY KEY'").fetchone() == (0,)
    assert con.execute("select dossier_code from raw.export_dossiers").fetchall() == [("X1",)]
    ensure_export_columns(con)  # what every load does first: rows of before get their key
    assert con.execute("select dossier_code_key = cast(md5_number('X1') & 9223372036854775807 "
                       "as bigint) from raw.export_dossiers").fetchall() == [(True,)]
    con.close()


def test_empty_lines_in_a_body_are_counted_not_lost(tmp_path: Path) -> None:
    # DuckDB's CSV reader skips empty lines without a trace; the manifest counts them
    quoted = '"Q1",1.001234,000.00.31.H34,1,06/03/2020 08:00,09/03/2020,4\n'.replace(
        '"Q1"', '"Q\n1"')
    crlf = tmp_path / "a" / "crlf.csv"
    plain = tmp_path / "b" / "plain.csv"
    legacy = tmp_path / "c" / "legacy.csv"
    for path in (crlf, plain, legacy):
        path.parent.mkdir(parents=True)
    crlf.write_bytes((HEADER + _row("A1", 1) + "\n" + _row("A2", 2) + "\n\n" + quoted
                      + "\n").replace("\n", "\r\n").encode("utf-8"))
    plain.write_text(HEADER + "\n" + _row("B1", 4, agency="000.00.32.H34") + ",,,,,,\n\n",
                     encoding="utf-8")
    # a legacy-encoded file is read on its own (transcoded first): counted the same way
    legacy.write_bytes(encode(HEADER + _row("C1", 5, agency="000.00.05.H34") + "\n"
                        + _row("C2", 6, agency="000.00.05.H34"), "tcvn3"))
    con = connect(tmp_path / "w.duckdb")
    results = load_exports(con, [crlf, plain, legacy])
    assert [(r.rows_read, r.rows_loaded, r.rows_blank) for r in results] == [
        (3, 3, 4), (1, 1, 3), (2, 2, 1)]
    assert con.execute("select count(*) from raw.export_dossiers").fetchone() == (6,)
    assert con.execute("select sum(rows_blank) from raw.load_manifest").fetchone() == (8,)
    con.close()


def test_duplicates_across_files_count_earlier_files_of_the_batch_and_of_raw(
        tmp_path: Path) -> None:
    loaded = tmp_path / "loaded.csv"
    first = tmp_path / "first.csv"
    second = tmp_path / "second.csv"
    loaded.write_text(HEADER + _row("D1", 1, agency="000.00.05.H34"), encoding="utf-8")
    first.write_text(HEADER + _row("D1", 2) + _row("D2", 3), encoding="utf-8")
    second.write_text(HEADER + _row("D2", 4, agency="000.00.32.H34")
                      + _row("D3", 5, agency="000.00.32.H34"), encoding="utf-8")
    con = connect(tmp_path / "w.duckdb")
    assert load_exports(con, [loaded])[0].duplicates_across_files == 0
    results = load_exports(con, [first, second])
    assert [r.duplicates_across_files for r in results] == [1, 1]  # D1 in raw; D2 in `first`
    state = _state(con)
    con.close()
    assert state == _one_by_one(tmp_path / "single.duckdb", [loaded, first, second])
