"""`cchc dashboard`: the page of a real release draws in a headless browser, offline.

The release is built from the repo's sample with the pipeline's own steps (load the
reports and exports, `dbt build`, the GX gate, publish), the way the Airflow tasks call
them. Expected numbers are re-aggregated here from the marts' numerators and
denominators, independently of the dashboard's SQL.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from ingest.dashboard import DashboardError, build_dashboard
from ingest.orchestrate import landed_periods
from ingest.pipeline import (
    build_models,
    load_exports_for_month,
    load_reports_for_year,
    publish_marts,
    validate_warehouse,
)
from ingest.settings import Settings
from tests.conftest import SAMPLES, _in_ci

CHROMIUM = Path("/usr/bin/chromium")
RELEASE_ID = "test__dashboard-release"
CHARTS = ("months", "agencies", "districts", "decision-766", "procedures", "report-vs-exports")


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = (f"{CHROMIUM} is missing: install Debian's chromium "
               "(scripts/install-system-packages.sh, which `make test` runs)")
    if _in_ci():
        pytest.fail(f"CI=true: {message}. The browser test must run in CI, not skip.")
    pytest.skip(message)


@pytest.fixture(scope="module")
def serving(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A published serving copy of the sample, built by the pipeline's steps."""
    tmp = tmp_path_factory.mktemp("dashboard")
    settings = Settings(
        warehouse=tmp / "warehouse" / "cchc.duckdb",
        serving=tmp / "warehouse" / "serving" / "cchc.duckdb",
        landing=SAMPLES,
        postgres_dsn=None,
        dbt_target="duckdb",
    )
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DBT_TARGET_PATH", str(tmp / "dbt_target"))
        env.setenv("DBT_LOG_PATH", str(tmp / "dbt_logs"))
        years, months = landed_periods(settings)
        for year in years:
            load_reports_for_year(year, settings)
        for month in months:
            load_exports_for_month(month, settings)
        build_models(settings)
        validate_warehouse(RELEASE_ID, settings)
        publish_marts(RELEASE_ID, settings)
    return settings.serving


@pytest.fixture(scope="module")
def page(serving: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_dashboard(serving, tmp_path_factory.mktemp("dashboard_out"))


def query(serving: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(serving), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.mark.slow
def test_page_is_one_offline_file_with_release_and_vietnamese_names(serving: Path, page: Path) -> None:
    assert page.name == "index.html"
    text = page.read_text(encoding="utf-8")
    assert re.search(r"<meta charset=[\"']?utf-8", text, re.IGNORECASE)
    assert RELEASE_ID in text
    (published_at,) = query(serving, "select published_at from meta.release")[0]
    assert f"{published_at:%Y-%m-%d %H:%M}" in text
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
def test_headline_rates_are_counts_over_counts(serving: Path, page: Path) -> None:
    (on_time, resolved, online, received) = query(
        serving, "select dossiers_on_time, dossiers_resolved, dossiers_online, dossiers_received "
                 "from marts.rpt_province_year_scorecard where reporting_year = 2020")[0]
    text = page.read_text(encoding="utf-8")
    assert f"{100 * on_time / resolved:.1f} %" in text
    assert f"{100 * online / received:.1f} %" in text
    assert f"{received:,}" in text


def expected_monthly(serving: Path) -> dict[str, list[float]]:
    """On-time and online rate per month: numerators and denominators summed over agencies."""
    sums: dict = defaultdict(lambda: [0, 0, 0, 0])
    for month, on_time, resolved, online, received in query(
        serving, "select month_date, dossiers_on_time, dossiers_resolved, dossiers_online, "
                 "dossiers_received from marts.rpt_agency_monthly_performance"):
        for i, value in enumerate((on_time, resolved, online, received)):
            sums[month.isoformat()][i] += value
    months = sorted(m for m, (_, resolved, _, received) in sums.items() if resolved or received)
    return {
        "months": months,
        "on_time": [100 * sums[m][0] / sums[m][1] if sums[m][1] else None for m in months],
        "online": [100 * sums[m][2] / sums[m][3] if sums[m][3] else None for m in months],
    }


@pytest.mark.slow
def test_charts_draw_in_headless_chromium(serving: Path, page: Path, tmp_path: Path) -> None:
    require_chromium()
    from PIL import Image
    from playwright.sync_api import sync_playwright

    messages: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            tab = browser.new_page(viewport={"width": 1440, "height": 900})
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
            drawn = tab.evaluate(
                """() => [...document.querySelectorAll('.plotly-graph-div')].map(div => ({
                    id: div.id,
                    svgs: div.querySelectorAll('svg.main-svg').length,
                    traces: div.querySelectorAll('g.trace').length,
                    marks: div.querySelectorAll('g.trace path, g.trace .point').length,
                    data: div.data.length,
                }))""")
            monthly = tab.evaluate(
                """() => { const d = document.getElementById('chart-months').data;
                    const trace = name => d.find(t => t.name.startsWith(name));
                    return {months: trace('On time').x, on_time: trace('On time').y,
                            online: trace('Online').y}; }""")
            shot = tmp_path / "dashboard.png"
            tab.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()

    assert messages == [], messages
    assert requests == [], f"the page fetched from the network: {requests}"
    assert [chart["id"] for chart in drawn] == [f"chart-{name}" for name in CHARTS]
    for chart in drawn:
        assert chart["svgs"] >= 1, f"{chart['id']} has no SVG: {chart}"
        assert chart["traces"] >= 1, f"{chart['id']} has no trace: {chart}"
        assert chart["marks"] >= chart["traces"], f"{chart['id']} drew no marks: {chart}"

    expected = expected_monthly(serving)
    assert [m[:10] for m in monthly["months"]] == expected["months"]
    assert monthly["on_time"] == pytest.approx(expected["on_time"])
    assert monthly["online"] == pytest.approx(expected["online"])

    image = Image.open(io.BytesIO(shot.read_bytes())).convert("RGB")
    assert image.width >= 1440 and image.height > 3000, image.size
    colours = image.getcolors(maxcolors=1 << 24)
    assert len(colours) > 200, f"only {len(colours)} colours: the page looks blank"
    commonest = max(count for count, _ in colours)
    assert commonest < 0.9 * image.width * image.height, f"one colour covers 90 % of {shot}"


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
