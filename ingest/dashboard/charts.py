"""The dashboard's charts: one function per chart, from the rows of its query
(queries/<name>.sql) to a plotly figure with its title and caption. No SQL here, and no
words: every title, label and note comes from labels.py in the page's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ingest.dashboard.labels import Labels
from ingest.dashboard.queries import Period

FONT = "Inter, 'Segoe UI', Roboto, 'Noto Sans', 'DejaVu Sans', Arial, sans-serif"
COLOURS = {
    "on_time": "#2a9d8f",
    "online": "#3a6ea5",
    "late": "#d1495b",
    "payment": "#8e6bbf",
    "postal": "#e9a23b",
    "neutral": "#c9ced6",
    "report": "#5c6773",
    "agrees": "#2a9d8f",
    "listed": "#e76f51",
}
LEVEL_COLOURS = {"province": "#3a6ea5", "district": "#2a9d8f", "commune": "#e9a23b"}


@dataclass(frozen=True)
class Chart:
    anchor: str    # html id of the section
    title: str
    caption: str   # one or two sentences: what the chart shows and how to read it
    figure: go.Figure


# Every legend lies flat under its plot, in the figure's bottom margin: plotly's toolbar
# (the modebar) floats over the top right corner, so nothing may be drawn up there.
LEGEND = {"orientation": "h", "xref": "paper", "x": 0, "xanchor": "left",
          "yref": "container", "y": 0, "yanchor": "bottom"}
LEGEND_HEIGHT = 40  # one row of legend, and a gap above it
BAR_MONTH = 24 * 86_400_000  # a month's bar on a date axis, in milliseconds (plotly's unit)


def _layout(figure: go.Figure, t: Labels, height: int, *, top: int = 30, bottom: int = 40, right: int = 20,
            legend: bool = True, legend_rows: int = 1, **extra: object) -> go.Figure:
    """The house look: white template, the page's font and number format, tight margins, the
    legend below the plot (`bottom` is the room the x axis needs above it; a second legend
    goes in a row of its own)."""
    legends = LEGEND_HEIGHT * legend_rows if legend else 0
    layout = {
        "template": "plotly_white",
        "height": height + legends,
        "font": {"family": FONT, "size": 13, "color": "#1f2933"},
        "separators": t.separators,
        "margin": {"l": 10, "r": right, "t": top, "b": bottom + legends},
        "showlegend": legend,
        "legend": LEGEND,
        "hoverlabel": {"font": {"family": FONT}},
    }
    figure.update_layout({**layout, **extra})
    return figure


def _shade(light: str, dark: str, share: float) -> str:
    """The colour `share` (0-1) of the way from `light` to `dark` (hex)."""
    ends = [[int(colour[i:i + 2], 16) for i in (1, 3, 5)] for colour in (light, dark)]
    mixed = (round(a + (b - a) * max(0.0, min(share, 1.0))) for a, b in zip(*ends, strict=True))
    return "#" + "".join(f"{channel:02x}" for channel in mixed)


def _no_data(figure: go.Figure, message: str) -> go.Figure:
    figure.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                          font={"size": 15, "color": "#7b8794"})
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return figure


def period_text(t: Labels, period: Period | None) -> str:
    """"15/12/2019 – 14/12/2020", marked when the exports do not cover all of it."""
    if period is None:
        return "–"
    bounds = t("period.bounds", start=t.date(period.start), end=t.date(period.end))
    return bounds if period.is_complete else t("period.incomplete", period=bounds)


def year_text(t: Labels, year: int | None, period: Period | None) -> str:
    """"2020", or "2020 (chưa đủ kỳ)" when the exports do not cover the whole reporting year."""
    if year is None:
        return "–"
    return str(year) if period is None or period.is_complete else t("period.incomplete", period=year)


def _bounds(t: Labels, period: Period | None) -> str:
    return "–" if period is None else t("period.bounds", start=t.date(period.start), end=t.date(period.end))


def month_gaps(spans: list[tuple[date, date]]) -> list[dict]:
    """Plotly rangebreaks over the stretches between the drawn months (each (first, last) day
    it covers): exports of 2020 and of 2025 would otherwise leave four empty years on the axis."""
    return [{"bounds": [before[1], after[0]]}
            for before, after in pairwise(spans) if (after[0] - before[1]).days > 1]


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def month_cutoff(t: Labels, period: Period) -> str:
    """How a reporting month runs: "ngày 15 tháng trước – ngày 14", or calendar months."""
    if period.start.day == 1:
        return t("months.calendar")
    return t("months.cutoff", first=period.start.day, last=period.end.day)


def chart_monthly_rates(rows: list[dict], t: Labels) -> Chart:
    """Reporting months (rows carry their `period`: bounds and coverage by the exports)."""
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    months = [row["period_month"] for row in rows]
    complete = [row["period"].is_complete for row in rows]
    # Counts on the primary axis (drawn first, underneath), rates on the secondary one.
    # Months the exports do not cover in full: hatched bars of their own, hollow markers.
    for whole, name, pattern in ((True, "months.received", ""), (False, "months.received_incomplete", "/")):
        picked = [row for row in rows if row["period"].is_complete == whole]
        if not picked and not whole:
            continue
        figure.add_bar(
            x=[row["period_month"] for row in picked], y=[row["dossiers_received"] for row in picked],
            name=t(name),
            marker={"color": COLOURS["neutral"], "pattern": {"shape": pattern, "solidity": 0.3}},
            width=BAR_MONTH, opacity=0.7, secondary_y=False,
            customdata=[[period_text(t, row["period"])] for row in picked],
            hovertemplate=t("months.hover_received"))
    for key, name, numerator, denominator, hover in (
        ("on_time_rate", "months.on_time", "dossiers_on_time", "dossiers_resolved", "months.hover_on_time"),
        ("online_rate", "months.online", "dossiers_online", "dossiers_received", "months.hover_online"),
    ):
        colour = COLOURS["on_time" if key == "on_time_rate" else "online"]
        figure.add_scatter(
            x=months, y=[row[key] for row in rows], name=t(name), mode="lines+markers",
            line={"color": colour, "width": 3},
            marker={"size": 8, "symbol": ["circle" if whole else "circle-open" for whole in complete],
                    "line": {"width": 2, "color": colour}},
            customdata=[[row[numerator], row[denominator]] for row in rows],
            hovertemplate=t(hover), secondary_y=True)
    if not rows:
        _no_data(figure, t("no_dossiers"))
    # How a month runs, read off a whole one (the first may be cut short by the date spine).
    spans = sorted((row["period"] for row in rows), key=lambda period: -period.days)
    cutoff = month_cutoff(t, spans[0]) if spans else ""
    _layout(figure, t, 420, bottom=60, hovermode="x unified", barmode="overlay")
    figure.update_yaxes(title_text=t("months.rate_axis"), range=[0, 105], tickmode="linear", tick0=0,
                        dtick=20, ticksuffix=" %", side="left", showgrid=True, secondary_y=True)
    figure.update_yaxes(title_text=t("months.received"), showgrid=False, rangemode="tozero", side="right",
                        secondary_y=False)
    figure.update_xaxes(tickformat="%m/%Y", hoverformat="%m/%Y", dtick="M1",
                        title_text=t("months.month_axis", cutoff=cutoff))
    gaps = month_gaps([(month - timedelta(days=16), month + timedelta(days=16)) for month in months])
    if months:  # half a month either side (autorange pads bars of uneven traces by a year)
        # A tick per month drawn: a regular one would land on the edge of a break.
        figure.update_xaxes(range=[months[0] - timedelta(days=16), months[-1] + timedelta(days=16)],
                            rangebreaks=gaps, tickvals=months)
    span = (t("months.span", first=t.month(months[0]), last=t.month(months[-1])) if months
            else t("months.none"))
    caption = t("months.caption", span=span, cutoff=cutoff) + (t("months.gaps") if gaps else "")
    return Chart("months", t("months.title"), caption, figure)


def chart_levels(rows: list[dict], t: Labels, district_level_end: date | None) -> Chart:
    """Dossiers received per calendar month by the level of the agency of the time, with the
    day the district level was abolished marked (`district_level_end`: its last day)."""
    figure = go.Figure()
    months = sorted({row["month_date"] for row in rows})
    for level, colour in LEVEL_COLOURS.items():
        picked = [row for row in rows if row["agency_level"] == level]
        if not picked:
            continue
        # Each bar fills its calendar month, so a reform on the 1st falls between two bars.
        figure.add_bar(
            x=[row["month_date"] for row in picked], y=[row["dossiers_received"] for row in picked],
            name=t(f"levels.{level}"), marker_color=colour, xperiod="M1", xperiodalignment="middle",
            customdata=[[row["agencies"]] for row in picked],
            hovertemplate=t("levels.hover", level=t(f"levels.{level}")))
    if not rows:
        _no_data(figure, t("no_dossiers"))
    _layout(figure, t, 420, bottom=60, barmode="stack")
    gaps = month_gaps([(month, _next_month(month)) for month in months])
    # Labels in the middle of their month, as the bars are (not on the edge of a break).
    figure.update_xaxes(hoverformat="%m/%Y", tickvals=[month + timedelta(days=14) for month in months],
                        ticktext=[t.month(month) for month in months], rangebreaks=gaps,
                        title_text=t("levels.month_axis"))
    totals: dict = {}
    for row in rows:
        totals[row["month_date"]] = totals.get(row["month_date"], 0) + (row["dossiers_received"] or 0)
    # Headroom for the marker's label, written inside the plot (the toolbar owns the top margin).
    figure.update_yaxes(title_text=t("levels.axis"), rangemode="tozero",
                        range=[0, 1.2 * max(totals.values(), default=1)])
    reform = district_level_end + timedelta(days=1) if district_level_end else None
    marked = reform is not None and any(month in months for month in (reform, reform - timedelta(days=1)))
    if marked:
        figure.add_shape(type="line", xref="x", yref="paper", x0=reform, x1=reform, y0=0, y1=1,
                         line={"color": "#52606d", "width": 2, "dash": "dash"})
        figure.add_annotation(x=reform, xref="x", y=1, yref="paper", yanchor="top", xanchor="right",
                              xshift=-6, showarrow=False, text=t("levels.reform", date=t.day(reform)),
                              font={"size": 13, "color": "#1f2933"}, bgcolor="rgba(255,255,255,0.85)")
    span = (t("levels.span", first=t.month(months[0]), last=t.month(months[-1])) if months
            else t("months.none"))
    caption = t("levels.caption", span=span)
    if marked:
        caption += t("levels.caption_reform", date=t.date(reform))
    if gaps:
        caption += t("months.gaps")
    return Chart("levels", t("levels.title"), caption, figure)


def _agency_label(row: dict, t: Labels, period: Period | None) -> tuple[str, str]:
    """The agency's name, marked with the day it began or ended if that falls in `period`,
    and (for the hover) its successor: an abolished unit and its successor are two rows."""
    name, note = row["agency_name"], ""
    if period is None:
        return name, note
    began, ended = row["valid_from_date"], row["valid_to_date"]
    if ended is not None and ended < period.end:
        name = t("agencies.until", name=name, date=t.date(ended))
        if row["successor_name"]:
            note = t("agencies.successor", successor=row["successor_name"])
    elif began is not None and began > period.start:
        name = t("agencies.since", name=name, date=t.date(began))
    return name, note


def chart_agency_rates(rows: list[dict], t: Labels, year: int | None, period: Period | None) -> Chart:
    for row in rows:
        row["label"], row["note"] = _agency_label(row, t, period)
    labels = [row["label"] for row in rows]
    figure = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.05)
    for level, level_colour in LEVEL_COLOURS.items():
        picked = [row for row in rows if row["agency_level"] == level]
        if not picked:
            continue
        names = [row["label"] for row in picked]
        figure.add_scatter(
            x=[row["on_time_rate"] for row in picked], y=names, mode="markers",
            marker={"color": level_colour, "size": 11, "line": {"color": "white", "width": 1}},
            name=t(f"level.{level}"), legendgroup=level,
            customdata=[[row["dossiers_on_time"], row["dossiers_resolved"], row["note"]] for row in picked],
            hovertemplate=t("agencies.hover_on_time"), row=1, col=1)
        figure.add_bar(
            x=[row["online_rate"] for row in picked], y=names, orientation="h",
            marker_color=level_colour, name=t(f"level.{level}"), legendgroup=level, showlegend=False,
            customdata=[[row["dossiers_online"], row["dossiers_received"], row["note"]] for row in picked],
            hovertemplate=t("agencies.hover_online"), row=1, col=2)
    if not rows:
        _no_data(figure, t("no_dossiers"))
    low = min((row["on_time_rate"] for row in rows if row["on_time_rate"] is not None), default=0)
    high = max((row["online_rate"] for row in rows if row["online_rate"] is not None), default=0)
    _layout(figure, t, max(360, 22 * len(rows) + 150), top=100, bottom=20)
    # A fixed range, worst at the top: autorange pads a long category axis with empty rows.
    figure.update_yaxes(categoryorder="array", categoryarray=labels, range=[len(labels) - 0.5, -0.5],
                        tickfont={"size": 12}, automargin=True, ticklabelstandoff=6)
    figure.update_xaxes(ticksuffix=" %", side="top", showgrid=True)
    figure.update_xaxes(range=[max(0, low - 2), 100.5], title_text=t("agencies.on_time_axis"), row=1, col=1)
    figure.update_xaxes(range=[0, min(100, max(10, high * 1.15))], title_text=t("agencies.online_axis"),
                        row=1, col=2)
    total = rows[0]["agencies_total"] if rows else 0
    rest = rows[0]["rest_lowest_on_time_rate"] if rows else None
    if total <= len(rows):
        shown = t("agencies.all", total=t.number(total))
    else:
        others = (t("agencies.rest_none") if rest is None
                  else t("agencies.rest_all") if rest >= 100
                  else t("agencies.rest_least", rate=t.percent(rest)))
        shown = t("agencies.some", shown=len(rows), total=t.number(total), rest=t.number(total - len(rows)),
                  others=others)
    caption = t("agencies.caption", shown=shown, year=year_text(t, year, period), bounds=_bounds(t, period))
    changed = sum(1 for row in rows if row["label"] != row["agency_name"])
    if changed:
        caption += t("agencies.changed", count=changed)
    return Chart("agencies", t("agencies.title"), caption, figure)


def chart_worst_districts(rows: list[dict], t: Labels, year: int | None, period: Period | None,
                          district_level_end: date | None = None) -> Chart:
    worst = max((row["late_rate"] for row in rows), default=0) or 1
    figure = go.Figure(go.Bar(
        x=[row["late_rate"] for row in rows], y=[row["district_label"] for row in rows], orientation="h",
        marker_color=[_shade("#f6c6cc", COLOURS["late"], row["late_rate"] / worst) for row in rows],
        text=[t("districts.bar", rate=t.percent(row["late_rate"]), late=t.number(row["dossiers_late"]),
                resolved=t.number(row["dossiers_resolved"])) for row in rows],
        textposition="outside", cliponaxis=False, textfont={"color": "#1f2933"},
        customdata=[[row["agencies"]] for row in rows], hovertemplate=t("districts.hover")))
    if not rows:
        _no_data(figure, t("districts.none"))
    _layout(figure, t, max(300, 38 * len(rows) + 100), bottom=50, legend=False)
    figure.update_yaxes(autorange="reversed", automargin=True, ticklabelstandoff=8)
    figure.update_xaxes(ticksuffix=" %", range=[0, worst * 1.45], title_text=t("districts.axis"))
    caption = t("districts.caption", year=year_text(t, year, period), bounds=_bounds(t, period))
    if district_level_end is not None and period is not None and period.end > district_level_end:
        caption += t("districts.ended", end=t.date(district_level_end))
    return Chart("districts", t("districts.title"), caption, figure)


def chart_procedure_digitisation(rows: list[dict], t: Labels, year: int | None,
                                 period: Period | None) -> Chart:
    levels = [t.get(f"procedures.level.{row['service_level']}",
                    t("procedures.level", level=row["service_level"])) for row in rows]
    figure = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                           subplot_titles=(t("procedures.catalog_title"), t("procedures.usage_title")))
    for key, name, colour in (("procedures", "procedures.all", COLOURS["neutral"]),
                              ("procedures_online_payment", "procedures.payable_online", COLOURS["payment"]),
                              ("procedures_postal", "procedures.by_post", COLOURS["postal"])):
        figure.add_bar(x=levels, y=[row[key] for row in rows], name=t(name), marker_color=colour,
                       legend="legend", text=[t.number(row[key]) for row in rows], textposition="outside",
                       constraintext="none", cliponaxis=False,
                       hovertemplate=t("procedures.hover_count", name=t(name)), row=1, col=1)
    for key, name, colour, numerator, denominator in (
        ("online_rate", "procedures.filed_online", COLOURS["online"], "dossiers_online", "dossiers_received"),
        ("paid_online_rate", "procedures.paid_online", COLOURS["payment"],
         "dossiers_paid_online", "dossiers_with_fee"),
        ("postal_rate", "procedures.filed_by_post", COLOURS["postal"],
         "dossiers_postal", "dossiers_received"),
    ):
        figure.add_bar(x=levels, y=[row[key] for row in rows], name=t(name), marker_color=colour,
                       legend="legend2",
                       text=[t.percent(row[key]) if row[key] is not None else "" for row in rows],
                       textposition="outside", constraintext="none", cliponaxis=False,
                       customdata=[[row[numerator], row[denominator]] for row in rows],
                       hovertemplate=t("procedures.hover_rate", name=t(name)), row=1, col=2)
    if not rows:
        _no_data(figure, t("procedures.none"))
    _layout(figure, t, 420, top=50, bottom=50, legend_rows=2, barmode="group")
    # Two legends, one per half, in two rows of the bottom margin: the catalog's above.
    figure.update_layout(
        legend={"y": LEGEND_HEIGHT / figure.layout.height, "title": {"text": t("procedures.catalog_legend")}},
        legend2={**LEGEND, "title": {"text": t("procedures.dossiers_legend")}})
    figure.update_yaxes(rangemode="tozero", row=1, col=1)
    figure.update_yaxes(ticksuffix=" %", rangemode="tozero", row=1, col=2)
    return Chart(
        "procedures", t("procedures.title"),
        t("procedures.caption", year=year_text(t, year, period), bounds=_bounds(t, period)), figure)


def chart_decision_766(rows: list[dict], t: Labels, year: int | None, period: Period | None) -> Chart:
    labels = [t.get(f"d766.{row['indicator_code']}", row["indicator_code"]) for row in rows]
    figure = go.Figure()
    figure.add_bar(
        x=[row["max_points"] for row in rows], y=labels, orientation="h", name=t("d766.available"),
        marker_color="#e4e7eb", width=0.75, hoverinfo="skip")
    figure.add_bar(
        x=[row["points"] or 0 for row in rows], y=labels, orientation="h", name=t("d766.earned"),
        marker_color=COLOURS["on_time"], width=0.45,
        text=[f"{t.short(row['points'] or 0)} / {t.short(row['max_points'])}" for row in rows],
        textposition="outside", cliponaxis=False,
        customdata=[[row["achieved_rate"] or 0, row["numerator"], row["denominator"],
                     100 * row["full_points_share"],
                     t("d766.group", group=row["indicator_group"],
                       name=t.get(f"d766.group.{row['indicator_group']}", row["indicator_group_name"]))]
                    for row in rows],
        hovertemplate=t("d766.hover"))
    earned = sum(row["points"] or 0 for row in rows)
    available = sum(row["max_points"] for row in rows)
    if not rows:
        _no_data(figure, t("d766.none", year=year))
    _layout(figure, t, 360, bottom=50, barmode="overlay", right=30)
    figure.update_yaxes(autorange="reversed", automargin=True, ticklabelstandoff=8)
    widest = max((row["max_points"] for row in rows), default=1)
    figure.update_xaxes(title_text=t("d766.axis"), range=[0, widest * 1.25])
    return Chart(
        "decision-766", t("d766.title"),
        t("d766.caption", year=year_text(t, year, period), bounds=_bounds(t, period),
          earned=t.number(earned, 2), available=t.short(available)),
        figure)


def _status(row: dict) -> str:
    return "listed" if row["is_listed"] else "agrees"


def chart_report_vs_exports(rows: list[dict], t: Labels, period: Period | None) -> Chart:
    """The latest report's figures against the exports; `period`: the report's period, covered."""
    counts = [row for row in rows if row["figure_unit"] != "percent"]
    percents = [row for row in rows if row["figure_unit"] == "percent"]
    figure = make_subplots(rows=1, cols=2, horizontal_spacing=0.22,
                           subplot_titles=(t("rve.counts_title"), t("rve.percents_title")))
    # Each figure is labelled with both values, so the numbers stay out of the plot area.
    for row in rows:
        row["metric_label"] = row[f"label_{t.lang}"] or row["metric_id"]
    for row in counts:
        share = 100 * row["exports_value"] / row["report_value"] if row["report_value"] else None
        row["label"] = t("rve.count_label", metric=row["metric_label"], share=t.percent(share))
    for row in percents:
        row["label"] = t("rve.percent_label", metric=row["metric_label"], report=t.short(row["report_value"]),
                         exports=t.short(row["exports_value"]))
    connectors_x: list = []
    connectors_y: list = []
    for row in counts:
        connectors_x += [row["report_value"], row["exports_value"], None]
        connectors_y += [row["label"], row["label"], None]
    figure.add_scatter(x=connectors_x, y=connectors_y, mode="lines", line={"color": "#cbd2d9", "width": 4},
                       hoverinfo="skip", showlegend=False, row=1, col=1)
    figure.add_scatter(
        x=[row["report_value"] for row in counts], y=[row["label"] for row in counts], mode="markers",
        name=t("rve.report_says"), marker={"symbol": "diamond", "size": 14, "color": COLOURS["report"]},
        customdata=[[row["source_line"]] for row in counts], hovertemplate=t("rve.hover_report"),
        row=1, col=1)
    for status in ("listed", "agrees"):
        picked = [row for row in counts if _status(row) == status]
        figure.add_scatter(
            x=[row["exports_value"] for row in picked], y=[row["label"] for row in picked],
            mode="markers", name=t(f"rve.{status}"), legendgroup=status,
            marker={"size": 14, "color": COLOURS[status]}, hovertemplate=t("rve.hover_exports"),
            row=1, col=1)
        picked = [row for row in percents if _status(row) == status]
        figure.add_bar(
            x=[row["difference"] for row in picked], y=[row["label"] for row in picked], orientation="h",
            name=t(f"rve.{status}"), legendgroup=status, marker_color=COLOURS[status],
            showlegend=not any(_status(row) == status for row in counts) and bool(picked),
            customdata=[[row["exports_numerator"], row["exports_denominator"], row["source_line"]]
                        for row in picked],
            hovertemplate=t("rve.hover_difference"), row=1, col=2)
    if not rows:
        _no_data(figure, t("rve.none"))
    widest = max((abs(row["difference"]) for row in percents), default=1) or 1
    _layout(figure, t, max(320, 52 * max(len(counts), len(percents), 1) + 90), top=50, bottom=50,
            right=30)
    figure.update_xaxes(type="log", title_text=t("rve.counts_axis"), row=1, col=1)
    figure.update_xaxes(range=[-widest * 1.3, widest * 1.3], zeroline=True, zerolinecolor="#52606d",
                        zerolinewidth=2, ticksuffix=t("rve.points_suffix"), title_text=t("rve.points_axis"),
                        row=1, col=2)
    figure.update_yaxes(automargin=True, ticklabelstandoff=8)
    year = rows[0]["report_year"] if rows else None
    listed = sum(1 for row in rows if row["is_listed"])
    return Chart(
        "report-vs-exports", t("rve.title"),
        t("rve.caption", year=year, bounds=_bounds(t, period),
          covered=t.number(period.days_covered if period else 0), days=t.number(period.days if period else 0),
          listed=listed, total=len(rows)),
        figure)
