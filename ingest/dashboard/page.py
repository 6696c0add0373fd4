"""The dashboard's page: one self-contained static HTML file (plotly.js inlined, so it
works offline) with the year's tiles, one section per chart and the register table."""

from __future__ import annotations

import html
import json
from datetime import date, datetime

from plotly.offline import get_plotlyjs
from plotly.utils import PlotlyJSONEncoder

from ingest.dashboard.charts import FONT, Chart, year_text
from ingest.dashboard.labels import LABELS, Labels
from ingest.dashboard.queries import Period


def register_table(rows: list[dict], t: Labels) -> str:
    """The discrepancy register of this release as an HTML table (a register is read, not plotted)."""
    if not rows:
        return f"<p class=caption>{html.escape(t('register.none'))}</p>"

    def cells(row: dict) -> str:
        severity, check = row["severity"] or "", row["check_name"] or ""
        label = row[f"label_{t.lang}"] or row["metrics"] or ""
        return (
            f"<td><span class='chip {html.escape(severity)}'>"
            f"{html.escape(t.get(f'severity.{severity}', severity))}</span></td>"
            f"<td title='{html.escape(check)}'>{html.escape(t.get(f'check.{check}', check))}</td>"
            f"<td>{html.escape(label)}</td><td>{row['report_year'] or ''}</td>"
            + "".join(f"<td class=num>{t.decimal(row[key])}</td>"
                      for key in ("expected", "observed", "difference", "tolerance"))
            + f"<td>{html.escape(row['source_lines'] or '')}</td>"
            + f"<td>{html.escape(row[f'message_{t.lang}'] or '')}</td>")

    body = "".join(f"<tr>{cells(row)}</tr>" for row in rows)
    # Each check says once why its findings are listed rather than blocking.
    reasons = dict.fromkeys(
        (row["check_name"], t(f"reason.{row['check_name']}"))
        for row in rows if f"reason.{row['check_name']}" in LABELS)
    notes = "".join(f"<li><b>{html.escape(t.get(f'check.{check}', check))}</b>: {html.escape(reason)}</li>"
                    for check, reason in reasons)
    headers = "".join(f"<th>{html.escape(t(f'register.{key}'))}</th>" for key in (
        "status", "check", "figure", "year", "expected", "observed", "difference", "tolerance", "lines",
        "finding"))
    return (f"<table class=register><thead><tr>{headers}</tr></thead><tbody>{body}</tbody></table>"
            f"<ul class=caption>{notes}</ul>")


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
.caption.note { border-left: 3px solid #9fb3c8; padding-left: 10px; }
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


def _tiles(glance: dict | None, t: Labels) -> str:
    if glance is None:
        return f"<p class=caption>{html.escape(t('glance.none'))}</p>"
    period: Period = glance["period"]
    year = year_text(t, glance["reporting_year"], period)
    tiles = (
        (t.number(glance["dossiers_received"]), t("glance.received", year=year)),
        (t.percent(glance["on_time_rate"]),
         t("glance.on_time", resolved=t.number(glance["dossiers_resolved"]))),
        (t.percent(glance["late_rate"]), t("glance.late")),
        (t.percent(glance["online_rate"]), t("glance.online")),
        (t.percent(glance["paid_online_rate"]), t("glance.paid_online")),
        (t.percent(glance["online_enabled_rate"]),
         t("glance.online_enabled", procedures=t.number(glance["procedures_in_catalog"]))),
    )
    cells = "".join(f"<div class=tile><div class=value>{html.escape(value)}</div>"
                    f"<div class=label>{html.escape(label)}</div></div>" for value, label in tiles)
    caption = t("glance.caption", year=year, start=t.date(period.start), end=t.date(period.end))
    note = t("year.note", year=glance["reporting_year"],
             bounds=t("period.bounds", start=t.date(period.start), end=t.date(period.end)),
             covered=t.number(period.days_covered), days=t.number(period.days),
             share=t.percent(100 * period.coverage))
    return (f"<div class=tiles>{cells}</div>"
            f"<p class=caption style='margin-top:8px'>{html.escape(caption)}</p>"
            f"<p class='caption note' id=year-note>{html.escape(note)}</p>")


def _release_line(release: dict, t: Labels) -> str:
    parts = [t("page.release", release=f"<code>{html.escape(str(release['release_id']))}</code>")]
    published = release.get("published_at")
    if isinstance(published, datetime | date):
        when = f"{published:%d/%m/%Y %H:%M}" if t.lang == "vi" else f"{published:%Y-%m-%d %H:%M}"
        parts.append(t("page.published", when=when))
    if release.get("checks_passed") is not None:
        parts.append(t("page.checks", passed=release["checks_passed"],
                       warned=release.get("checks_warned") or 0, failed=release.get("checks_failed") or 0))
    if release.get("source_files"):
        parts.append(t("page.sources", files=t.number(release["source_files"])))
    return " · ".join(parts)


def _figure_html(chart: Chart, t: Labels) -> str:
    """The chart's div and the script that draws it. The figure goes in as UTF-8 JSON (plotly's
    own to_html escapes every non-ASCII letter), with `<` escaped so no text can end the script."""
    spec = chart.figure.to_plotly_json()
    config = {"displaylogo": False, "responsive": True, "locale": t.lang,
              "toImageButtonOptions": {"filename": f"cchc-{chart.anchor}"}}
    payload = json.dumps({"data": spec["data"], "layout": spec["layout"], "config": config},
                         cls=PlotlyJSONEncoder, ensure_ascii=False).replace("<", "\\u003c")
    div_id = f"chart-{chart.anchor}"
    return (f'<div id="{div_id}" class="plotly-graph-div" '
            f'style="height:{chart.figure.layout.height}px; width:100%;"></div>\n'
            f'<script>(function () {{ const spec = {payload};\n'
            f'Plotly.newPlot("{div_id}", spec.data, spec.layout, spec.config); }})();</script>\n')


def render_page(release: dict, province: str | None, glance: dict | None, charts: list[Chart],
                register_html: str, t: Labels) -> str:
    """The whole page: plotly.js once, inline, then the header, tiles and one section per chart."""
    wide = {"months", "levels", "agencies", "procedures", "report-vs-exports"}
    sections = "".join(
        f"<section id={chart.anchor} class='{'wide' if chart.anchor in wide else ''}'>"
        f"<h2>{html.escape(chart.title)}</h2><p class=caption>{html.escape(chart.caption)}</p>"
        f"{_figure_html(chart, t)}</section>"
        for chart in charts)
    register = (f"<section id=register class=wide><h2>{html.escape(t('register.title'))}</h2>"
                f"<p class=caption>{html.escape(t('register.caption'))}</p>{register_html}</section>")
    title = t("page.title_province", province=province) if province else t("page.title")
    release_id = html.escape(str(release["release_id"]))
    # plotly.js speaks English; the toolbar's words and the number format come from labels.py.
    locale = (f"<script>Plotly.register({json.dumps(t.plotly_locale, ensure_ascii=False)});</script>\n"
              if t.plotly_locale else "")
    other = "vi" if t.lang == "en" else "en"
    footer = t("page.footer", command="<code>cchc dashboard</code>",
               other=f"<code>cchc dashboard --lang {other}</code>")
    return (
        f"<!doctype html>\n<html lang={t.lang}>\n<head>\n<meta charset=utf-8>\n"
        "<meta name=viewport content='width=device-width, initial-scale=1'>\n"
        f"<meta name=cchc-release content='{release_id}'>\n"
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n"
        f"<script type='text/javascript'>{get_plotlyjs()}</script>\n{locale}</head>\n<body>\n"
        f"<header><h1>{html.escape(title)}</h1>"
        f"<div class=release>{_release_line(release, t)}</div></header>\n"
        f"<main>{_tiles(glance, t)}<div class=grid>{sections}{register}</div></main>\n"
        f"<footer>{footer}</footer>\n</body>\n</html>\n")
