"""Reports of provinces merged in 2025 land under the province of their time and map onto
the current province: fct_report_figures carries both, rpt_current_province_year_figures
sums the counts of the former provinces.

The real corpus (tests/ingest/reports/corpus/real) has no two provinces merged into the same
current one, so real texts (Bến Tre 2020, Tây Ninh 2019) are landed with short synthetic
reports of Long An, which merged with Tây Ninh into the new Tây Ninh (code 80).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from ingest import warehouse
from ingest.reports import landed_reports, load_report
from ingest.settings import Settings
from tests.expectations.test_report_consistency import build_report_models

# The real corpus as copied into the repository (from shared/data/reports/real).
REAL = Path(__file__).resolve().parents[1] / "ingest" / "reports" / "corpus" / "real"

# Yearly totals as a provincial report states them: counts, a rate, an index and a rank.
SYNTHETIC = """Kết quả cải cách hành chính tỉnh {name} năm {year}

Năm {year}, các cơ quan, đơn vị trên địa bàn tỉnh đã tiếp nhận {received} hồ sơ thủ tục
hành chính; đã giải quyết {resolved} hồ sơ, trong đó giải quyết đúng hạn {on_time} hồ sơ,
đạt tỷ lệ {on_time_pct}%.

Chỉ số PAR INDEX năm {year} của tỉnh đạt 82,15%, xếp thứ 20/63 tỉnh, thành phố.
"""


def _synthetic(landing: Path, slug: str, name: str, year: int, received: str, resolved: str,
               on_time: str, on_time_pct: str) -> None:
    folder = landing / "reports" / slug / str(year)
    folder.mkdir(parents=True)
    text = SYNTHETIC.format(name=name, year=year, received=received, resolved=resolved,
                            on_time=on_time, on_time_pct=on_time_pct)
    (folder / f"{slug}_{year}.txt").write_text(text, encoding="utf-8")


def _real(landing: Path, name: str, slug: str, year: int) -> None:
    folder = landing / "reports" / slug / str(year)
    folder.mkdir(parents=True)
    shutil.copy(REAL / name, folder / name)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("current_provinces")
    landing = tmp / "landing"
    _real(landing, "bentre_2020.txt", "ben-tre", 2020)
    _real(landing, "tayninh_2019.txt", "tay-ninh", 2019)
    # 2019: Long An states counts, Tây Ninh (real) only its PAR index and SIPAS.
    _synthetic(landing, "long-an", "Long An", 2019, "152.340", "150.120", "148.900", "99,19")
    # 2020: both former provinces state them.
    _synthetic(landing, "long-an", "Long An", 2020, "160.000", "158.000", "157.000", "99,37")
    _synthetic(landing, "tay-ninh", "Tây Ninh", 2020, "90.500", "90.000", "89.100", "99,00")
    settings = Settings(warehouse=tmp / "cchc.duckdb", landing=landing)
    with warehouse.connect(settings.warehouse) as con:
        for year in (2019, 2020):
            for path in landed_reports(settings.reports_landing, year):
                load_report(con, path)
    build_report_models(settings, tmp, "fct_report_changes", "rpt_current_province_year_figures")
    return settings.warehouse


def _rows(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_figures_carry_the_province_of_their_time_and_the_current_one(built: Path) -> None:
    rows = _rows(built, """
        select distinct province_name, province_name_ascii, province_code, report_year,
            current_province_code, current_province_name, current_province_name_ascii,
            is_whole_current_province
        from marts.fct_report_figures order by report_year, province_code""")
    assert rows == [
        ("Tây Ninh", "Tay Ninh", "72", 2019, "80", "Tây Ninh", "Tay Ninh", False),
        ("Long An", "Long An", "80", 2019, "80", "Tây Ninh", "Tay Ninh", False),
        ("Tây Ninh", "Tay Ninh", "72", 2020, "80", "Tây Ninh", "Tay Ninh", False),
        ("Long An", "Long An", "80", 2020, "80", "Tây Ninh", "Tay Ninh", False),
        ("Bến Tre", "Ben Tre", "83", 2020, "86", "Vĩnh Long", "Vinh Long", False),
    ]
    # Bến Tre's real text is monthly (October 2020): its figures are not yearly totals.
    assert _rows(built, """
        select count(*), count(*) filter (where is_headline_figure) from marts.fct_report_figures
        where province_code = '83'""") == [(6, 0)]


def test_changes_carry_the_provinces_too(built: Path) -> None:
    assert _rows(built, """
        select count(*) from marts.fct_report_changes
        where province_code is null or current_province_code is null""") == [(0,)]


def test_counts_of_former_provinces_add_up_on_the_current_one(built: Path) -> None:
    rows = _rows(built, """
        select report_year, metric_id, figure_value, former_provinces_expected,
            former_provinces_reported, former_province_codes, is_mapped, is_complete
        from marts.rpt_current_province_year_figures
        where current_province_code = '80' order by report_year, metric_id""")
    assert rows == [
        # Tây Ninh's 2019 text states no count: Long An's alone, not the total.
        (2019, "dossiers_on_time", 148900, 2, 1, "80", True, False),
        (2019, "dossiers_received", 152340, 2, 1, "80", True, False),
        (2019, "dossiers_resolved", 150120, 2, 1, "80", True, False),
        (2020, "dossiers_on_time", 157000 + 89100, 2, 2, "72, 80", True, True),
        (2020, "dossiers_received", 160000 + 90500, 2, 2, "72, 80", True, True),
        (2020, "dossiers_resolved", 158000 + 90000, 2, 2, "72, 80", True, True),
    ]


def test_rates_ranks_and_breakdowns_are_never_summed(built: Path) -> None:
    assert _rows(built, """
        select count(*) from marts.rpt_current_province_year_figures
        where metric_id like '%pct' or metric_id like '%rank' or metric_id like '%score'
            or current_province_code = '86'""") == [(0,)]
