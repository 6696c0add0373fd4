"""The dashboard of the published release: one self-contained static HTML page.

Reads the read-only serving copy (never the writer's file), aggregates in DuckDB with
the SQL below, draws with plotly (plotly.js inlined, so the page works offline) and
writes `<out_dir>/index.html`. Every rate is a sum of numerators over a sum of
denominators, as the marts keep both; no rate is averaged.

    python -m ingest.dashboard [SERVING] [OUT_DIR]
"""

from __future__ import annotations

import functools
import html
import http.server
import json
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots
from plotly.utils import PlotlyJSONEncoder
from rich.console import Console

from ingest.serving import open_serving


class DashboardError(RuntimeError):
    """The serving copy cannot feed the dashboard; the message says what to run."""


# What the page reads; a release without one of these was not built by `cchc run`.
REQUIRED_TABLES = (
    "meta.release",
    "marts.dim_agencies",
    "marts.rpt_agency_monthly_performance",
    "marts.rpt_province_year_scorecard",
    "marts.rpt_procedure_digitisation",
    "marts.rpt_decision_766_indicators",
    "marts.rpt_report_vs_exports",
    "marts.rpt_discrepancy_register",
)

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
METRICS = {
    "dossiers_resolved": "Dossiers resolved",
    "dossiers_on_time": "Resolved on time",
    "dossiers_on_time_pct": "On-time rate",
    "dossiers_late": "Resolved late",
    "dossiers_late_pct": "Late rate",
    "dossiers_online": "Filed online",
    "dossiers_online_pct": "Online rate",
    "dossiers_online_paid": "Paid online",
    "dossiers_postal": "Filed by post",
    "dossiers_postal_pct": "Postal rate",
}
SEVERITIES = {"fail": "Failure", "warn": "Warning"}


@dataclass(frozen=True)
class Chart:
    anchor: str    # html id of the section
    title: str
    caption: str   # one or two sentences: what the chart shows and how to read it
    figure: go.Figure


# ------------------------------------------------------------------ reading the release

def open_release(serving_path: Path) -> duckdb.DuckDBPyConnection:
    """Open the serving copy read-only; raise DashboardError if it is missing or incomplete."""
    if not serving_path.exists():
        raise DashboardError(
            f"no published release at {serving_path}: run `cchc run` first "
            "(it loads, builds, checks and publishes the marts the dashboard reads)")
    try:
        con = open_serving(serving_path)
    except duckdb.Error as exc:
        raise DashboardError(f"cannot open the serving copy {serving_path} ({exc}); "
                             "run `cchc run` to publish a fresh release") from exc
    present = {f"{schema}.{table}" for schema, table in con.execute(
        "select table_schema, table_name from information_schema.tables").fetchall()}
    missing = [table for table in REQUIRED_TABLES if table not in present]
    if missing:
        con.close()
        raise DashboardError(
            f"the release at {serving_path} lacks {', '.join(missing)}: "
            "run `cchc run` to build and publish the marts")
    return con


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    result = con.execute(sql, params or [])
    columns = [column[0] for column in result.description]
    return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]


def read_release(con: duckdb.DuckDBPyConnection) -> dict:
    """meta.release as a dict (older releases carry only release_id and tables)."""
    rows = _rows(con, "select * from meta.release")
    if not rows:
        raise DashboardError("the serving copy has an empty meta.release: run `cchc run` to publish")
    return rows[0]


PROVINCE_LABEL_SQL = """
with candidates as (
    select
        province_name,
        regexp_extract(agency_name, 'tỉnh (.+)$', 1) as province_label
    from marts.dim_agencies
    where province_name = ?
)

select province_label
from candidates
where strip_accents(replace(replace(province_label, 'Đ', 'D'), 'đ', 'd')) = province_name
group by province_label
order by count(*) desc
limit 1
"""


def province_label(con: duckdb.DuckDBPyConnection, province_name: str | None) -> str | None:
    """The province's name with diacritics, taken from agency names ('... tỉnh Khánh Hòa');
    the marts keep it stripped ('Khanh Hoa')."""
    if province_name is None:
        return None
    row = con.execute(PROVINCE_LABEL_SQL, [province_name]).fetchone()
    return row[0] if row else province_name


# The reporting year the page focuses on: the latest one the exports cover to its end
# (else the latest with dossiers), with its headline rates.
YEAR_AT_A_GLANCE_SQL = """
with coverage as (
    select max(month_date) + interval 1 month - interval 1 day as last_covered_date
    from marts.rpt_agency_monthly_performance
    where dossiers_received > 0
),

years as (
    select
        scorecard.*,
        scorecard.period_end_date <= coverage.last_covered_date as is_covered
    from marts.rpt_province_year_scorecard as scorecard
    cross join coverage
    where scorecard.dossiers_received > 0
)

select
    province_name,
    reporting_year,
    period_start_date,
    period_end_date,
    is_covered,
    dossiers_received,
    dossiers_resolved,
    100.0 * dossiers_on_time / nullif(dossiers_resolved, 0) as on_time_rate,
    100.0 * dossiers_late / nullif(dossiers_resolved, 0) as late_rate,
    100.0 * dossiers_online / nullif(dossiers_received, 0) as online_rate,
    100.0 * dossiers_paid_online / nullif(dossiers_with_fee, 0) as paid_online_rate,
    100.0 * dossiers_postal / nullif(dossiers_received, 0) as postal_rate,
    procedures_in_catalog,
    100.0 * procedures_online_enabled / nullif(procedures_in_catalog, 0) as online_enabled_rate
from years
order by is_covered desc, reporting_year desc
limit 1
"""


def year_at_a_glance(con: duckdb.DuckDBPyConnection) -> dict | None:
    rows = _rows(con, YEAR_AT_A_GLANCE_SQL)
    return rows[0] if rows else None


# ------------------------------------------------------------------ charts, one function each

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


MONTHLY_SQL = """
select
    month_date,
    sum(dossiers_received) as dossiers_received,
    sum(dossiers_online) as dossiers_online,
    sum(dossiers_resolved) as dossiers_resolved,
    sum(dossiers_on_time) as dossiers_on_time,
    100.0 * sum(dossiers_on_time) / nullif(sum(dossiers_resolved), 0) as on_time_rate,
    100.0 * sum(dossiers_online) / nullif(sum(dossiers_received), 0) as online_rate
from marts.rpt_agency_monthly_performance
group by month_date
having sum(dossiers_received) > 0 or sum(dossiers_resolved) > 0
order by month_date
"""


def chart_monthly_rates(con: duckdb.DuckDBPyConnection) -> Chart:
    rows = _rows(con, MONTHLY_SQL)
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


# The agencies with the lowest on-time rate (at most `?`), with how many there are in all
# and the lowest rate among those left out.
AGENCY_SQL = """
with per_agency as (
    select
        agency_id,
        any_value(agency_name) as agency_name,
        any_value(agency_level) as agency_level,
        sum(dossiers_received) as dossiers_received,
        sum(dossiers_online) as dossiers_online,
        sum(dossiers_resolved) as dossiers_resolved,
        sum(dossiers_on_time) as dossiers_on_time,
        100.0 * sum(dossiers_on_time) / nullif(sum(dossiers_resolved), 0) as on_time_rate,
        100.0 * sum(dossiers_online) / nullif(sum(dossiers_received), 0) as online_rate
    from marts.rpt_agency_monthly_performance
    group by agency_id
    having sum(dossiers_received) > 0 or sum(dossiers_resolved) > 0
),

ranked as (
    select
        *,
        row_number() over (
            order by on_time_rate asc nulls last, dossiers_resolved desc, agency_name
        ) as on_time_rank,
        count(*) over () as agencies_total
    from per_agency
)

select
    *,
    min(case when on_time_rank > ? then on_time_rate end) over () as rest_lowest_on_time_rate
from ranked
qualify on_time_rank <= ?
order by on_time_rank
"""
AGENCY_LIMIT = 40


def chart_agency_rates(con: duckdb.DuckDBPyConnection) -> Chart:
    rows = _rows(con, AGENCY_SQL, [AGENCY_LIMIT, AGENCY_LIMIT])
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


# District-level localities named as their People's Committee names them ("UBND huyện
# Diên Khánh" -> "Diên Khánh"); the marts keep the name without diacritics.
DISTRICT_SQL = """
with district_labels as (
    select
        district_name,
        min(regexp_replace(agency_name, '^UBND (thành phố|thị xã|huyện|quận) ', '', 'i')) as district_label
    from marts.dim_agencies
    where agency_kind = 'district_committee' and is_latest_version
    group by district_name
),

per_district as (
    select
        district_name,
        count(distinct agency_id) as agencies,
        sum(dossiers_resolved) as dossiers_resolved,
        sum(dossiers_late) as dossiers_late
    from marts.rpt_agency_monthly_performance
    where district_name is not null
    group by district_name
)

select
    coalesce(district_labels.district_label, per_district.district_name) as district_label,
    per_district.agencies,
    per_district.dossiers_resolved,
    per_district.dossiers_late,
    100.0 * per_district.dossiers_late / per_district.dossiers_resolved as late_rate
from per_district
left join district_labels
    on per_district.district_name = district_labels.district_name
where per_district.dossiers_resolved > 0
order by late_rate desc, per_district.dossiers_late desc
limit 10
"""


def chart_worst_districts(con: duckdb.DuckDBPyConnection) -> Chart:
    rows = _rows(con, DISTRICT_SQL)
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


DIGITISATION_SQL = """
select
    service_level,
    count(*) as procedures,
    count(*) filter (where is_online_payment_enabled) as procedures_online_payment,
    count(*) filter (where is_postal_enabled) as procedures_postal,
    sum(dossiers_received) as dossiers_received,
    100.0 * sum(dossiers_online) / nullif(sum(dossiers_received), 0) as online_rate,
    100.0 * sum(dossiers_paid_online) / nullif(sum(dossiers_with_fee), 0) as paid_online_rate,
    100.0 * sum(dossiers_postal) / nullif(sum(dossiers_received), 0) as postal_rate,
    sum(dossiers_online) as dossiers_online,
    sum(dossiers_with_fee) as dossiers_with_fee,
    sum(dossiers_paid_online) as dossiers_paid_online,
    sum(dossiers_postal) as dossiers_postal
from marts.rpt_procedure_digitisation
where reporting_year = ? and service_level is not null
group by service_level
order by service_level
"""


def chart_procedure_digitisation(con: duckdb.DuckDBPyConnection, year: int | None) -> Chart:
    rows = _rows(con, DIGITISATION_SQL, [year])
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


DECISION_766_SQL = """
select
    indicator_code,
    indicator_group,
    indicator_group_name,
    cast(max_points as double) as max_points,
    cast(full_points_share as double) as full_points_share,
    numerator,
    denominator,
    cast(points as double) as points,
    100.0 * numerator / nullif(denominator, 0) as achieved_rate
from marts.rpt_decision_766_indicators
where reporting_year = ?
order by indicator_group, indicator_code
"""


def chart_decision_766(con: duckdb.DuckDBPyConnection, year: int | None) -> Chart:
    rows = _rows(con, DECISION_766_SQL, [year])
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


REPORT_VS_EXPORTS_SQL = """
with latest_report_year as (
    select max(report_year) as report_year from marts.rpt_report_vs_exports
),

listed as (
    select report_id, metrics as metric_id, severity, tolerance
    from marts.rpt_discrepancy_register
    where suite = 'rpt_report_vs_exports'
)

select
    compared.metric_id,
    compared.figure_unit,
    compared.report_year,
    compared.report_value,
    compared.exports_value,
    compared.exports_numerator,
    compared.exports_denominator,
    compared.difference,
    compared.source_line,
    listed.severity,
    listed.tolerance
from marts.rpt_report_vs_exports as compared
inner join latest_report_year
    on compared.report_year = latest_report_year.report_year
left join listed
    on compared.report_id = listed.report_id and compared.metric_id = listed.metric_id
order by compared.figure_unit, compared.report_value desc
"""


def _status(row: dict) -> str:
    return "listed" if row["severity"] is not None else "agrees"


def chart_report_vs_exports(con: duckdb.DuckDBPyConnection) -> Chart:
    rows = _rows(con, REPORT_VS_EXPORTS_SQL)
    counts = [row for row in rows if row["figure_unit"] != "percent"]
    percents = [row for row in rows if row["figure_unit"] == "percent"]
    figure = make_subplots(rows=1, cols=2, horizontal_spacing=0.22,
                           subplot_titles=("Counts: report and exports (log scale)",
                                           "Percentages: exports minus report"))
    # Each figure is labelled with both values, so the numbers stay out of the plot area.
    for row in counts:
        share = 100 * row["exports_value"] / row["report_value"] if row["report_value"] else None
        row["label"] = (f"{METRICS.get(row['metric_id'], row['metric_id'])}<br><sub>exports "
                        f"{'–' if share is None else f'{share:.1f} %'} of the report</sub>")
    for row in percents:
        row["label"] = (f"{METRICS.get(row['metric_id'], row['metric_id'])}<br><sub>report "
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
    listed = sum(1 for row in rows if row["severity"])
    return Chart(
        "report-vs-exports", "The report against the exports",
        f"Figures of the {year} report that the dossier exports can recompute for the same period: "
        f"{listed} of {len(rows)} disagree beyond tolerance and are listed in the discrepancy register "
        "(orange); green ones agree. Counts can differ by orders of magnitude where the exports cover "
        "only some of the province's dossiers; rates computed from them should still agree.",
        figure)


REGISTER_SQL = """
select
    severity,
    check_name,
    metrics,
    report_year,
    expected,
    observed,
    difference,
    tolerance,
    replace(source_lines, ',', ', ') as source_lines,
    message
from marts.rpt_discrepancy_register
order by severity, check_name, metrics
"""


def register_table(con: duckdb.DuckDBPyConnection) -> str:
    """The discrepancy register of this release as an HTML table (a register is read, not plotted)."""
    rows = _rows(con, REGISTER_SQL)
    if not rows:
        return "<p class=caption>No discrepancies in this release: every report check passed.</p>"

    def number(value: float | None) -> str:
        return "" if value is None else f"{value:,.2f}".rstrip("0").rstrip(".")

    body = "".join(
        "<tr>"
        f"<td><span class='chip {html.escape(row['severity'] or '')}'>"
        f"{html.escape(SEVERITIES.get(row['severity'], row['severity'] or ''))}</span></td>"
        f"<td>{html.escape(row['check_name'] or '')}</td>"
        f"<td>{html.escape(METRICS.get(row['metrics'], row['metrics'] or ''))}</td>"
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


# ------------------------------------------------------------------ the page

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


def build_dashboard(serving_path: Path, out_dir: Path) -> Path:
    """Write `out_dir/index.html` for the release at `serving_path`; return its path."""
    with open_release(serving_path) as con:
        release = read_release(con)
        glance = year_at_a_glance(con)
        year = glance["reporting_year"] if glance else None
        province = province_label(con, glance["province_name"] if glance else None)
        charts = [
            chart_monthly_rates(con),
            chart_agency_rates(con),
            chart_worst_districts(con),
            chart_decision_766(con, year),
            chart_procedure_digitisation(con, year),
            chart_report_vs_exports(con),
        ]
        register_html = register_table(con)
    page = render_page(release, province, glance, charts, register_html)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "index.html"
    staging = target.with_name(f".{target.name}.tmp")
    staging.write_text(page, encoding="utf-8")
    staging.replace(target)  # a browser reloading mid-write sees the old page or the new
    return target


def serve_dashboard(out_dir: Path, port: int, console: Console | None = None) -> None:
    """Serve `out_dir` (the static page) on 127.0.0.1:`port` until Ctrl-C."""
    console = console or Console()
    if not (out_dir / "index.html").exists():
        raise DashboardError(f"no dashboard in {out_dir}: run `cchc dashboard --out {out_dir}` first")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out_dir.resolve()))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        console.print(f"Serving the dashboard on http://127.0.0.1:{port}/ (Ctrl-C to stop)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
