"""The dashboard's charts: one function per chart, from the rows of its query
(queries/<name>.sql) to a plotly figure with its title and caption. No SQL here."""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go
from plotly.subplots import make_subplots

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
LEVELS = {"province": "Provincial", "district": "District", "commune": "Commune"}
LEVEL_COLOURS = {"province": "#3a6ea5", "district": "#2a9d8f", "commune": "#e9a23b"}
SERVICE_LEVELS = {
    2: "Level 2<br>information only",
    3: "Level 3<br>partly online",
    4: "Level 4<br>fully online",
}
INDICATORS = {
    "processing_progress": "Processing progress<br><sub>resolved by the due date</sub>",
    "online_procedures": "Online procedures<br><sub>catalog at service level 3-4</sub>",
    "online_dossiers": "Online dossiers<br><sub>full points at 50 % online</sub>",
    "online_payment": "Online payment<br><sub>fees paid online</sub>",
    "digitisation": "Digitisation<br><sub>lower bound: online dossiers</sub>",
}


@dataclass(frozen=True)
class Chart:
    anchor: str    # html id of the section
    title: str
    caption: str   # one or two sentences: what the chart shows and how to read it
    figure: go.Figure


def _layout(figure: go.Figure, height: int, **extra: object) -> go.Figure:
    """The house look: white template, the page's font, legend on top, tight margins."""
    layout = {
        "template": "plotly_white",
        "height": height,
        "font": {"family": FONT, "size": 13, "color": "#1f2933"},
        "margin": {"l": 10, "r": 20, "t": 50, "b": 40},
        # The legend sits at the top of the figure, above titles and top axes.
        "legend": {"orientation": "h", "yref": "container", "y": 1, "yanchor": "top", "x": 0},
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


def chart_monthly_rates(rows: list[dict]) -> Chart:
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    months = [row["month_date"] for row in rows]
    # Counts on the primary axis (drawn first, underneath), rates on the secondary one.
    figure.add_bar(
        x=months, y=[row["dossiers_received"] for row in rows], name="Dossiers received",
        marker_color=COLOURS["neutral"], opacity=0.7, secondary_y=False,
        hovertemplate="%{x|%m/%Y}: %{y:,} dossiers received<extra></extra>")
    for key, name, numerator, denominator, noun in (
        ("on_time_rate", "On time (of resolved)", "dossiers_on_time", "dossiers_resolved", "resolved"),
        ("online_rate", "Online (of received)", "dossiers_online", "dossiers_received", "received"),
    ):
        colour = COLOURS["on_time" if key == "on_time_rate" else "online"]
        figure.add_scatter(
            x=months, y=[row[key] for row in rows], name=name, mode="lines+markers",
            line={"color": colour, "width": 3}, marker={"size": 8},
            customdata=[[row[numerator], row[denominator]] for row in rows],
            hovertemplate=f"%{{x|%m/%Y}}: %{{y:.1f}} % (%{{customdata[0]:,}} of %{{customdata[1]:,}} {noun})"
                          "<extra></extra>",
            secondary_y=True)
    if not rows:
        _no_data(figure, "No dossiers in this release")
    _layout(figure, 420, hovermode="x unified")
    figure.update_yaxes(title_text="Rate", range=[0, 105], tickmode="linear", tick0=0, dtick=20,
                        ticksuffix=" %", side="left", showgrid=True, secondary_y=True)
    figure.update_yaxes(title_text="Dossiers received", showgrid=False, rangemode="tozero", side="right",
                        secondary_y=False)
    figure.update_xaxes(tickformat="%m/%Y", dtick="M1")
    span = f"{months[0]:%m/%Y} to {months[-1]:%m/%Y}" if months else "no months"
    return Chart(
        "months", "On time and online, month by month",
        f"Whole province, {span}. Green: share of the dossiers resolved in the month that were resolved "
        "by their due date. Blue: share of the dossiers received in the month that were filed online "
        "(channel 2). Grey bars: how many dossiers came in.",
        figure)


def chart_agency_rates(rows: list[dict]) -> Chart:
    labels = [row["agency_name"] for row in rows]
    figure = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.05)
    for level, level_name in LEVELS.items():
        picked = [row for row in rows if row["agency_level"] == level]
        if not picked:
            continue
        names = [row["agency_name"] for row in picked]
        figure.add_scatter(
            x=[row["on_time_rate"] for row in picked], y=names, mode="markers",
            marker={"color": LEVEL_COLOURS[level], "size": 11, "line": {"color": "white", "width": 1}},
            name=level_name, legendgroup=level,
            customdata=[[row["dossiers_on_time"], row["dossiers_resolved"]] for row in picked],
            hovertemplate="%{y}<br>on time %{x:.1f} % (%{customdata[0]:,} of %{customdata[1]:,} resolved)"
                          "<extra></extra>",
            row=1, col=1)
        figure.add_bar(
            x=[row["online_rate"] for row in picked], y=names, orientation="h",
            marker_color=LEVEL_COLOURS[level], name=level_name, legendgroup=level, showlegend=False,
            customdata=[[row["dossiers_online"], row["dossiers_received"]] for row in picked],
            hovertemplate="%{y}<br>online %{x:.1f} % (%{customdata[0]:,} of %{customdata[1]:,} received)"
                          "<extra></extra>",
            row=1, col=2)
    if not rows:
        _no_data(figure, "No dossiers in this release")
    low = min((row["on_time_rate"] for row in rows if row["on_time_rate"] is not None), default=0)
    high = max((row["online_rate"] for row in rows if row["online_rate"] is not None), default=0)
    _layout(figure, max(360, 22 * len(rows) + 150), margin={"l": 10, "r": 20, "t": 100, "b": 20})
    # A fixed range, worst at the top: autorange pads a long category axis with empty rows.
    figure.update_yaxes(categoryorder="array", categoryarray=labels, range=[len(labels) - 0.5, -0.5],
                        tickfont={"size": 12}, automargin=True, ticklabelstandoff=6)
    figure.update_xaxes(ticksuffix=" %", side="top", showgrid=True)
    figure.update_xaxes(range=[max(0, low - 2), 100.5], title_text="<b>On time</b> (% of resolved)",
                        row=1, col=1)
    figure.update_xaxes(range=[0, min(100, max(10, high * 1.15))], title_text="<b>Online</b> (% of received)",
                        row=1, col=2)
    total = rows[0]["agencies_total"] if rows else 0
    rest = rows[0]["rest_lowest_on_time_rate"] if rows else None
    if total <= len(rows):
        shown = f"All {total} agencies with dossiers, worst on-time rate first"
    else:
        others = ("have resolved nothing yet" if rest is None
                  else "resolve every dossier on time" if rest >= 100
                  else f"resolve at least {rest:.1f} % on time")
        shown = (f"The {len(rows)} agencies with the lowest on-time rate, of {total} with dossiers "
                 f"(the other {total - len(rows)} {others})")
    return Chart(
        "agencies", "Agencies: on time and online",
        f"{shown}, over every month the exports cover. Dots: share of resolved dossiers resolved by "
        "their due date (the axis starts near the lowest rate). Bars: share of received dossiers "
        "filed online; hover for the counts. Colour: administrative level.",
        figure)


def chart_worst_districts(rows: list[dict]) -> Chart:
    worst = max((row["late_rate"] for row in rows), default=0) or 1
    figure = go.Figure(go.Bar(
        x=[row["late_rate"] for row in rows], y=[row["district_label"] for row in rows], orientation="h",
        marker_color=[_shade("#f6c6cc", COLOURS["late"], row["late_rate"] / worst) for row in rows],
        text=[f"{row['late_rate']:.1f} %  ({row['dossiers_late']:,} of {row['dossiers_resolved']:,})"
              for row in rows],
        textposition="outside", cliponaxis=False, textfont={"color": "#1f2933"},
        customdata=[[row["agencies"]] for row in rows],
        hovertemplate="%{y}: %{x:.2f} % late<br>%{customdata[0]} agencies in the district<extra></extra>"))
    if not rows:
        _no_data(figure, "No resolved dossiers at district or commune level")
    _layout(figure, max(300, 38 * len(rows) + 100), showlegend=False)
    figure.update_yaxes(autorange="reversed", automargin=True, ticklabelstandoff=8)
    figure.update_xaxes(ticksuffix=" %", range=[0, worst * 1.45], title_text="Late (% of resolved)")
    return Chart(
        "districts", "Districts with the most late dossiers",
        "Share of dossiers resolved after their due date, counting every agency located in the district "
        "(its People's Committee, land registration branch, communes, tax sub-department). Worst first; "
        "the label gives late and resolved counts.",
        figure)


def chart_procedure_digitisation(rows: list[dict], year: int | None) -> Chart:
    levels = [SERVICE_LEVELS.get(row["service_level"], f"Level {row['service_level']}") for row in rows]
    figure = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                           subplot_titles=("What the catalog offers (procedures)",
                                           "What applicants use (% of dossiers)"))
    for key, name, colour in (("procedures", "all", COLOURS["neutral"]),
                              ("procedures_online_payment", "payable online", COLOURS["payment"]),
                              ("procedures_postal", "by post", COLOURS["postal"])):
        figure.add_bar(x=levels, y=[row[key] for row in rows], name=name, marker_color=colour,
                       legend="legend", text=[f"{row[key]:,}" for row in rows], textposition="outside",
                       constraintext="none", cliponaxis=False,
                       hovertemplate=f"%{{x}}: %{{y:,}} procedures, {name}<extra></extra>",
                       row=1, col=1)
    for key, name, colour, numerator, denominator in (
        ("online_rate", "filed online", COLOURS["online"], "dossiers_online", "dossiers_received"),
        ("paid_online_rate", "paid online (of those with a fee)", COLOURS["payment"],
         "dossiers_paid_online", "dossiers_with_fee"),
        ("postal_rate", "filed by post", COLOURS["postal"], "dossiers_postal", "dossiers_received"),
    ):
        figure.add_bar(x=levels, y=[row[key] for row in rows], name=name, marker_color=colour,
                       legend="legend2",
                       text=[f"{row[key]:.1f} %" if row[key] is not None else "" for row in rows],
                       textposition="outside", constraintext="none", cliponaxis=False,
                       customdata=[[row[numerator], row[denominator]] for row in rows],
                       hovertemplate=f"%{{x}}: %{{y:.1f}} % {name} (%{{customdata[0]:,}} of "
                                     "%{customdata[1]:,})<extra></extra>",
                       row=1, col=2)
    if not rows:
        _no_data(figure, "No procedures with dossiers in this release")
    _layout(figure, 440, barmode="group", margin={"l": 10, "r": 20, "t": 100, "b": 40})
    figure.update_layout(
        legend={"title": {"text": "Catalog procedures:"}},
        legend2={"orientation": "h", "yref": "container", "y": 1, "yanchor": "top", "x": 0.55,
                 "title": {"text": "Dossiers:"}})
    figure.update_yaxes(rangemode="tozero", row=1, col=1)
    figure.update_yaxes(ticksuffix=" %", rangemode="tozero", row=1, col=2)
    return Chart(
        "procedures", "Procedure digitisation by online service level",
        f"Reporting year {year}. Left: catalog procedures at each online service level, and how many of "
        "them take fees online or dossiers by public postal service. Right: of the dossiers received for "
        "those procedures, the share filed online, paid online (of dossiers with a fee) and sent by post.",
        figure)


def chart_decision_766(rows: list[dict], year: int | None) -> Chart:
    labels = [INDICATORS.get(row["indicator_code"], row["indicator_code"]) for row in rows]
    figure = go.Figure()
    figure.add_bar(
        x=[row["max_points"] for row in rows], y=labels, orientation="h", name="Points available",
        marker_color="#e4e7eb", width=0.75, hoverinfo="skip")
    figure.add_bar(
        x=[row["points"] or 0 for row in rows], y=labels, orientation="h", name="Points earned",
        marker_color=COLOURS["on_time"], width=0.45,
        text=[f"{row['points'] or 0:g} / {row['max_points']:g}" for row in rows],
        textposition="outside", cliponaxis=False,
        customdata=[[row["achieved_rate"] or 0, row["numerator"], row["denominator"],
                     100 * row["full_points_share"], f"group {row['indicator_group']}: "
                     f"{row['indicator_group_name']}"] for row in rows],
        hovertemplate="%{customdata[4]}<br>%{x:.2f} points: %{customdata[0]:.1f} % "
                      "(%{customdata[1]:,} of %{customdata[2]:,}), full points at %{customdata[3]:.0f} %"
                      "<extra></extra>")
    earned = sum(row["points"] or 0 for row in rows)
    available = sum(row["max_points"] for row in rows)
    if not rows:
        _no_data(figure, f"No Decision 766 indicators for {year}")
    _layout(figure, 400, barmode="overlay", margin={"l": 10, "r": 30, "t": 50, "b": 40})
    figure.update_yaxes(autorange="reversed", automargin=True, ticklabelstandoff=8)
    widest = max((row["max_points"] for row in rows), default=1)
    figure.update_xaxes(title_text="Points", range=[0, widest * 1.25])
    return Chart(
        "decision-766", "Decision 766 service index: what the dossiers earn",
        f"Reporting year {year}: {earned:.2f} of the {available:g} points the exports can compute "
        "(of 100; transparency and satisfaction need surveys). Each bar: points earned against points "
        "available; hover for the share behind them.",
        figure)


def _status(row: dict) -> str:
    return "listed" if row["is_listed"] else "agrees"


def chart_report_vs_exports(rows: list[dict]) -> Chart:
    counts = [row for row in rows if row["figure_unit"] != "percent"]
    percents = [row for row in rows if row["figure_unit"] == "percent"]
    figure = make_subplots(rows=1, cols=2, horizontal_spacing=0.22,
                           subplot_titles=("Counts: report and exports (log scale)",
                                           "Percentages: exports minus report"))
    # Each figure is labelled with both values, so the numbers stay out of the plot area.
    for row in counts:
        share = 100 * row["exports_value"] / row["report_value"] if row["report_value"] else None
        row["label"] = (f"{row['metric_label']}<br><sub>exports "
                        f"{'–' if share is None else f'{share:.1f} %'} of the report</sub>")
    for row in percents:
        row["label"] = (f"{row['metric_label']}<br><sub>report "
                        f"{row['report_value']:g} % · exports {row['exports_value']:g} %</sub>")
    connectors_x: list = []
    connectors_y: list = []
    for row in counts:
        connectors_x += [row["report_value"], row["exports_value"], None]
        connectors_y += [row["label"], row["label"], None]
    figure.add_scatter(x=connectors_x, y=connectors_y, mode="lines", line={"color": "#cbd2d9", "width": 4},
                       hoverinfo="skip", showlegend=False, row=1, col=1)
    figure.add_scatter(
        x=[row["report_value"] for row in counts], y=[row["label"] for row in counts], mode="markers",
        name="Report says", marker={"symbol": "diamond", "size": 14, "color": COLOURS["report"]},
        customdata=[[row["source_line"]] for row in counts],
        hovertemplate="report says %{x:,.0f} (line %{customdata[0]})<extra></extra>", row=1, col=1)
    for status, label in (("listed", "Exports: listed in the register"),
                          ("agrees", "Exports: within tolerance")):
        picked = [row for row in counts if _status(row) == status]
        figure.add_scatter(
            x=[row["exports_value"] for row in picked], y=[row["label"] for row in picked],
            mode="markers", name=label, legendgroup=status, marker={"size": 14, "color": COLOURS[status]},
            hovertemplate="exports add up to %{x:,.0f}<extra></extra>", row=1, col=1)
        picked = [row for row in percents if _status(row) == status]
        figure.add_bar(
            x=[row["difference"] for row in picked], y=[row["label"] for row in picked], orientation="h",
            name=label, legendgroup=status, marker_color=COLOURS[status],
            showlegend=not any(_status(row) == status for row in counts) and bool(picked),
            customdata=[[row["exports_numerator"], row["exports_denominator"], row["source_line"]]
                        for row in picked],
            hovertemplate="%{x:+.2f} points: exports %{customdata[0]:,} of %{customdata[1]:,}, "
                          "report line %{customdata[2]}<extra></extra>", row=1, col=2)
    if not rows:
        _no_data(figure, "No report figure the exports can recompute")
    widest = max((abs(row["difference"]) for row in percents), default=1) or 1
    _layout(figure, max(320, 52 * max(len(counts), len(percents), 1) + 130),
            margin={"l": 10, "r": 30, "t": 90, "b": 40})
    figure.update_xaxes(type="log", title_text="Dossiers", row=1, col=1)
    figure.update_xaxes(range=[-widest * 1.3, widest * 1.3], zeroline=True, zerolinecolor="#52606d",
                        zerolinewidth=2, ticksuffix=" pt", title_text="Percentage points", row=1, col=2)
    figure.update_yaxes(automargin=True, ticklabelstandoff=8)
    year = rows[0]["report_year"] if rows else None
    listed = sum(1 for row in rows if row["is_listed"])
    return Chart(
        "report-vs-exports", "The report against the exports",
        f"Figures of the {year} report that the dossier exports can recompute for the same period: "
        f"{listed} of {len(rows)} disagree beyond tolerance and are listed in the discrepancy register "
        "(orange); green ones agree. Counts can differ by orders of magnitude where the exports cover "
        "only some of the province's dossiers; rates computed from them should still agree.",
        figure)
