"""`cchc load-export ... --json`: stdout carries only JSON, exit 1 only for unreadable files."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

CCHC = str(Path(sys.executable).parent / "cchc")
KEYS = {"file", "shape", "rows_read", "rows_loaded", "rows_quarantined", "quarantine_reasons"}


def cchc(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CCHC, *args], capture_output=True, text=True, timeout=300)


def _files(tmp_path: Path) -> tuple[Path, Path, Path]:
    dossiers = tmp_path / "hoso.csv"
    dossiers.write_text(
        "Mã hồ sơ,Đơn vị xử lý,Mã TTHC,Kênh thực hiện,Ngày tiếp nhận\n"
        "C1,000.00.34.H34,1.002855,1,02/03/2020\n"
        "C2,000.00.34.H34,1.002855,5,02/03/2020\n"
        "C3,000.00.34.H34,1.002855,1,31/02/2020\n", encoding="utf-8")
    aggregate = tmp_path / "000.00.02.H34" / "2020-03" / "bieu.csv"
    aggregate.parent.mkdir(parents=True)
    with open(aggregate, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Lĩnh vực", "TongTiepNhan", "TiepNhanTrucTuyen", "TongDaGiaiQuyet",
                         "TraDungHan", "TraQuaHan"])
        writer.writerow(["Hộ tịch", 10, 2, 8, 7, 1])
        writer.writerow(["Chứng thực", 5, "x", 5, 5, 0])
    broken = tmp_path / "broken.csv"
    broken.write_text("Báo cáo tổng hợp\nSố liệu,1,2\n", encoding="utf-8")
    return dossiers, aggregate, broken


def test_json_lists_one_object_per_file_and_exit_zero(tmp_path: Path) -> None:
    dossiers, aggregate, _ = _files(tmp_path)
    warehouse = tmp_path / "w.duckdb"
    proc = cchc("load-export", str(dossiers), str(aggregate), "--warehouse", str(warehouse),
                "--json")
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)  # stdout is exactly the JSON
    assert [KEYS <= set(r) for r in results] == [True, True]
    first, second = results
    assert (first["file"], first["shape"]) == (str(dossiers), "dossiers")
    assert (first["rows_read"], first["rows_loaded"], first["rows_quarantined"]) == (3, 1, 2)
    assert first["quarantine_reasons"] == {"invalid channel: 5": 1, "invalid received date": 1}
    assert first["duplicates_across_files"] == 0
    assert second["shape"] == "aggregate" and second["partitions"] == ["000.00.02.H34/2020-03"]
    assert (second["rows_read"], second["rows_loaded"]) == (2, 1)
    assert second["quarantine_reasons"] == {"invalid count": 1}
    assert "hoso.csv" in proc.stderr  # progress goes to stderr


def test_unreadable_file_exits_one_and_the_others_still_load(tmp_path: Path) -> None:
    dossiers, aggregate, broken = _files(tmp_path)
    warehouse = tmp_path / "w.duckdb"
    proc = cchc("load-export", str(dossiers), str(broken), str(aggregate),
                "--warehouse", str(warehouse), "--json")
    assert proc.returncode == 1
    results = json.loads(proc.stdout)
    assert [r["file"] for r in results] == [str(dossiers), str(broken), str(aggregate)]
    assert "no recognisable dossier header" in results[1]["error"]
    assert results[1]["rows_read"] == 0 and results[1]["shape"] is None
    assert results[2]["rows_loaded"] == 1
    assert str(broken) in proc.stderr and "run load-export on it again" in proc.stderr
    # Quarantined rows are not a failure: loading the readable ones again exits 0.
    again = cchc("load-export", str(dossiers), "--warehouse", str(warehouse), "--json")
    assert again.returncode == 0 and json.loads(again.stdout)[0]["skipped"] is True


def test_without_json_nothing_on_stdout_and_bad_period_is_a_usage_error(tmp_path: Path) -> None:
    dossiers, _, _ = _files(tmp_path)
    warehouse = tmp_path / "w.duckdb"
    proc = cchc("load-export", str(dossiers), "--warehouse", str(warehouse))
    assert proc.returncode == 0 and proc.stdout == ""
    assert "1 loaded, 2 quarantined" in proc.stderr
    bad = cchc("load-export", str(dossiers), "--warehouse", str(warehouse), "--period", "3/2020")
    assert bad.returncode == 2 and bad.stdout == "" and "yyyy-mm" in bad.stderr
