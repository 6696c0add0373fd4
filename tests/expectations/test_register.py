"""The published register says each finding in words, in Vietnamese and English."""

from __future__ import annotations

import re

import duckdb
import pytest

from expectations import register
from expectations.report_consistency import change_checks, figure_checks
from expectations.suites import rpt_report_vs_exports

FINDING_CHECKS = [c.name for c in (*figure_checks(), *change_checks()) if c.severity == "warn"] + [
    c.name for c in rpt_report_vs_exports.checks()]
VALUES = {"expected": 538531.0, "observed": 4892.5, "difference": -533638.5, "tolerance": 2692.655}


@pytest.mark.parametrize(("value", "lang", "signed", "text"), [
    (538531.0, "vi", False, "538.531"), (538531.0, "en", False, "538,531"),
    (20.29, "vi", False, "20,29"), (2692.655, "en", False, "2,692.66"), (-1.0, "vi", True, "-1"),
    (0.26, "vi", True, "+0,26"), (98.0, "en", False, "98"), (None, "vi", False, "?"),
])
def test_numbers_are_written_as_each_language_writes_them(value, lang, signed, text) -> None:
    assert register.format_number(value, lang, signed) == text


def test_source_lines_are_listed_once_in_order() -> None:
    assert register.unique_lines("617,619,619,620,617") == [617, 619, 620]
    assert register.unique_lines(None) == []


@pytest.mark.parametrize("check", FINDING_CHECKS)
def test_every_finding_check_has_its_own_sentence(check: str) -> None:
    assert check in register.messages(), f"add {check} to {register.MESSAGES_FILE.name}"
    labels = {"dossiers_resolved": {"vi": "Hồ sơ đã giải quyết", "en": "Dossiers resolved"},
              "dossiers_late": {"vi": "Hồ sơ trễ hạn", "en": "Resolved late"}}
    words = register.describe(check, ["dossiers_resolved", "dossiers_late"], labels, VALUES, False)
    for lang, label in (("vi", "Hồ sơ đã giải quyết"), ("en", "Dossiers resolved")):
        sentence = words[lang]
        assert not re.search(r"[{}]", sentence), sentence  # every placeholder filled
        assert label in sentence or labels["dossiers_late"][lang] in sentence
    assert "538.531" in words["vi"] or "4.892,5" in words["vi"]


def test_a_reconciliation_finding_reads_as_a_sentence() -> None:
    labels = {"dossiers_online_pct": {"vi": "Tỷ lệ hồ sơ nộp trực tuyến", "en": "Online rate"}}
    words = register.describe("report_matches_exports", ["dossiers_online_pct"], labels,
                               {"expected": 20.29, "observed": 19.5, "difference": -0.79,
                                "tolerance": 0.1}, True)
    assert words["vi"] == ("Tỷ lệ hồ sơ nộp trực tuyến: báo cáo ghi 20,29%, dữ liệu hồ sơ từ phần "
                           "mềm một cửa tính được 19,5% (chênh -0,79, mức cho phép ±0,1).")
    assert words["en"].startswith(
        "Online rate: the report states 20.29%, the one-stop-shop exports give 19.5%")


def test_the_register_mart_has_words_lines_once_and_comments(tmp_path) -> None:
    source = tmp_path / "w.duckdb"
    with duckdb.connect(str(source)) as con:
        con.execute("create schema marts; create schema audit")
        con.execute("create table marts.fct_report_figures as select 'r1' as report_id, "
                    "'Khánh Hòa' as province_name, 2020 as report_year, * from (values "
                    "(617, 'Tổng cộng có 166 HTQLCL'), (619, 'Tổng cộng có 166 HTQLCL'), "
                    "(620, 'cấp xã có 136')) as t(source_line, source_text)")
        con.execute("create table marts.fct_report_changes as select * from marts.fct_report_figures limit 0")
        con.execute("create table marts.dim_metrics as select 'iso_systems' as metric_id, "
                    "'Số hệ thống quản lý chất lượng' as label_vi, 'Quality systems' as label_en, "
                    "false as is_percent")
        con.execute("create table audit.discrepancy_register as select 'run1' as run_id, "
                    "'fct_report_figures' as suite, 'levels_sum_to_total' as check_name, "
                    "'warn' as severity, 'r1' as report_id, 'iso_systems' as metrics, "
                    "166.0 as expected, 165.0 as observed, -1.0 as difference, 0.0 as tolerance, "
                    "'617,619,619,620' as source_lines, 'why' as message")
    with duckdb.connect(str(tmp_path / "release.duckdb")) as con:
        con.execute(f"attach '{source}' as src (read_only)")
        con.execute("create schema marts")
        assert register.build_register_mart(con, "run1") == 1
        row = con.execute("select province_name, metric_labels, source_lines, source_text, message, "
                          "message_en from marts.rpt_discrepancy_register").fetchone()
        assert row == (
            "Khánh Hòa", "Số hệ thống quản lý chất lượng", "617,619,620",
            "Tổng cộng có 166 HTQLCL\ncấp xã có 136",
            "Số hệ thống quản lý chất lượng: báo cáo ghi tổng số 166, nhưng các cấp cộng lại "
            "được 165 (chênh -1).",
            "Quality systems: the report states a total of 166, but its levels add up to 165 "
            "(difference -1).")
        undocumented = con.execute(
            "select column_name from duckdb_columns() where table_name = 'rpt_discrepancy_register' "
            "and coalesce(comment, '') = ''").fetchall()
        assert undocumented == []
