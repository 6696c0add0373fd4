"""Each report-consistency rule family both ways: it passes on the sample's consistent
figures and fails on a copy with one number changed (that check, and only it, fails).

The sample itself has one real slip, reported with both values: 166 quality systems in
276 agencies, but its levels add up to 21 + 8 + 136 = 165 systems and 38 + 101 + 136 = 275.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from expectations.runner import run_checks
from expectations.suites import fct_report_changes, fct_report_figures
from ingest import warehouse
from ingest.reports import load_report
from ingest.settings import Settings
from ingest.transform import run_dbt
from tests.conftest import SAMPLE_REPORT

REAL_SLIPS = {"levels_sum_to_total": ["iso_agencies", "iso_systems"]}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    tmp = tmp_path_factory.mktemp("consistency")
    settings = Settings(warehouse=tmp / "base.duckdb")
    with warehouse.connect(settings.warehouse) as con:
        load_report(con, SAMPLE_REPORT)
    build_report_models(settings, tmp, "fct_report_figures")
    return settings


def build_report_models(settings: Settings, tmp: Path, *models: str) -> None:
    """The report models and their parents, seeds included (province names), built into
    settings.warehouse without their tests."""
    selection = [f"+{model}" for model in models]
    run_dbt(
        [
            "build",
            "--select",
            *selection,
            "--exclude",
            "resource_type:test",
            "resource_type:unit_test",
            "--target-path",
            str(tmp / "target"),
            "--log-path",
            str(tmp / "logs"),
            "--quiet",
        ],
        settings,
        capture=True,
    )


def failures(settings: Settings) -> dict[str, list[str]]:
    summary = run_checks(settings, run_id="test", suites=(fct_report_figures,), store=False)
    return {r.check: json.loads(r.metrics) for r in summary.results if not r.success}


def corrupted(
    base: Settings, tmp_path: Path, where: str, new_value: float, column: str = "figure_value"
) -> Settings:
    copy = base.model_copy(update={"warehouse": tmp_path / "corrupted.duckdb"})
    shutil.copy(base.warehouse, copy.warehouse)
    with duckdb.connect(str(copy.warehouse)) as con:
        changed = con.execute(
            f"update marts.fct_report_figures set {column} = ? where {where} returning figure_id", [new_value]
        ).fetchall()
    assert len(changed) == 1, f"{where} must pick exactly one figure, got {len(changed)}"
    return copy


def test_sample_raises_only_its_real_slip_with_both_values(base: Settings) -> None:
    summary = run_checks(base, run_id="test", suites=(fct_report_figures,), store=False)
    failed = {r.check: r for r in summary.results if not r.success}
    assert {name: json.loads(r.metrics) for name, r in failed.items()} == REAL_SLIPS
    findings = {row["metrics"]: row for row in json.loads(failed["levels_sum_to_total"].findings)}
    assert (findings["iso_systems"]["expected"], findings["iso_systems"]["observed"]) == (166, 165)
    assert (findings["iso_agencies"]["expected"], findings["iso_agencies"]["observed"]) == (276, 275)
    assert findings["iso_systems"]["source_lines"] == "617,618,619,620"


@pytest.mark.parametrize(
    ("where", "new_value", "column", "check", "metrics"),
    [
        # "cap huyen la 220" -> 221: the levels no longer add up to 1.787
        (
            "metric_id = 'procedures_total' and level_code = 'district'",
            221,
            "figure_value",
            "levels_sum_to_total",
            ["iso_agencies", "iso_systems", "procedures_total"],
        ),
        # "Nganh Thue: 06" -> 7 outreach events: sectors no longer add up to 746
        (
            "metric_id = 'sector_outreach_events' and sector_code = 'tax'",
            7,
            "figure_value",
            "sectors_sum_to_total",
            ["sector_outreach_events"],
        ),
        # "muc do 4 la 391" -> 392: service levels no longer add up to 746
        (
            "metric_id = 'procedures_online_enabled' and service_level = '4'",
            392,
            "figure_value",
            "service_levels_sum_to_total",
            ["procedures_online_enabled"],
        ),
        # "17 nghi quyet cua HDND tinh" -> 18: the kinds no longer add up to 41
        (
            "metric_id = 'legal_docs_issued' and kind_code = 'council_resolution'",
            18,
            "figure_value",
            "kinds_sum_to_total",
            ["legal_docs_issued"],
        ),
        # "29/44 don vi ... 65,91%" -> 66,91%: the percentage no longer matches 29/44
        (
            "metric_id = 'par_units_rated_good_pct'",
            66.91,
            "figure_value",
            "percent_matches_counts",
            ["par_units_rated_good", "par_units_rated_good_pct"],
        ),
        # "45,2% nhan xet kha tot" -> 46,2%: the citizens' shares add up to 101
        (
            "metric_id = 'satisfaction_share' and group_code = 'citizens' and rating_code = 'good'",
            46.2,
            "figure_value",
            "complements_add_up",
            ["satisfaction_share"],
        ),
        # "(2%)" late -> 3%: on time 98,00% + late 3% is not 100
        (
            "metric_id = 'dossiers_late_pct' and level_code is null and unit_name is null",
            3,
            "figure_value",
            "complements_add_up",
            ["dossiers_late_pct", "dossiers_on_time_pct"],
        ),
        # "08/09 UBND cap huyen" -> 08/07: more portals than districts
        (
            "metric_id = 'web_portals' and level_code = 'district'",
            7,
            "figure_denominator",
            "fraction_within_whole",
            ["web_portals"],
        ),
    ],
)
def test_one_changed_number_fails_its_check_and_only_it(
    base: Settings, tmp_path: Path, where: str, new_value: float, column: str, check: str, metrics: list[str]
) -> None:
    got = failures(corrupted(base, tmp_path, where, new_value, column))
    assert got == {**REAL_SLIPS, check: metrics}


PREVIOUS_YEAR = """ỦY BAN NHÂN DÂN TỈNH KHÁNH HÒA
Số: 20/BC-UBND
Khánh Hòa, ngày 10 tháng 3 năm 2020
BÁO CÁO
Tổng kết công tác cải cách hành chính tỉnh Khánh Hòa năm 2019

Cho phép thực hiện dịch vụ bưu chính công ích là {postal} quy trình; cho phép nộp hồ sơ trực
tuyến là 140 quy trình; cho phép thực hiện thanh toán trực tuyến phí, lệ phí là 260 quy trình.
"""


def with_previous_year(tmp_path: Path, postal: int) -> Settings:
    """The 2020 sample plus a 2019 report; the sample says postal-enabled procedures rose
    by 958 to 1.143, so 2019 must have had 185."""
    settings = Settings(warehouse=tmp_path / "two-years.duckdb", gx_dir=tmp_path / "gx")
    previous = tmp_path / "khanh_hoa_2019.txt"
    previous.write_text(PREVIOUS_YEAR.format(postal=postal), encoding="utf-8")
    with warehouse.connect(settings.warehouse) as con:
        load_report(con, SAMPLE_REPORT)
        load_report(con, previous)
    build_report_models(settings, tmp_path, "fct_report_figures", "fct_report_changes")
    return settings


def change_failures(settings: Settings) -> dict[str, list[dict]]:
    summary = run_checks(settings, run_id="test", suites=(fct_report_changes,), store=False)
    return {r.check: json.loads(r.findings) for r in summary.results if not r.success}


def test_change_statements_agree_with_their_multiple_and_the_previous_report(tmp_path: Path) -> None:
    # "tang 958 ... gap hon 06 lan" (1.143 / 185 = 6.2), "tang 606 ... gap hon 05 lan"
    # (746 / 140 = 5.3), "tang 191 ... gap gan 02 lan" (451 / 260 = 1.7)
    assert change_failures(with_previous_year(tmp_path, postal=185)) == {}


def test_change_contradicting_the_previous_report_is_listed_with_both_values(tmp_path: Path) -> None:
    failed = change_failures(with_previous_year(tmp_path, postal=186))
    assert list(failed) == ["change_agrees_with_previous_report"]
    (finding,) = failed["change_agrees_with_previous_report"]
    assert (finding["metrics"], finding["expected"], finding["observed"]) == (
        "procedures_postal_enabled",
        185,
        186,
    )


@pytest.mark.parametrize(
    ("metric", "delta"),
    [
        ("procedures_postal_enabled", 900),  # 1.143 / 243 = 4.7: not "more than 6 times"
        ("procedures_online_payment_enabled", 100),  # 451 / 351 = 1.3: not "nearly 2 times"
    ],
)
def test_change_contradicting_its_multiple_fails(
    base: Settings, tmp_path: Path, metric: str, delta: int
) -> None:
    build_report_models(base, tmp_path, "fct_report_changes")
    copy = base.model_copy(update={"warehouse": tmp_path / "corrupted.duckdb", "gx_dir": tmp_path / "gx"})
    shutil.copy(base.warehouse, copy.warehouse)
    with duckdb.connect(str(copy.warehouse)) as con:
        con.execute(
            "update marts.fct_report_changes set change_delta = ?, implied_previous_value = "
            "figure_value - ? where metric_id = ?",
            [delta, delta, metric],
        )
    failed = change_failures(copy)
    assert list(failed) == ["change_agrees_with_its_multiple"]
    assert [f["metrics"] for f in failed["change_agrees_with_its_multiple"]] == [metric]
