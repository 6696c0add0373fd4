"""The dashboard's page: one self-contained static HTML file (plotly.js inlined, so it
works offline) with the year's tiles, one section per chart and the register table."""

from __future__ import annotations

import html
import json
from datetime import date, datetime

from plotly.offline import get_plotlyjs
from plotly.utils import PlotlyJSONEncoder

from ingest.dashboard.charts import FONT, Chart

SEVERITIES = {"fail": "Failure", "warn": "Warning"}


def register_table(rows: list[dict]) -> str:
    """The discrepancy register of this release as an HTML table (a register is read, not plotted)."""
    if not rows:
        return "<p class=caption>No discrepancies in this release: every report check passed.</p>"

    def number(value: float | None) -> str:
        return "" if value is None else f"{value:,.2f}".rstrip("0").rstrip(".")

    body = "".join(
        "<tr>"
        f"<td><span class='chip {html.escape(row['severity'] or '')}'>"
        f"{html.escape(SEVERITIES.get(row['severity'], row['severity'] or ''))}</span></td>"
        f"<td>{html.escape(row['check_name'] or '')}</td>"
        f"<td>{html.escape(row['metric_label'] or '')}</td>"
        f"<td>{row['report_year'] or ''}</td>"
        f"<td class=num>{number(row['expected'])}</td><td class=num>{number(row['observed'])}</td>"
        f"<td class=num>{number(row['difference'])}</td><td class=num>{number(row['tolerance'])}</td>"
        f"<td>{html.escape(row['source_lines'] or '')}</td>"
        "</tr>"
        for row in rows)
    # Each check says once why its findings are listed rather than blocking.
    reasons = dict.fromkeys((row["check_name"], row["message"]) for row in rows if row["message"])
    notes = "".join(f"<li><b>{html.escape(check)}</b>: {html.escape(message)}</li>"
                    for check, message in reasons)
    return (
        "<table class=register><thead><tr><th>Status</th><th>Check</th><th>Figure</th><th>Year</th>"
        "<th>Expected</th><th>Observed</th><th>Difference</th><th>Tolerance</th><th>Report lines</th>"
        f"</tr></thead><tbody>{body}</tbody></table><ul class=caption>{notes}</ul>")


STYLE = """
:root { --font: FONT_FAMILY; --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --bg: #f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font-family: var(--font); }
header { background: #102a43; color: #f0f4f8; padding: 22px 32px 18px; }
header h1 { margin: 0 0 6px; font-size: 24px; font-weight: 600; }
header .release { font-size: 13px; color: #bcccdc; }
header code { color: #fff; background: rgba(255,255,255,.08); padding: 1px 6px; border-radius: 4px; }
main { max-width: 1400px; margin: 0 auto; padding: 20px 24px 40px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; }
.tile { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
.tile .value { font-size: 28px; font-weight: 650; }
.tile .label { font-size: 13px; color: var(--muted); margin-top: 2px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(620px, 1fr)); gap: 18px;
        margin-top: 18px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px 8px; }
section.wide { grid-column: 1 / -1; }
section h2 { margin: 0 0 4px; font-size: 18px; font-weight: 600; }
.caption { margin: 0 0 8px; color: var(--muted); font-size: 14px; line-height: 1.45; max-width: 110ch; }
table.register { width: 100%; border-collapse: collapse; font-size: 13px; margin: 6px 0 12px; }
table.register th { text-align: left; color: var(--muted); font-weight: 600;
                    border-bottom: 2px solid var(--line); padding: 6px 8px; }
table.register td { border-bottom: 1px solid var(--line); padding: 6px 8px; vertical-align: top; }
table.register td.num { text-align: right; font-variant-numeric: tabular-nums; }
.chip { display: inline-block; border-radius: 10px; padding: 1px 8px; font-size: 12px; white-space: nowrap; }
.chip.warn { background: #fff3c4; color: #8d6708; }
.chip.fail { background: #ffe3e3; color: #a61b1b; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 0 0 24px; }
""".replace("FONT_FAMILY", FONT)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} %"


def _tiles(glance: dict | None) -> str:
    if glance is None:
        return "<p class=caption>No dossier exports in this release.</p>"
    period = f"{glance['period_start_date']:%d/%m/%Y} – {glance['period_end_date']:%d/%m/%Y}"
    tiles = (
        (f"{glance['dossiers_received']:,}", f"dossiers received, reporting year {glance['reporting_year']}"),
        (_percent(glance["on_time_rate"]), f"resolved on time ({glance['dossiers_resolved']:,} resolved)"),
        (_percent(glance["late_rate"]), "resolved late"),
        (_percent(glance["online_rate"]), "filed online"),
        (_percent(glance["paid_online_rate"]), "of fees paid online"),
        (_percent(glance["online_enabled_rate"]),
         f"of {glance['procedures_in_catalog']:,} procedures online (level 3-4)"),
    )
    cells = "".join(f"<div class=tile><div class=value>{html.escape(value)}</div>"
                    f"<div class=label>{html.escape(label)}</div></div>" for value, label in tiles)
    return (f"<div class=tiles>{cells}</div><p class=caption style='margin-top:8px'>Reporting year "
            f"{glance['reporting_year']} runs {period}; rates are counts over counts from the dossier "
            "exports, not averages of agency rates.</p>")


def _release_line(release: dict) -> str:
    parts = [f"Release <code>{html.escape(str(release['release_id']))}</code>"]
    published = release.get("published_at")
    if isinstance(published, datetime | date):
        parts.append(f"published {published:%Y-%m-%d %H:%M} UTC")
    if release.get("checks_passed") is not None:
        parts.append(f"checks: {release['checks_passed']} passed, {release.get('checks_warned') or 0} "
                     f"warned, {release.get('checks_failed') or 0} failed")
    if release.get("source_files"):
        parts.append(f"built from {release['source_files']:,} source files")
    return " · ".join(parts)


def _figure_html(chart: Chart) -> str:
    """The chart's div and the script that draws it. The figure goes in as UTF-8 JSON (plotly's
    own to_html escapes every non-ASCII letter), with `<` escaped so no text can end the script."""
    spec = chart.figure.to_plotly_json()
    config = {"displaylogo": False, "responsive": True,
              "toImageButtonOptions": {"filename": f"cchc-{chart.anchor}"}}
    payload = json.dumps({"data": spec["data"], "layout": spec["layout"], "config": config},
                         cls=PlotlyJSONEncoder, ensure_ascii=False).replace("<", "\\u003c")
    div_id = f"chart-{chart.anchor}"
    return (f'<div id="{div_id}" class="plotly-graph-div" '
            f'style="height:{chart.figure.layout.height}px; width:100%;"></div>\n'
            f'<script>(function () {{ const spec = {payload};\n'
            f'Plotly.newPlot("{div_id}", spec.data, spec.layout, spec.config); }})();</script>\n')


def render_page(release: dict, province: str | None, glance: dict | None, charts: list[Chart],
                register_html: str) -> str:
    """The whole page: plotly.js once, inline, then the header, tiles and one section per chart."""
    wide = {"months", "agencies", "procedures", "report-vs-exports"}
    sections = "".join(
        f"<section id={chart.anchor} class='{'wide' if chart.anchor in wide else ''}'>"
        f"<h2>{html.escape(chart.title)}</h2><p class=caption>{html.escape(chart.caption)}</p>"
        f"{_figure_html(chart)}</section>"
        for chart in charts)
    register = ("<section id=register class=wide><h2>Discrepancy register</h2><p class=caption>"
                "Every finding of a failed report check in this release, with both values: figures of "
                "the report that disagree with each other or with what the exports add up to. Warnings "
                "are listed here and do not block publishing; a failure stops the release.</p>"
                f"{register_html}</section>")
    title = f"CCHC dashboard · {province}" if province else "CCHC dashboard"
    release_id = html.escape(str(release["release_id"]))
    return (
        "<!doctype html>\n<html lang=en>\n<head>\n<meta charset=utf-8>\n"
        "<meta name=viewport content='width=device-width, initial-scale=1'>\n"
        f"<meta name=cchc-release content='{release_id}'>\n"
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n"
        f"<script type='text/javascript'>{get_plotlyjs()}</script>\n</head>\n<body>\n"
        f"<header><h1>{html.escape(title)}</h1><div class=release>{_release_line(release)}</div></header>\n"
        f"<main>{_tiles(glance)}<div class=grid>{sections}{register}</div></main>\n"
        "<footer>Administrative reform (cải cách hành chính) statistics from the published marts; "
        "built by <code>cchc dashboard</code>.</footer>\n</body>\n</html>\n")
