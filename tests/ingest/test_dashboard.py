"""`cchc dashboard`: the page of a real release draws in a headless browser, offline,
in Vietnamese by default and in English with `--lang en`, every chart on the reporting
year, no legend under the toolbar.

The release is the repo's sample through `cchc run` (the real DAGs: load the reports and
exports, `dbt build`, the GX gate, publish), built once per test run (tests/conftest.py).
Expected numbers are re-aggregated here from the marts' numerators and
denominators, independently of the dashboard's SQL.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from string import Template

import duckdb
import pytest

from ingest.dashboard import DashboardError, build_dashboard
from ingest.dashboard.labels import LABELS, LANGS, PLOTLY_VI, Labels
from ingest.dashboard.queries import Period, covered_period, focus_year
from tests.conftest import _in_ci

CHROMIUM = Path("/usr/bin/chromium")
CHARTS = ("months", "levels", "agencies", "districts", "decision-766", "procedures", "report-vs-exports")
CCHC = str(Path(sys.executable).parent / "cchc")
VI = Labels("vi")
EN = Labels("en")


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = (f"{CHROMIUM} is missing: install Debian's chromium "
               "(scripts/install-system-packages.sh, which `make test` runs)")
    if _in_ci():
        pytest.fail(f"CI=true: {message}. The browser test must run in CI, not skip.")
    pytest.skip(message)


@pytest.fixture(scope="module")
def serving(sample_build: dict) -> Path:
    """The published serving copy of the sample: the session's `cchc run` (tests/conftest.py)."""
    return sample_build["serving"]


@pytest.fixture(scope="module")
def page(serving: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The page as `cchc dashboard` writes it: in Vietnamese."""
    return build_dashboard(serving, tmp_path_factory.mktemp("dashboard_out"))


@pytest.fixture(scope="module")
def page_en(serving: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_dashboard(serving, tmp_path_factory.mktemp("dashboard_out_en"), lang="en")


def query(serving: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(serving), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.mark.slow
def test_page_is_one_offline_file_with_release_and_vietnamese_names(serving: Path, page: Path) -> None:
    assert page.name == "index.html"
    text = page.read_text(encoding="utf-8")
    assert re.search(r"<meta charset=[\"']?utf-8", text, re.IGNORECASE)
    (release_id,) = query(serving, "select release_id from meta.release")[0]
    assert release_id in text
    (published_at,) = query(serving, "select published_at from meta.release")[0]
    assert f"{published_at:%d/%m/%Y %H:%M}" in text
    # plotly.js inline, nothing fetched: no external script, stylesheet or font.
    assert "Plotly.newPlot" in text and len(text) > 3_000_000
    assert not re.search(r"<script[^>]*\bsrc=", text, re.IGNORECASE)
    assert not re.search(r"<link[^>]*\bhref=", text, re.IGNORECASE)
    # Names keep their diacritics (the marts strip them from district and province names).
    assert "Khánh Hòa" in text
    district = query(serving, "select agency_name from marts.dim_agencies where agency_name = "
                              "'UBND huyện Diên Khánh'")
    assert district, "the sample's reference data names the district committee"
    assert "Diên Khánh" in text and "Dien Khanh" not in text
    (agency,) = query(serving, "select agency_name from marts.rpt_agency_monthly_performance "
                               "group by agency_name order by sum(dossiers_received) desc limit 1")[0]
    assert agency in text


@pytest.mark.slow
def test_page_speaks_vietnamese_by_default_and_english_on_request(page: Path, page_en: Path) -> None:
    vi, en = page.read_text(encoding="utf-8"), page_en.read_text(encoding="utf-8")
    assert "<html lang=vi>" in vi and "<html lang=en>" in en
    assert "<title>Bảng theo dõi cải cách hành chính · Khánh Hòa</title>" in vi
    assert "<title>CCHC dashboard · Khánh Hòa</title>" in en
    for key in ("months.title", "agencies.title", "d766.title", "procedures.title", "register.title"):
        assert f"<h2>{VI(key)}</h2>" in vi and f"<h2>{EN(key)}</h2>" in en
    for words in ("hồ sơ tiếp nhận", "giải quyết đúng hạn", "trực tuyến", "thủ tục hành chính",
                  "dịch vụ công", "Năm báo cáo", "Cấp xã", "Sổ chênh lệch"):
        assert words in vi, words
    # The English page carries none of the Vietnamese chrome, the Vietnamese none of the English.
    for english in ("On time and online", "dossiers received", "Discrepancy register", "Points earned"):
        assert english not in vi and english in en, english
    assert "Tải biểu đồ dạng PNG" in vi and "Plotly.register({\"moduleType\": \"locale\"" not in en
    assert '"separators": ",."' in vi and '"separators": ".,"' in en
    # the register's findings in words, in the page's language
    assert "báo cáo ghi tổng số 166, nhưng các cấp cộng lại được 165" in vi
    assert "the report states a total of 166, but its levels add up to 165" in en


@pytest.mark.slow
def test_headline_rates_are_counts_over_counts(serving: Path, page: Path, page_en: Path) -> None:
    (on_time, resolved, online, received) = query(
        serving, "select dossiers_on_time, dossiers_resolved, dossiers_online, dossiers_received "
                 "from marts.rpt_province_year_scorecard where reporting_year = 2020")[0]
    vi, en = page.read_text(encoding="utf-8"), page_en.read_text(encoding="utf-8")
    # Vietnamese writes a decimal comma and a thousands dot: "98,3 %", "5.088".
    assert f"{100 * on_time / resolved:.1f} %".replace(".", ",") in vi
    assert f"{100 * online / received:.1f} %".replace(".", ",") in vi
    assert f"{received:,}".replace(",", ".") in vi
    assert f"{100 * on_time / resolved:.1f} %" in en
    assert f"{received:,}" in en


def reporting_month(day: date, cutoff_day: int) -> date:
    """The reporting month of `day`: from the cut-off day on, the next month's."""
    first = day.replace(day=1)
    if cutoff_day > 1 and day.day >= cutoff_day:
        return (first + timedelta(days=32)).replace(day=1)
    return first


def expected_monthly(serving: Path) -> dict:
    """Rates per reporting month (the reporting year's cut-off, from the scorecard's bounds):
    numerators and denominators of fct_dossier_activity summed by day, in Python."""
    bounds = query(serving, "select reporting_year, period_start_date, period_end_date "
                            "from marts.rpt_province_year_scorecard")
    cutoff_day = bounds[0][1].day
    sums: dict = defaultdict(lambda: [0, 0, 0, 0])
    for day, on_time, resolved, online, received in query(
        serving, "select activity_date, sum(dossiers_on_time), sum(dossiers_resolved), sum(dossiers_online), "
                 "sum(dossiers_received) from marts.fct_dossier_activity group by activity_date"):
        for i, value in enumerate((on_time, resolved, online, received)):
            sums[reporting_month(day, cutoff_day)][i] += value
    months = sorted(m for m, (_, resolved, _, received) in sums.items() if resolved or received)
    return {
        "months": [m.isoformat() for m in months],
        "on_time": [100 * sums[m][0] / sums[m][1] if sums[m][1] else None for m in months],
        "online": [100 * sums[m][2] / sums[m][3] if sums[m][3] else None for m in months],
        "received": {m.isoformat(): sums[m][3] for m in months},
        "years": {year: (start, end) for year, start, end in bounds},
    }


LEGENDS_AND_TOOLBARS = """() => [...document.querySelectorAll('.plotly-graph-div')].map(div => {
    const box = e => { const r = e.getBoundingClientRect();
                       return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
    return {id: div.id,
            modebars: [...div.querySelectorAll('.modebar')].map(box),
            legends: [...div.querySelectorAll('g')].filter(g => /^legend\\d*$/.test(g.getAttribute('class')))
                                                    .map(box)}; })"""


def overlaps(a: dict, b: dict) -> bool:
    return (a["left"] < b["right"] and b["left"] < a["right"]
            and a["top"] < b["bottom"] and b["top"] < a["bottom"])


def draw(page: Path, t: Labels, width: int, shot: Path | None = None) -> dict:
    """Open `page` (written in `t`'s language) offline in headless Chromium at `width`; what
    the page drew and said."""
    from playwright.sync_api import sync_playwright

    messages: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            tab = browser.new_page(viewport={"width": width, "height": 900})
            tab.on("console", lambda m: messages.append(f"console.{m.type}: {m.text}")
                   if m.type in ("error", "warning", "trace") or "WARN" in m.text else None)
            tab.on("pageerror", lambda e: messages.append(f"page error: {e}"))
            tab.on("requestfailed", lambda r: messages.append(f"request failed: {r.url}"))

            def offline(route) -> None:  # the page must need nothing from the network
                if route.request.url.startswith("file:"):
                    route.continue_()
                else:
                    requests.append(route.request.url)
                    route.abort()

            tab.route("**/*", offline)
            tab.goto(page.as_uri())
            tab.wait_for_function(
                "() => { const divs = [...document.querySelectorAll('.plotly-graph-div')];"
                " return divs.length > 0 && divs.every(d => d.classList.contains('js-plotly-plot')); }",
                timeout=60_000)
            found = {
                "lang": tab.evaluate("() => document.documentElement.lang"),
                "title": tab.title(),
                "headings": tab.evaluate("() => [...document.querySelectorAll('section h2')]"
                                         ".map(h => h.textContent)"),
                "toolbar": tab.evaluate("() => [...document.querySelectorAll('#chart-months .modebar-btn')]"
                                        ".map(b => b.getAttribute('data-title'))"),
                "boxes": tab.evaluate(LEGENDS_AND_TOOLBARS),
                "drawn": tab.evaluate(
                    """() => [...document.querySelectorAll('.plotly-graph-div')].map(div => ({
                        id: div.id,
                        svgs: div.querySelectorAll('svg.main-svg').length,
                        traces: div.querySelectorAll('g.trace').length,
                        marks: div.querySelectorAll('g.trace path, g.trace .point').length,
                        data: div.data.length,
                    }))"""),
                "monthly": tab.evaluate(
                    """([received, onTime, online]) => {
                        const d = document.getElementById('chart-months').data;
                        const one = name => d.find(t => t.name === name);
                        return {received: d.filter(t => t.name.startsWith(received))
                                           .flatMap(t => t.x.map((x, i) => [x, t.y[i]])),
                                months: one(onTime).x, on_time: one(onTime).y, online: one(online).y}; }""",
                    [t("months.received"), t("months.on_time"), t("months.online")]),
                "messages": messages,
                "requests": requests,
            }
            if shot is not None:
                tab.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    return found


def assert_no_legend_under_a_toolbar(found: dict) -> None:
    charts_with_legends = 0
    for chart in found["boxes"]:
        assert len(chart["modebars"]) == 1, chart
        charts_with_legends += bool(chart["legends"])
        for legend in chart["legends"]:
            assert legend["right"] > legend["left"] and legend["bottom"] > legend["top"], chart
            assert not overlaps(legend, chart["modebars"][0]), f"{chart['id']}: a legend under the toolbar"
        for i, legend in enumerate(chart["legends"]):  # nor two legends on each other
            assert not any(overlaps(legend, other) for other in chart["legends"][i + 1:]), chart
    assert charts_with_legends >= 5, found["boxes"]


@pytest.mark.slow
def test_charts_draw_in_headless_chromium(serving: Path, page: Path, tmp_path: Path) -> None:
    require_chromium()
    from PIL import Image

    shot = tmp_path / "dashboard.png"
    found = draw(page, VI, 1440, shot)

    assert found["messages"] == [], found["messages"]
    assert found["requests"] == [], f"the page fetched from the network: {found['requests']}"
    assert [chart["id"] for chart in found["drawn"]] == [f"chart-{name}" for name in CHARTS]
    for chart in found["drawn"]:
        assert chart["svgs"] >= 1, f"{chart['id']} has no SVG: {chart}"
        assert chart["traces"] >= 1, f"{chart['id']} has no trace: {chart}"
        assert chart["marks"] >= chart["traces"], f"{chart['id']} drew no marks: {chart}"

    # In Vietnamese: the document, its title, the charts' titles, the toolbar's tooltips.
    assert found["lang"] == "vi"
    assert found["title"] == "Bảng theo dõi cải cách hành chính · Khánh Hòa"
    assert found["headings"][0] == "Giải quyết đúng hạn và nộp trực tuyến theo kỳ báo cáo tháng"
    assert "Tải biểu đồ dạng PNG" in found["toolbar"] and "Zoom" not in found["toolbar"]
    assert_no_legend_under_a_toolbar(found)

    expected = expected_monthly(serving)
    monthly = found["monthly"]
    assert [m[:10] for m in monthly["months"]] == expected["months"]
    assert monthly["on_time"] == pytest.approx(expected["on_time"])
    assert monthly["online"] == pytest.approx(expected["online"])
    assert {x[:10]: y for x, y in monthly["received"]} == expected["received"]

    image = Image.open(io.BytesIO(shot.read_bytes())).convert("RGB")
    assert image.width >= 1440 and image.height > 3000, image.size
    colours = image.getcolors(maxcolors=1 << 24)
    assert len(colours) > 200, f"only {len(colours)} colours: the page looks blank"
    commonest = max(count for count, _ in colours)
    assert commonest < 0.9 * image.width * image.height, f"one colour covers 90 % of {shot}"


@pytest.mark.slow
@pytest.mark.parametrize("width", [1440, 900])
def test_english_page_draws_and_keeps_legends_clear_of_the_toolbar(page_en: Path, width: int) -> None:
    require_chromium()
    found = draw(page_en, EN, width)
    assert found["messages"] == [] and found["requests"] == []
    assert found["lang"] == "en"
    assert found["title"] == "CCHC dashboard · Khánh Hòa"
    assert found["headings"][0] == EN("months.title")
    assert "Download plot as a PNG" in found["toolbar"]
    assert_no_legend_under_a_toolbar(found)


@pytest.mark.slow
def test_legends_stay_clear_of_the_toolbar_on_a_narrow_screen(page: Path) -> None:
    require_chromium()
    assert_no_legend_under_a_toolbar(draw(page, VI, 900))


@pytest.mark.slow
def test_every_chart_counts_by_the_reporting_year(serving: Path, page: Path) -> None:
    """Twelve reporting months add up to the scorecard's reporting year; the agency and
    district charts count the year in focus, not every month the exports cover; a year the
    exports do not cover in full is marked, and the page says how years are defined."""
    from ingest.dashboard import open_release, page_content

    expected = expected_monthly(serving)
    (received_2020,) = query(serving, "select dossiers_received from marts.rpt_province_year_scorecard "
                                      "where reporting_year = 2020")[0]
    start, end = expected["years"][2020]
    assert (start, end) == (date(2019, 12, 15), date(2020, 12, 14))
    in_2020 = [m for m in expected["received"] if start < date.fromisoformat(m) <= end]
    assert len(in_2020) == 12
    assert sum(expected["received"][m] for m in in_2020) == received_2020

    with open_release(serving) as con:
        glance, charts = page_content(con)
    assert glance["reporting_year"] == 2020
    # The sample's exports start on 1 Jan 2020: 17 days of reporting year 2020 are not covered.
    assert glance["period"] == Period(date(2019, 12, 15), date(2020, 12, 14), 366 - 17)
    by_anchor = {chart.anchor: chart for chart in charts}
    agencies = by_anchor["agencies"].figure
    dots = [trace for trace in agencies.data if trace.type == "scatter"]
    shown = {agency: x for trace in dots for agency, x in zip(trace.y, trace.x, strict=True)}
    (worst, worst_rate) = query(serving, """
        select g.agency_name, 100.0 * sum(a.dossiers_on_time) / sum(a.dossiers_resolved)
        from marts.fct_dossier_activity a
        join marts.dim_dates d on a.activity_date = d.date_id and d.reporting_year = 2020
        join marts.dim_agencies g on a.agency_id = g.agency_id and g.is_latest_version
        group by g.agency_name having sum(a.dossiers_resolved) > 0 order by 2, sum(a.dossiers_resolved) desc
        limit 1""")[0]
    assert shown[worst] == pytest.approx(worst_rate)
    for anchor in ("agencies", "districts", "decision-766", "procedures"):
        caption = by_anchor[anchor].caption
        assert "năm báo cáo 2020 (chưa đủ kỳ)" in caption.lower(), anchor
        assert "15/12/2019 – 14/12/2020" in caption, anchor
    text = page.read_text(encoding="utf-8")
    assert "Cách tính năm" in text and "349 / 366 ngày" in text
    assert "15/12/2020 – 14/01/2021 (chưa đủ kỳ)" in text  # the 17 days of reporting year 2021


@pytest.mark.slow
def test_levels_query_has_districts_until_the_reform_and_communes_after(serving: Path) -> None:
    """Dossiers by the level of the agency of the time: district-level rows only up to the
    district level's last day (the district mart's), the new communes after it, and every
    dossier received in a loaded month counted once."""
    from ingest.dashboard.queries import district_level_end, open_release, rows

    with open_release(serving) as con:
        found = rows(con, "levels")
        level_end = district_level_end(con)
    assert level_end == date(2025, 6, 30)
    district_months = {row["month_date"] for row in found if row["agency_level"] == "district"}
    commune_months = {row["month_date"] for row in found if row["agency_level"] == "commune"}
    assert district_months and max(district_months) == date(2025, 6, 1)
    assert {date(2025, 7, 1), date(2025, 8, 1), date(2025, 9, 1)} <= commune_months
    # after the reform the communes at work are the new ones, without a district
    (old_communes_after,) = query(serving, """
        select count(*) from marts.fct_dossier_activity a
        join marts.dim_agencies g on a.agency_key = g.agency_key
        where a.activity_date > date '2025-06-30' and g.agency_level = 'commune'
          and g.district_name is not null and a.dossiers_received > 0""")[0]
    assert old_communes_after == 0
    received = dict(query(serving, "select month_date, sum(dossiers_received) "
                                   "from marts.rpt_agency_monthly_performance group by month_date "
                                   "having sum(dossiers_received) > 0"))
    by_month: dict = defaultdict(int)
    for row in found:
        by_month[row["month_date"]] += row["dossiers_received"]
    assert by_month == received


@pytest.mark.slow
@pytest.mark.parametrize(("lang", "marker"), [
    ("vi", "Bỏ cấp huyện, sáp nhập tỉnh (01/07/2025)"),
    ("en", "District level abolished, provinces merged (1 Jul 2025)"),
])
def test_levels_chart_marks_the_reform_in_both_languages(serving: Path, lang: str, marker: str) -> None:
    from ingest.dashboard import open_release, page_content

    t = Labels(lang)
    with open_release(serving) as con:
        _, charts = page_content(con, lang)
    chart = next(chart for chart in charts if chart.anchor == "levels")
    assert chart.title == t("levels.title")
    assert {trace.name for trace in chart.figure.data} == {t(f"levels.{level}")
                                                          for level in ("province", "district", "commune")}
    (line,) = [shape for shape in chart.figure.layout.shapes if shape.type == "line"]
    assert str(line.x0)[:10] == str(line.x1)[:10] == "2025-07-01"
    assert [note.text for note in chart.figure.layout.annotations] == [marker]
    assert t.date(date(2025, 7, 1)) in chart.caption
    # the legend lies under the plot, as on every chart
    assert chart.figure.layout.legend.orientation == "h" and chart.figure.layout.legend.yref == "container"
    # the years without exports are cut out of the axis
    assert chart.figure.layout.xaxis.rangebreaks


@pytest.mark.slow
def test_year_2025_keeps_districts_to_their_last_day_and_marks_abolished_agencies(serving: Path) -> None:
    """In reporting year 2025 the district chart counts up to 2025-06-30 only (as the district
    mart does) and says so; the agency chart marks an agency that ended or began in the year."""
    from ingest.dashboard import open_release, page_content

    with open_release(serving) as con:
        _, charts = page_content(con, "vi", 2025)
        _, charts_2020 = page_content(con, "vi", 2020)
    by_anchor = {chart.anchor: chart for chart in charts}
    districts = by_anchor["districts"]
    assert "Cấp huyện kết thúc ngày 30/06/2025" in districts.caption
    assert "Cấp huyện kết thúc" not in {chart.anchor: chart for chart in charts_2020}["districts"].caption
    # The reporting year 2025 (15 Dec 2024 - 14 Dec 2025) holds the mart's months 2025-04..06 whole.
    expected = dict(query(serving, """
        select d.district_name, sum(d.dossiers_resolved) from marts.rpt_district_monthly_performance d
        where d.month_date between date '2024-12-15' and date '2025-11-30'
        group by d.district_name having sum(d.dossiers_resolved) > 0"""))
    (bars,) = districts.figure.data
    text_resolved = {name: int(text.rsplit(" ", 1)[-1].rstrip(")").replace(".", ""))
                     for name, text in zip(bars.y, bars.text, strict=True)}
    assert text_resolved == {name: expected[name] for name in text_resolved}
    assert len(text_resolved) == min(10, len(expected))
    agencies = by_anchor["agencies"]
    names = [name for trace in agencies.figure.data if trace.type == "scatter" for name in trace.y]
    assert any(name.endswith("(đến 30/06/2025)") for name in names), names
    assert any(name.endswith("(từ 01/07/2025)") for name in names), names
    assert "cơ quan cũ và cơ quan kế thừa là hai dòng riêng" in agencies.caption
    with open_release(serving) as con, pytest.raises(DashboardError, match="no dossiers in reporting year"):
        page_content(con, "vi", 2019)


@pytest.mark.slow
def test_cchc_dashboard_takes_the_language(serving: Path, tmp_path: Path) -> None:
    env = {**os.environ, "CCHC_SERVING": str(serving)}
    proc = subprocess.run([CCHC, "dashboard", "--lang", "en", "--out", str(tmp_path / "en")], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "<html lang=en>" in (tmp_path / "en" / "index.html").read_text(encoding="utf-8")
    proc = subprocess.run([CCHC, "dashboard", "--out", str(tmp_path / "vi")], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "<html lang=vi>" in (tmp_path / "vi" / "index.html").read_text(encoding="utf-8")
    proc = subprocess.run([CCHC, "dashboard", "--lang", "fr", "--out", str(tmp_path / "fr")], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "unknown language 'fr'" in proc.stderr
    assert not (tmp_path / "fr").exists()


def test_every_label_has_vietnamese_and_english_with_the_same_placeholders() -> None:
    assert LANGS == ("vi", "en")
    for key, texts in LABELS.items():
        assert set(texts) == set(LANGS), key
        assert all(text.strip() for text in texts.values()), key
        fields = {lang: set(Template(text).get_identifiers()) for lang, text in texts.items()}
        assert fields["vi"] == fields["en"], (key, fields)
        assert Template(texts["vi"]).is_valid() and Template(texts["en"]).is_valid(), key
    # Plotly's toolbar words: every one translated.
    assert all(english and vietnamese for english, vietnamese in PLOTLY_VI["dictionary"].items())


def test_labels_write_numbers_as_each_language_does() -> None:
    assert VI.number(1787) == "1.787" and EN.number(1787) == "1,787"
    assert VI.percent(65.27) == "65,3 %" and EN.percent(65.27) == "65.3 %"
    assert VI.percent(None) == "–"
    assert VI.short(19.65) == "19,65" and EN.short(20.0) == "20"
    assert VI.decimal(2692.655) == "2.692,66" and EN.decimal(-1.0) == "-1" and EN.decimal(1000) == "1,000"
    assert VI.separators == ",." and EN.separators == ".,"
    assert VI.day(date(2025, 7, 1)) == "01/07/2025" and EN.day(date(2025, 7, 1)) == "1 Jul 2025"
    assert VI("period.incomplete", period=2021) == "2021 (chưa đủ kỳ)"
    assert VI.get("check.no_such_check", "no_such_check") == "no_such_check"
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        Labels("fr")


def test_a_period_is_complete_when_export_months_cover_every_day() -> None:
    months = [date(2020, month, 1) for month in range(1, 13)]
    year_2020 = covered_period(date(2019, 12, 15), date(2020, 12, 14), months)
    assert (year_2020.days, year_2020.days_covered, year_2020.is_complete) == (366, 349, False)
    year_2021 = covered_period(date(2020, 12, 15), date(2021, 12, 14), months)
    assert (year_2021.days_covered, year_2021.is_complete) == (17, False)
    whole = covered_period(date(2020, 1, 15), date(2020, 2, 14), months)
    assert whole.is_complete and whole.coverage == 1
    # The latest complete year; without one, the best covered, not the latest.
    assert focus_year({2020: year_2020, 2021: year_2021}) == 2020
    full = covered_period(date(2020, 12, 15), date(2021, 12, 14), [date(2020, 12, 1)] +
                          [date(2021, month, 1) for month in range(1, 13)])
    assert focus_year({2020: year_2020, 2021: full}) == 2021
    assert focus_year({}) is None


def test_missing_serving_copy_says_to_run_the_pipeline(tmp_path: Path) -> None:
    with pytest.raises(DashboardError, match=r"no published release .*`cchc run`"):
        build_dashboard(tmp_path / "serving" / "cchc.duckdb", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_release_without_a_mart_names_it_and_says_to_run_the_pipeline(tmp_path: Path) -> None:
    serving = tmp_path / "cchc.duckdb"
    with duckdb.connect(str(serving)) as con:
        con.execute("create schema meta")
        con.execute("create table meta.release as select 'r1' as release_id, '{}' as tables")
        con.execute("create schema marts")
        con.execute("create table marts.dim_agencies (agency_id varchar)")
    with pytest.raises(DashboardError, match=r"rpt_agency_monthly_performance.*`cchc run`"):
        build_dashboard(serving, tmp_path / "out")


def test_queries_read_marts_only_and_rates_come_from_the_definitions(serving: Path) -> None:
    """Every table a dashboard query names is a mart; every rate is written {rate:<metric>}
    and resolves to the metric's numerator over its denominator as the release defines it."""
    from ingest.dashboard import queries

    for sql_file in sorted(queries.QUERIES.glob("*.sql")):
        sql = sql_file.read_text(encoding="utf-8")
        named = set(re.findall(r"\b(?:from|join)\s+([a-z_]+\.[a-z_0-9]+)", sql, re.IGNORECASE))
        assert named and all(table.startswith("marts.") for table in named), (sql_file.name, named)
        assert "/ nullif(" not in sql, f"{sql_file.name} derives a rate itself: use {{rate:<metric>}}"
    with queries.open_release(serving) as con:
        resolved = queries._rates(
            con, "select {rate:dossiers_late_pct} from marts.rpt_agency_monthly_performance")
        assert resolved == ("select 100.0 * sum(dossiers_late) / nullif(sum(dossiers_resolved), 0) "
                            "from marts.rpt_agency_monthly_performance")
        with pytest.raises(DashboardError, match="no rate dossiers_lost_pct"):
            queries._rates(con, "select {rate:dossiers_lost_pct}")
