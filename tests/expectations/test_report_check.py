"""`cchc check-report`'s fast path: the gate's report checks on one extraction, in memory.

Same definitions as the GX suites (expectations/report_consistency.py), so on the sample
the fast path and the gate must name the same checks and give the same outcomes; the
rules themselves are tested both ways on small made-up reports (no dbt, no GX: fast).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from expectations import report_consistency as rc
from expectations.report_check import (
    CHANGE_COLUMNS,
    FIGURE_COLUMNS,
    MART_ONLY_COLUMNS,
    check_extraction,
    check_report_file,
)
from ingest import warehouse
from ingest.reports import load_report
from ingest.reports.model import Figure, ReportExtraction
from ingest.settings import Settings
from tests.conftest import REPO_ROOT, SAMPLE_REPORT
from tests.expectations.test_report_consistency import build_report_models

HEAVY_PACKAGES = {"airflow", "great_expectations", "dbt", "pandas"}


def _figure(metric: str, value: float, unit: str = "count", line: int = 1, decimals: int | None = None,
            denominator: float | None = None, **qualifiers: str) -> Figure:
    return Figure(metric=metric, value=value, unit=unit, qualifiers=qualifiers,
                  denominator=denominator, line=line, text="one sentence", decimals=decimals)


def checked(*figures: Figure, province: str | None = "Khanh Hoa") -> dict[str, dict]:
    """The fast path on a made-up report: check name -> result."""
    numbered = [Figure(**{**f.__dict__, "line": line}) for line, f in enumerate(figures, start=10)]
    extraction = ReportExtraction(
        report_id="r1", source_file="made-up.txt",
        document={"province": province, "report_year": 2024}, figures=numbered, mentions=[])
    result = check_extraction(extraction, "made-up.txt")
    return {check["rule"]: check for check in result["checks"]}


def failed(results: dict[str, dict]) -> dict[str, list[str]]:
    return {name: check["metrics"] for name, check in results.items() if not check["success"]}


def rows(check: dict) -> list[dict]:
    return json.loads(check["observed"])["details"]["unexpected_rows"]


# --------------------------------------------------------------- the fast path = the gate


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict]:
    """The sample built by dbt and checked by the GX gate (both report suites)."""
    from expectations.runner import run_checks
    from expectations.suites import fct_report_changes, fct_report_figures

    tmp = tmp_path_factory.mktemp("report-check")
    settings = Settings(warehouse=tmp / "gate.duckdb", gx_dir=tmp / "gx")
    with warehouse.connect(settings.warehouse) as con:
        load_report(con, SAMPLE_REPORT)
    build_report_models(settings, tmp, "fct_report_figures", "fct_report_changes")
    summary = run_checks(settings, run_id="test", suites=(fct_report_figures, fct_report_changes),
                         store=False)
    return settings, {r.check: r for r in summary.results}


def test_fast_path_gives_the_gates_checks_and_outcomes_on_the_sample(gate: tuple[Settings, dict]) -> None:
    _, by_gate = gate
    fast = check_report_file(SAMPLE_REPORT)
    assert fast["report"] == str(SAMPLE_REPORT)
    # The key checks are dbt tests in the warehouse; check-report, which runs no dbt, runs
    # them itself. Every other check is the gate's, with the gate's outcome.
    keys = {c.name for c in (*rc.figure_checks(), *rc.change_checks()) if isinstance(c, rc.ColumnCheck)}
    assert keys == {"figure_id_unique", "metric_not_null"}
    assert [c["rule"] for c in fast["checks"] if c["rule"] not in keys] == list(by_gate)
    assert all(c["success"] for c in fast["checks"] if c["rule"] in keys)
    for check in (c for c in fast["checks"] if c["rule"] not in keys):
        gx = by_gate[check["rule"]]
        assert (check["severity"], check["success"], check["metrics"], check["expected"],
                check["message"], check["observed"]) == (
            gx.severity, gx.success, json.loads(gx.metrics), gx.expected, gx.why, gx.observed
        ), check["rule"]
    levels = next(c for c in fast["checks"] if c["rule"] == "levels_sum_to_total")
    assert levels["metrics"] == ["iso_agencies", "iso_systems"]


def test_fast_tables_have_the_marts_columns(gate: tuple[Settings, dict]) -> None:
    settings, _ = gate
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        for table, columns in (("fct_report_figures", FIGURE_COLUMNS),
                               ("fct_report_changes", CHANGE_COLUMNS)):
            built = con.execute(
                "select column_name from information_schema.columns where table_schema = 'marts' "
                "and table_name = ? order by ordinal_position", [table]).fetchall()
            assert [name for (name,) in built if name not in MART_ONLY_COLUMNS] == [
                name for name, _ in columns], table


def test_check_report_imports_no_gx_dbt_airflow_or_pandas() -> None:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ingest.cli", "check-report", str(SAMPLE_REPORT),
         "--json"], capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert len(json.loads(proc.stdout)["checks"]) == len(rc.figure_checks()) + len(rc.change_checks())
    imported = {line.rpartition("|")[2].strip() for line in proc.stderr.splitlines()
                if line.startswith("import time:")}
    heavy = sorted(name for name in imported if name.split(".")[0] in HEAVY_PACKAGES)
    assert not heavy, f"imported on the check-report path: {heavy[:20]}"


def test_a_report_without_a_province_is_still_checked() -> None:
    results = checked(
        _figure("procedures_total", 10),
        _figure("procedures_total", 4, level="province"),
        _figure("procedures_total", 3, level="district"),
        _figure("procedures_total", 2, level="commune"),
        province=None,
    )
    assert failed(results) == {"levels_sum_to_total": ["procedures_total"]}
    # The previous-report check runs on this report alone: nothing to compare with.
    assert results["change_agrees_with_previous_report"]["success"] is True


# --------------------------------------------------------------- N-part complements


RESOLVED = [
    _figure("dossiers_resolved", 100),
    _figure("dossiers_early", 50),
    _figure("dossiers_on_due_date", 40),
    _figure("dossiers_late", 10),
]


def test_early_on_due_date_and_late_add_up_to_resolved() -> None:
    results = checked(*RESOLVED, _figure("dossiers_on_time", 90),
                      _figure("dossiers_early_pct", 50.0, unit="percent", decimals=0),
                      _figure("dossiers_on_due_date_pct", 40.0, unit="percent", decimals=0))
    assert failed(results) == {}


def test_three_parts_not_adding_up_to_their_whole_fail_with_all_four_figures() -> None:
    results = checked(*RESOLVED[:3], _figure("dossiers_late", 11))
    assert failed(results) == {"complements_add_up": [
        "dossiers_early", "dossiers_late", "dossiers_on_due_date", "dossiers_resolved"]}
    (row,) = rows(results["complements_add_up"])
    assert (row["metrics"], row["expected"], row["observed"], row["source_lines"]) == (
        "dossiers_early,dossiers_on_due_date,dossiers_late,dossiers_resolved", 100, 101, "10,11,12,13")


def test_early_and_on_due_date_must_add_up_to_on_time() -> None:
    results = checked(_figure("dossiers_on_time", 91), _figure("dossiers_early", 50),
                      _figure("dossiers_on_due_date", 40))
    assert failed(results) == {"complements_add_up": [
        "dossiers_early", "dossiers_on_due_date", "dossiers_on_time"]}


def test_complement_needs_every_part_printed() -> None:
    # No "dung han" column: the three-part rule does not apply (and is no failure).
    assert failed(checked(_figure("dossiers_resolved", 100), _figure("dossiers_early", 50),
                          _figure("dossiers_late", 10))) == {}


def test_early_pct_is_over_resolved() -> None:
    results = checked(_figure("dossiers_resolved", 200), _figure("dossiers_early", 50),
                      _figure("dossiers_early_pct", 50.0, unit="percent", decimals=0))
    assert failed(results) == {"percent_matches_counts": [
        "dossiers_early", "dossiers_early_pct", "dossiers_resolved"]}


# --------------------------------------------------------------- new qualifiers


def test_a_figure_about_another_province_is_not_compared_with_the_own_figures() -> None:
    own = [_figure("dossiers_resolved", 100), _figure("dossiers_on_time", 90),
           _figure("dossiers_late", 10),
           _figure("dossiers_on_time_pct", 90.0, unit="percent", decimals=0)]
    # "Quang Ninh dat 99,5%": about another province, a different key, no finding.
    quang_ninh = [_figure("dossiers_on_time_pct", 99.5, unit="percent", decimals=1, province="Quang Ninh"),
                  _figure("dossiers_resolved", 500, province="Quang Ninh")]
    assert failed(checked(*own, *quang_ninh)) == {}
    # The same two figures without the qualifier contradict the report's own counts.
    unqualified = [_figure("dossiers_on_time_pct", 99.5, unit="percent", decimals=1)]
    assert "percent_matches_counts" in failed(checked(*own, *unqualified))


def test_ministry_and_national_average_figures_stand_apart() -> None:
    results = checked(
        _figure("par_index_score", 85.0, unit="percent", decimals=2),
        _figure("par_index_score", 83.0, unit="percent", decimals=2, stat="average"),
        _figure("par_index_score", 91.0, unit="percent", decimals=2, ministry="Bo Tu phap"),
        _figure("procedures_total", 10),
        _figure("procedures_total", 10, level="province"),
        _figure("procedures_total", 70, level="province", province="Quang Ninh"),
    )
    assert failed(results) == {}


@pytest.mark.parametrize(
    ("levels", "fails"),
    [
        ({"3": 355, "4": 391}, False),
        ({"3": 355, "4": 392}, True),
        ({"partial": 355, "full": 391}, False),
        ({"partial": 355, "full": 390}, True),
        # "muc do 1, 2" is no part of the online-enabled total
        ({"3": 355, "4": 391, "basic": 1000}, False),
        # a lone level is no partition
        ({"basic": 746}, False),
    ],
)
def test_service_levels_are_codes_with_two_partitions(levels: dict[str, int], fails: bool) -> None:
    results = checked(_figure("procedures_online_enabled", 746),
                      *(_figure("procedures_online_enabled", v, service_level=k) for k, v in levels.items()))
    expected = {"service_levels_sum_to_total": ["procedures_online_enabled"]} if fails else {}
    assert failed(results) == expected


def test_service_level_codes_in_the_warehouse_are_text(tmp_path: Path) -> None:
    """raw.report_figures.q_service_level is varchar; an older warehouse is migrated."""
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw")
        old_ddl = (warehouse.RAW_DDL["report_figures"]
                   .replace("q_service_level    varchar", "q_service_level    integer"))
        for added in ("q_province", "q_ministry", "q_stat"):
            old_ddl = "\n".join(line for line in old_ddl.splitlines() if added not in line)
        con.execute(f"create table raw.report_figures ({old_ddl})")
        con.execute("insert into raw.report_figures (report_id, figure_seq, metric, unit, qualifiers,"
                    " q_service_level, line, source_text) values ('r', 1, 'm', 'count', '{}', 4, 1, 't')")
    with warehouse.connect(path) as con:
        columns = con.execute(  # moved into the raw file, attached as catalog raw
            "select column_name, data_type from duckdb_columns() "
            "where database_name = 'raw' and table_name = 'report_figures' order by column_index"
        ).fetchall()
        assert dict(columns)["q_service_level"] == "VARCHAR"
        assert [name for name, _ in columns][-3:] == ["q_province", "q_ministry", "q_stat"]
        assert con.execute("select q_service_level from raw.report_figures").fetchall() == [("4",)]
    with duckdb.connect(":memory:") as fresh:
        warehouse.ensure_raw_schema(fresh)
        new_columns = fresh.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'raw' and table_name = 'report_figures' order by ordinal_position"
        ).fetchall()
    assert [name for name, _ in columns] == [name for (name,) in new_columns]


def test_check_report_checks_a_report_that_names_no_province(tmp_path: Path) -> None:
    report = tmp_path / "no_province.txt"
    report.write_text(
        "BÁO CÁO\nTổng kết công tác cải cách hành chính năm 2019\n\n"
        "Cho phép nộp hồ sơ trực tuyến là 746 quy trình (mức độ 3 là 355, mức độ 4 là 392).\n",
        encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "ingest.cli", "check-report", str(report), "--json"],
                          capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]  # warnings only
    result = json.loads(proc.stdout)
    assert {c["rule"]: c["metrics"] for c in result["checks"] if not c["success"]} == {
        "service_levels_sum_to_total": ["procedures_online_enabled"]}
