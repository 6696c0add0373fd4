"""The dashboard of the published release: one self-contained static HTML page.

Three jobs, three modules: queries.py (+ queries/*.sql) reads the read-only serving copy,
marts only, with rates from the release's metric definitions; charts.py draws each
chart from its rows; page.py lays out the page. This module wires them.

Every word comes from labels.py, in Vietnamese by default or in English (`--lang en`).

    python -m ingest.dashboard [--lang vi|en] [SERVING] [OUT_DIR]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb
from rich.console import Console

from ingest.dashboard import charts
from ingest.dashboard.charts import Chart
from ingest.dashboard.labels import DEFAULT_LANG, LANGS, Labels
from ingest.dashboard.page import register_table, render_page
from ingest.dashboard.queries import (
    AGENCY_LIMIT,
    DashboardError,
    Period,
    covered_period,
    district_level_end,
    export_months,
    focus_year,
    open_release,
    read_release,
    reporting_years,
    rows,
)

__all__ = ["DEFAULT_LANG", "LANGS", "DashboardError", "build_dashboard", "open_release", "page_content",
           "serve_dashboard"]


def _labels(lang: str) -> Labels:
    try:
        return Labels(lang)
    except ValueError as exc:
        raise DashboardError(str(exc)) from exc


def page_content(con: duckdb.DuckDBPyConnection, lang: str = DEFAULT_LANG,
                 year: int | None = None) -> tuple[dict | None, list[Chart]]:
    """The year at a glance (None without dossiers) and every chart, in page order, in `lang`.

    One definition of year throughout: the province's reporting year (the scorecard's), the
    one in focus being `year` if given, else the latest the exports cover in full, else the
    best covered; each period carries how many of its days the exports cover (queries.Period)."""
    t = _labels(lang)
    months = export_months(con)
    years = reporting_years(con)
    if year is not None and year not in years:
        raise DashboardError(f"no dossiers in reporting year {year}: the release has "
                             f"{', '.join(map(str, years)) or 'none'}")
    year = focus_year(years) if year is None else year
    period = years.get(year) if year is not None else None
    found = rows(con, "glance", year=year) if year is not None else []
    glance = {**found[0], "period": period} if found else None
    monthly = [{**row, "period": covered_period(row["period_start_date"], row["period_end_date"], months)}
               for row in rows(con, "monthly")]
    compared = rows(con, "report_vs_exports")
    report_period = (Period(compared[0]["period_start_date"], compared[0]["period_end_date"],
                            compared[0]["days_covered"]) if compared else None)
    level_end = district_level_end(con)
    return glance, [
        charts.chart_monthly_rates(monthly, t),
        charts.chart_levels(rows(con, "levels"), t, level_end),
        charts.chart_agency_rates(rows(con, "agencies", year=year, limit=AGENCY_LIMIT), t, year, period),
        charts.chart_worst_districts(rows(con, "districts", year=year), t, year, period, level_end),
        charts.chart_decision_766(rows(con, "decision_766", year=year), t, year, period),
        charts.chart_procedure_digitisation(rows(con, "digitisation", year=year), t, year, period),
        charts.chart_report_vs_exports(compared, t, report_period),
    ]


def build_dashboard(serving_path: Path, out_dir: Path, lang: str = DEFAULT_LANG,
                    year: int | None = None) -> Path:
    """Write `out_dir/index.html` for the release at `serving_path`, in `lang` (vi or en),
    on reporting year `year` (default: page_content's); return its path."""
    t = _labels(lang)
    with open_release(serving_path) as con:
        release = read_release(con)
        glance, chart_list = page_content(con, lang, year)
        register_html = register_table(rows(con, "register"), t)
    page = render_page(release, glance["province_name"] if glance else None, glance, chart_list,
                       register_html, t)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "index.html"
    staging = target.with_name(f".{target.name}.tmp")
    staging.write_text(page, encoding="utf-8")
    staging.replace(target)  # a browser reloading mid-write sees the old page or the new
    return target


def serve_dashboard(out_dir: Path, port: int, console: Console | None = None,
                    lang: str = DEFAULT_LANG) -> None:
    """Serve `out_dir` (the static page, built in `lang`) on 127.0.0.1:`port` until Ctrl-C."""
    from ingest.serving import serve_static

    if not (out_dir / "index.html").exists():
        raise DashboardError(f"no dashboard in {out_dir}: run `cchc dashboard --lang {lang} --out {out_dir}` "
                             "first")
    serve_static(out_dir, port, console or Console(), "the dashboard")


def main(argv: list[str]) -> int:
    from ingest.settings import get_settings

    lang = DEFAULT_LANG
    if "--lang" in argv:
        at = argv.index("--lang")
        lang = argv[at + 1] if at + 1 < len(argv) else ""
        argv = argv[:at] + argv[at + 2:]
    settings = get_settings()
    serving = Path(argv[0]) if argv else settings.serving
    out_dir = Path(argv[1]) if len(argv) > 1 else settings.serving.parent / "dashboard"
    try:
        page = build_dashboard(serving, out_dir, lang)
    except DashboardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"dashboard": str(page)}))
    return 0
