"""Bad input fails clearly and loads nothing; loading is idempotent and replaces."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ingest import warehouse
from ingest.reports import ReportError, extract_report, load_report
from ingest.settings import REPO_ROOT

SAMPLE = REPO_ROOT / "data/samples/reports/khanh-hoa/2020/khanh_hoa_2020_cchc_report.txt"


def _bad_files(tmp_path: Path) -> dict[str, Path]:
    files = {
        "empty": tmp_path / "empty.txt",
        "blank": tmp_path / "blank.txt",
        "binary": tmp_path / "binary.txt",
        "not_report": tmp_path / "recipe.txt",
        "unsupported": tmp_path / "report.docx",
    }
    files["empty"].write_bytes(b"")
    files["blank"].write_text("  \n\n \t\n")
    files["binary"].write_bytes(bytes(range(256)) * 20)
    files["not_report"].write_text(
        "Công thức nấu phở bò: 2 kg xương, 500 g thịt, 3 lít nước. Ninh trong 6 giờ.\n",
        encoding="utf-8",
    )
    files["unsupported"].write_bytes(b"PK\x03\x04 not really a docx")
    return files


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("empty", "empty"),
        ("blank", "empty"),
        ("binary", "binary"),
        ("not_report", "not a CCHC report"),
        ("unsupported", "unsupported report type .docx"),
    ],
)
def test_bad_input_raises_clear_error(tmp_path: Path, kind: str, message: str) -> None:
    path = _bad_files(tmp_path)[kind]
    with pytest.raises(ReportError) as raised:
        extract_report(path)
    assert message in str(raised.value)
    assert str(path) in str(raised.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="no such file"):
        extract_report(tmp_path / "nope.txt")


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ingest.reports", *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )


def test_cli_prints_only_json_lines() -> None:
    result = _run_cli(str(SAMPLE))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) >= 100
    assert all(
        list(r) == ["metric", "value", "unit", "qualifiers", "denominator", "line", "text"] for r in records
    )
    assert records[0]["metric"] == "report_number" and records[0]["value"] == "43/BC-UBND"
    assert "figures" in result.stderr


def test_cli_bad_input_exits_non_zero(tmp_path: Path) -> None:
    result = _run_cli(str(_bad_files(tmp_path)["binary"]))
    assert result.returncode != 0
    assert result.stdout == ""
    assert "binary" in result.stderr


def _counts(con) -> dict[str, int]:
    return {
        table: con.execute(f"select count(*) from raw.{table}").fetchone()[0]
        for table in ("report_documents", "report_figures", "report_mentions", "load_manifest")
    }


def test_load_twice_does_not_duplicate(tmp_path: Path) -> None:
    con = warehouse.connect(tmp_path / "w.duckdb")
    first = load_report(con, SAMPLE)
    after_first = _counts(con)
    second = load_report(con, SAMPLE)
    assert _counts(con) == after_first
    assert first["report_id"] == second["report_id"]
    assert first["replaced"] == [] and second["replaced"] == [first["report_id"]]
    assert after_first["report_documents"] == 1 and after_first["load_manifest"] == 1
    assert after_first["report_figures"] == first["figures"] >= 100
    assert after_first["report_mentions"] == first["mentions"]

    doc = con.execute(
        "select province, report_number, issued_date, report_year, legal_references, line_count"
        " from raw.report_documents"
    ).fetchone()
    assert doc[:4] == ("Khanh Hoa", "43/BC-UBND", __import__("datetime").date(2021, 3, 17), 2020)
    assert "Quyet dinh so 3994/QD-UBND ngay 31/12/2019" in json.loads(doc[4])
    manifest = con.execute(
        "select source_kind, partitions, rows_read, rows_loaded, rows_quarantined from raw.load_manifest"
    ).fetchone()
    assert manifest == (
        "report",
        '["Khanh Hoa/2020"]',
        first["figures"] + first["mentions"],
        first["figures"] + first["mentions"],
        0,
    )
    row = con.execute(
        "select value, q_scope, q_sector, qualifiers, line from raw.report_figures"
        " where metric = 'dossiers_online_pct' and q_sector = 'tax'"
    ).fetchone()
    assert row[:3] == (53.74, "vertical", "tax")
    assert json.loads(row[3]) == {"scope": "vertical", "sector": "tax"}
    text_row = con.execute(
        "select value, value_text from raw.report_figures where metric = 'report_issued_date'"
    ).fetchone()
    assert text_row == (None, "2021-03-17")
    levels = con.execute(
        "select q_service_level, value from raw.report_figures"
        " where metric = 'procedures_online_enabled' and q_service_level is not null"
        " order by 1"
    ).fetchall()
    assert levels == [("3", 355.0), ("4", 391.0)]  # codes: 3, 4, full, partial, basic


def test_corrected_version_replaces_old_rows(tmp_path: Path) -> None:
    con = warehouse.connect(tmp_path / "w.duckdb")
    old = load_report(con, SAMPLE)
    corrected = tmp_path / "khanh_hoa_2020_corrected.txt"
    corrected.write_bytes(SAMPLE.read_bytes().replace(b"1a 1.787 thu tuc", b"1a 1.788 thu tuc"))
    new = load_report(con, corrected)
    assert new["report_id"] != old["report_id"]
    assert new["replaced"] == [old["report_id"]]
    counts = _counts(con)
    assert counts["report_documents"] == 1 and counts["load_manifest"] == 1
    assert counts["report_figures"] == new["figures"]
    ids = {r[0] for r in con.execute("select distinct report_id from raw.report_figures").fetchall()}
    assert ids == {new["report_id"]}
    total = con.execute(
        "select value from raw.report_figures where metric = 'procedures_total' and q_level is null"
    ).fetchall()
    assert total == [(1788.0,)]


def test_bad_input_loads_nothing(tmp_path: Path) -> None:
    con = warehouse.connect(tmp_path / "w.duckdb")
    load_report(con, SAMPLE)
    before = _counts(con)
    for path in _bad_files(tmp_path).values():
        with pytest.raises(ReportError):
            load_report(con, path)
    assert _counts(con) == before


def test_report_without_province_is_not_loaded(tmp_path: Path) -> None:
    con = warehouse.connect(tmp_path / "w.duckdb")
    path = tmp_path / "news.txt"
    path.write_text("Trong quý III/2021, đã tiếp nhận 1.200 hồ sơ.\n", encoding="utf-8")
    with pytest.raises(ReportError, match="no province"):
        load_report(con, path)
    assert sum(_counts(con).values()) == 0
