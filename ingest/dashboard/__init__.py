"""The dashboard of the published release: one self-contained static HTML page.

Three jobs, three modules: queries.py (+ queries/*.sql) reads the read-only serving copy,
marts only, with rates from the release's metric definitions; charts.py draws each
chart from its rows; page.py lays out the page. This module wires them.

    python -m ingest.dashboard [SERVING] [OUT_DIR]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb
from rich.console import Console

from ingest.dashboard import charts
from ingest.dashboard.charts import Chart
from ingest.dashboard.page import register_table, render_page
from ingest.dashboard.queries import AGENCY_LIMIT, DashboardError, open_release, read_release, rows

__all__ = ["DashboardError", "build_dashboard", "open_release", "page_content", "serve_dashboard"]


def page_content(con: duckdb.DuckDBPyConnection) -> tuple[dict | None, list[Chart]]:
    """The year at a glance (None without dossiers) and every chart, in page order."""
    found = rows(con, "glance")
    glance = found[0] if found else None
    year = glance["reporting_year"] if glance else None
    return glance, [
        charts.chart_monthly_rates(rows(con, "monthly")),
        charts.chart_agency_rates(rows(con, "agencies", limit=AGENCY_LIMIT)),
        charts.chart_worst_districts(rows(con, "districts")),
        charts.chart_decision_766(rows(con, "decision_766", year=year), year),
        charts.chart_procedure_digitisation(rows(con, "digitisation", year=year), year),
        charts.chart_report_vs_exports(rows(con, "report_vs_exports")),
    ]


def build_dashboard(serving_path: Path, out_dir: Path) -> Path:
    """Write `out_dir/index.html` for the release at `serving_path`; return its path."""
    with open_release(serving_path) as con:
        release = read_release(con)
        glance, chart_list = page_content(con)
        register_html = register_table(rows(con, "register"))
    page = render_page(release, glance["province_name"] if glance else None, glance, chart_list,
                       register_html)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "index.html"
    staging = target.with_name(f".{target.name}.tmp")
    staging.write_text(page, encoding="utf-8")
    staging.replace(target)  # a browser reloading mid-write sees the old page or the new
    return target


def serve_dashboard(out_dir: Path, port: int, console: Console | None = None) -> None:
    """Serve `out_dir` (the static page) on 127.0.0.1:`port` until Ctrl-C."""
    from ingest.serving import serve_static

    if not (out_dir / "index.html").exists():
        raise DashboardError(f"no dashboard in {out_dir}: run `cchc dashboard --out {out_dir}` first")
    serve_static(out_dir, port, console or Console(), "the dashboard")


def main(argv: list[str]) -> int:
    from ingest.settings import get_settings

    settings = get_settings()
    serving = Path(argv[0]) if argv else settings.serving
    out_dir = Path(argv[1]) if len(argv) > 1 else settings.serving.parent / "dashboard"
    try:
        page = build_dashboard(serving, out_dir)
    except DashboardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"dashboard": str(page)}))
    return 0
